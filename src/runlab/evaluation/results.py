"""What ``evaluate`` returns: the metrics and the artifacts it logged."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runlab.tracking.client import RunlabClient

__all__ = ["EvaluationArtifact", "EvaluationResult"]


class EvaluationArtifact:
    """One logged artifact: ``uri`` (its full artifact URI), ``path`` (inside the run)
    and ``content``, downloaded on first use (bytes, or the parsed JSON of a .json)."""

    def __init__(
        self,
        uri: str,
        content: Any = None,
        *,
        path: str | None = None,
        run_id: str | None = None,
        client: RunlabClient | None = None,
    ) -> None:
        self.uri = uri
        self.path = path or uri
        self._run_id = run_id
        self._client = client
        self._content = content

    def __repr__(self) -> str:
        return f"EvaluationArtifact(uri={self.uri!r})"

    @property
    def content(self) -> Any:
        if self._content is None and self._client is not None and self._run_id:
            with tempfile.TemporaryDirectory() as tmp:
                local = self._client.download_artifacts(self._run_id, self.path, tmp)
                with open(local, "rb") as f:
                    data = f.read()
            self._content = json.loads(data) if self.path.endswith(".json") else data
        return self._content


@dataclass
class EvaluationResult:
    """``metrics`` of the model, ``baseline_model_metrics`` of the baseline (or None),
    ``artifacts`` by name (``confusion_matrix``, ``eval_results_table``...), the
    ``run_id`` they were logged to and the ``manifest_path`` of this evaluation."""

    metrics: dict[str, float]
    artifacts: dict[str, EvaluationArtifact]
    baseline_model_metrics: dict[str, float] | None = None
    run_id: str | None = None
    manifest_path: str | None = None
    tables: dict[str, Any] = field(default_factory=dict, repr=False)
