"""Removing the temporary files that interrupted writes leave in a local artifact tree.

Every local write goes to ``PARTIAL_PREFIX<random>`` in the file's own folder and is
renamed over the final name when complete (:func:`runlab.store.artifacts._paths.atomic_write`),
so a process killed mid-upload leaves such a file behind, never a half-written artifact.
Listings and downloads already skip them; this removes them.

Several servers may share one destination, and one of them may be writing a partial
file right now. A write touches its file with every chunk it copies, so only files not
modified for ``older_than`` seconds are removed: a sibling's upload that has been
silent that long is dead (its client or server is gone). Removing a file another
process still holds open cannot corrupt anything: its final rename fails and that
upload answers an error; no artifact is ever half-written.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from dataclasses import dataclass, field

from runlab.store.artifacts import _paths

__all__ = ["DEFAULT_GRACE_SECONDS", "Swept", "remove_stale_partials", "sweep_in_background"]

DEFAULT_GRACE_SECONDS = 3600.0
logger = logging.getLogger("runlab.store.artifacts")


@dataclass
class Swept:
    """What one sweep found: the files removed (or, in a dry run, to remove), the bytes
    they held, and the partial files left because they are recent."""

    removed: list[str] = field(default_factory=list)
    bytes: int = 0
    recent: int = 0


def remove_stale_partials(
    root: str, older_than: float, *, now: float | None = None, dry_run: bool = False
) -> Swept:
    """Remove partial files below ``root`` not modified for ``older_than`` seconds.

    Symbolic links are neither followed nor removed; a missing root is an empty sweep;
    a file that vanishes meanwhile (another server's sweep, a finished rename) is skipped.
    """
    cutoff = (time.time() if now is None else now) - older_than
    swept = Swept()
    # os.walk does not follow links to directories; errors (a folder removed meanwhile)
    # are skipped rather than ending the sweep.
    for directory, _dirs, files in os.walk(root):
        for name in files:
            if not name.startswith(_paths.PARTIAL_PREFIX):
                continue
            path = os.path.join(directory, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if info.st_mtime > cutoff:
                swept.recent += 1
                continue
            if not dry_run:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    continue
            swept.removed.append(path)
            swept.bytes += info.st_size
    return swept


def sweep_in_background(root: str, older_than: float) -> threading.Thread:
    """Run :func:`remove_stale_partials` in a daemon thread (a large tree takes a while;
    the server answers meanwhile) and log what it removed."""

    def run() -> None:
        try:
            swept = remove_stale_partials(root, older_than)
        except OSError as exc:  # never take the server down over housekeeping
            logger.warning("could not sweep partial uploads in %s: %s", root, exc)
            return
        if swept.removed:
            logger.warning(
                "removed %d partial file(s) (%d bytes) left by interrupted uploads in %s",
                len(swept.removed),
                swept.bytes,
                root,
            )

    thread = threading.Thread(target=run, name="runlab-partial-sweep", daemon=True)
    thread.start()
    return thread
