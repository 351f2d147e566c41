"""The id mapping file: what became what, when an id could not be kept.

A JSON object with ``experiments``, ``runs`` and ``logged_models``, each mapping a
source id to the id it has in runlab; only ids that changed are listed. The file is
read when an import starts and rewritten (atomically) as ids are given, so a resumed
or repeated import finds the runs it made before.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from runlab.errors import InvalidInputError

__all__ = ["DEFAULT_MAPPING_FILE", "IdMap"]

DEFAULT_MAPPING_FILE = "runlab-id-map.json"
_KINDS = ("experiments", "runs", "logged_models")


@dataclass
class IdMap:
    path: Path | None = None
    experiments: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    logged_models: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> IdMap:
        if path is None:
            return cls()
        found = cls(Path(path))
        if not found.path or not found.path.is_file():
            return found
        try:
            data = json.loads(found.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                f"id mapping file {str(path)!r} cannot be read: {exc}"
            ) from None
        for kind in _KINDS:
            values = data.get(kind, {}) if isinstance(data, dict) else None
            if not isinstance(values, dict):
                raise InvalidInputError(f"id mapping file {str(path)!r}: {kind!r} is not an object")
            getattr(found, kind).update({str(k): str(v) for k, v in values.items()})
        return found

    def record(self, kind: str, source_id: str, target_id: str) -> None:
        """Remember ``source_id`` → ``target_id`` (nothing when they are equal)."""
        table: dict[str, str] = getattr(self, kind)
        if source_id == target_id:
            table.pop(source_id, None)
            return
        if table.get(source_id) != target_id:
            table[source_id] = target_id
            self.save()

    def run(self, source_id: str) -> str:
        return self.runs.get(source_id, source_id)

    def changed(self) -> bool:
        return any(getattr(self, kind) for kind in _KINDS)

    def save(self) -> None:
        if self.path is None or not self.changed():
            return
        data = {kind: getattr(self, kind) for kind in _KINDS}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".runlab-id-map-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
