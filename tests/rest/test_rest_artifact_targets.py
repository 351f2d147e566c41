"""Artifacts to a named run, streams and background images through a tracking server's
artifact proxy (runlab's and MLflow's)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from rest_support import Remote

import runlab


def _read(remote: Remote, run_id: str, path: str) -> bytes:
    return Path(remote.client.download_artifacts(run_id, path)).read_bytes()


def test_named_run_stream_and_background_image(remote: Remote) -> None:
    with runlab.start_run() as first:
        pass
    with runlab.start_run() as second:
        runlab.log_text("to the first", "note.txt", run_id=first.info.run_id)
        runlab.log_dict({"a": 1}, "d.json", run_id=first.info.run_id)
        runlab.log_stream(io.BytesIO(b"\x00\x01streamed"), "bin/s.bin")
        runlab.log_image(
            runlab.Image(np.full((4, 4), 200, dtype=np.uint8)),
            key="frames",
            step=1,
            timestamp=42,
            synchronous=False,
        )
    assert {f.path for f in runlab.list_artifacts(run_id=first.info.run_id)} == {
        "note.txt",
        "d.json",
    }
    assert _read(remote, first.info.run_id, "note.txt") == b"to the first"
    assert _read(remote, second.info.run_id, "bin/s.bin") == b"\x00\x01streamed"
    png = PILImage.open(
        io.BytesIO(_read(remote, second.info.run_id, "images/frames/step_000001.png"))
    )
    png.load()
    assert png.text == {"step": "1", "timestamp": "42"}  # type: ignore[attr-defined]
    assert png.getpixel((0, 0)) == 200
