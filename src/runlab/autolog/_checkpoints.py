"""Checkpoints during training as run artifacts, in MLflow's layout, for every framework.

With ``save_best_only`` one ``checkpoints/latest_checkpoint<suffix>`` is replaced
whenever the monitored metric improves; otherwise each save gets its own folder,
``checkpoints/epoch_<n>/`` or (saving every ``save_freq`` batches)
``checkpoints/global_step_<n>/``, holding ``checkpoint<suffix>``. Beside each file a
JSON of the metrics it was saved at; the run tag ``mlflow.latest_checkpoint_artifact``
names the newest. A framework supplies only how to write its file and how to read it.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runlab.errors import InvalidInputError, NotFoundError

__all__ = [
    "CHECKPOINT_DIR",
    "LATEST_TAG",
    "Checkpointing",
    "download_checkpoint",
    "improves",
    "log_checkpoint",
    "metric_values",
]

LATEST_TAG = "mlflow.latest_checkpoint_artifact"
CHECKPOINT_DIR = "checkpoints"


def improves(value: float, best: float | None, mode: str) -> bool:
    """Whether ``value`` beats ``best`` (None: nothing yet) when ``mode`` is min or max."""
    return best is None or (value < best if mode == "min" else value > best)


@dataclass(frozen=True)
class Checkpointing:
    """When checkpoints are saved and what they hold; checked when made, each field
    named with ``prefix`` (``checkpoint_`` for autolog's keywords)."""

    monitor: str | None = "val_loss"
    mode: str = "min"
    save_best_only: bool = True
    save_weights_only: bool = False
    save_freq: str | int = "epoch"
    prefix: str = ""

    def __post_init__(self) -> None:
        p = self.prefix
        if self.save_best_only and not self.monitor:
            raise InvalidInputError(f"{p}monitor: save_best_only=True needs a metric to monitor")
        if self.mode not in ("min", "max"):
            raise InvalidInputError(f"{p}mode: must be 'min' or 'max', got {self.mode!r}")
        freq = self.save_freq
        if freq != "epoch" and (isinstance(freq, bool) or not isinstance(freq, int) or freq <= 0):
            raise InvalidInputError(
                f"{p}save_freq: must be 'epoch' or a positive number of batches, got {freq!r}"
            )
        for name in ("save_best_only", "save_weights_only"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInputError(
                    f"{p}{name}: must be True or False, got {getattr(self, name)!r}"
                )

    def saves_now(self, metrics: Mapping[str, float], best: float | None) -> bool | None:
        """Whether a checkpoint is due given these metrics: None when the monitored
        metric is missing (with ``save_best_only``), so the caller can warn."""
        if not self.save_best_only:
            return True
        assert self.monitor is not None
        if self.monitor not in metrics:
            return None
        return improves(metrics[self.monitor], best, self.mode)

    def place(self, epoch: int, global_step: int, suffix: str) -> tuple[str, str, str]:
        """The artifact folder, the checkpoint's file name and its metrics file name."""
        weights = ".weights" if self.save_weights_only else ""
        if self.save_best_only:
            return (
                CHECKPOINT_DIR,
                f"latest_checkpoint{weights}{suffix}",
                "latest_checkpoint_metrics.json",
            )
        sub = f"epoch_{epoch}" if self.save_freq == "epoch" else f"global_step_{global_step}"
        return f"{CHECKPOINT_DIR}/{sub}", f"checkpoint{weights}{suffix}", "checkpoint_metrics.json"


def log_checkpoint(
    settings: Checkpointing,
    write: Callable[[str], None],
    *,
    suffix: str,
    epoch: int,
    global_step: int,
    metrics: Mapping[str, float],
) -> str:
    """Write the checkpoint with ``write(local_file)``, log it and its metrics into the
    active run and point the latest-checkpoint tag at it; returns its artifact path."""
    from runlab.tracking import fluent

    folder, file, info = settings.place(epoch, global_step, suffix)
    with tempfile.TemporaryDirectory(prefix="runlab-checkpoint-") as tmp:
        local = os.path.join(tmp, file)
        write(local)
        fluent.log_artifact(local, folder)
    fluent.log_dict({**metrics, "epoch": epoch, "global_step": global_step}, f"{folder}/{info}")
    fluent.set_tag(LATEST_TAG, f"{folder}/{file}")
    return f"{folder}/{file}"


def download_checkpoint(
    run_id: str | None, epoch: int | None, global_step: int | None, dst: str
) -> str:
    """Fetch a checkpoint that run ``run_id`` (default: the active run) logged into
    ``dst``: the newest, or the one of ``epoch`` or ``global_step`` (saved with
    ``save_best_only=False``); returns the local file."""
    from runlab.tracking import fluent
    from runlab.tracking.client import RunlabClient

    if epoch is not None and global_step is not None:
        raise InvalidInputError("pass epoch or global_step, not both")
    client = RunlabClient()
    if run_id is None:
        active = fluent.active_run()
        if active is None:
            raise InvalidInputError("run_id: no run given and no run is active")
        run_id = active.info.run_id
    latest = client.get_run(run_id).data.tags.get(LATEST_TAG)
    if not latest:
        raise NotFoundError(f"run {run_id} has no logged checkpoint (no {LATEST_TAG} tag)")
    name = posixpath.basename(latest)
    if epoch is not None:
        path = f"{CHECKPOINT_DIR}/epoch_{int(epoch)}/{name}"
    elif global_step is not None:
        path = f"{CHECKPOINT_DIR}/global_step_{int(global_step)}/{name}"
    else:
        path = latest
    try:
        return client.download_artifacts(run_id, path, dst)
    except NotFoundError:
        raise NotFoundError(f"run {run_id} has no checkpoint at {path!r}") from None


def metric_values(logs: Mapping[str, Any] | None) -> dict[str, float]:
    """The numbers of a framework's logs dict, as floats (others left out)."""
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            continue
    return out
