"""Artifacts to a named run (``run_id=``), streams, and images with a timestamp or logged
in the background, on SQLite and PostgreSQL stores."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import runlab
from runlab.errors import InvalidInputError, RunlabError


@pytest.fixture(autouse=True)
def _store(tracking: str) -> None:
    """Every test here runs against a fresh database store."""


def _read(run_id: str, path: str) -> bytes:
    local = runlab.RunlabClient().download_artifacts(run_id, path)
    return Path(local).read_bytes()


def test_artifact_functions_write_to_the_named_run_not_the_active_one(tmp_path: Path) -> None:
    with runlab.start_run() as other:
        pass  # ended: MLflow writes to a named run whether it is active or not
    (tmp_path / "one.txt").write_text("one")
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    with runlab.start_run() as active:
        runlab.log_artifact(tmp_path / "one.txt", run_id=other.info.run_id)
        runlab.log_artifacts(folder, "dir", run_id=other.info.run_id)
        runlab.log_dict({"k": 1}, "d.json", run_id=other.info.run_id)
        runlab.log_text("hello", "t.txt", run_id=other.info.run_id)
        runlab.log_text("mine", "mine.txt")
    listed = {f.path for f in runlab.list_artifacts(run_id=other.info.run_id)}
    assert listed == {"one.txt", "dir", "d.json", "t.txt"}
    assert json.loads(_read(other.info.run_id, "d.json")) == {"k": 1}
    assert _read(other.info.run_id, "t.txt") == b"hello"
    assert _read(other.info.run_id, "dir/a.txt") == b"a"
    assert {f.path for f in runlab.list_artifacts(run_id=active.info.run_id)} == {"mine.txt"}


def test_a_missing_run_id_is_a_not_found_error() -> None:
    with pytest.raises(RunlabError, match="0" * 32):
        runlab.log_text("x", "x.txt", run_id="0" * 32)


def test_log_stream_stores_the_bytes_read(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 5000  # larger than one read chunk
    source = tmp_path / "blob.bin"
    source.write_bytes(payload)
    with runlab.start_run() as run:
        runlab.log_stream(io.BytesIO(b"binary content"), "streams/small.bin")
        with open(source, "rb") as f:
            runlab.RunlabClient().log_stream(run.info.run_id, f, "streams/big.bin")
    assert _read(run.info.run_id, "streams/small.bin") == b"binary content"
    assert _read(run.info.run_id, "streams/big.bin") == payload
    sizes = {f.path: f.file_size for f in runlab.list_artifacts("streams", run.info.run_id)}
    assert sizes == {"streams/small.bin": 14, "streams/big.bin": len(payload)}


def test_log_stream_to_a_named_run() -> None:
    with runlab.start_run() as first:
        pass
    runlab.log_stream(io.BytesIO(b"later"), "late.bin", run_id=first.info.run_id)
    assert _read(first.info.run_id, "late.bin") == b"later"


@pytest.mark.parametrize(
    ("stream", "rule"),
    [(b"raw bytes", "read()"), ("text", "read()"), (io.StringIO("text"), "binary stream")],
)
def test_log_stream_refuses_what_is_not_a_binary_stream(stream: object, rule: str) -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match=rf"stream: .*{rule}"):
        runlab.log_stream(stream, "x.bin")


def _png_text(data: bytes) -> dict[str, str]:
    image = PILImage.open(io.BytesIO(data))
    image.load()
    return dict(image.text)  # type: ignore[attr-defined]


def test_keyed_images_record_their_step_and_timestamp() -> None:
    with runlab.start_run() as run:
        runlab.log_image(np.zeros((3, 4), dtype=np.uint8), key="mask", step=2, timestamp=1234)
        runlab.log_image(np.zeros((3, 4), dtype=np.uint8), key="mask", step=3)
    two = _png_text(_read(run.info.run_id, "images/mask/step_000002.png"))
    assert two == {"step": "2", "timestamp": "1234"}
    three = _png_text(_read(run.info.run_id, "images/mask/step_000003.png"))
    assert three["step"] == "3"
    assert abs(int(three["timestamp"]) - run.info.start_time) < 60_000  # now, in ms


def test_an_image_at_a_path_records_a_timestamp_only_when_given() -> None:
    with runlab.start_run() as run:
        runlab.log_image(np.ones((2, 2)), "plain.png")
        runlab.log_image(np.ones((2, 2)), "stamped.png", timestamp=99)
    assert _png_text(_read(run.info.run_id, "plain.png")) == {}
    assert _png_text(_read(run.info.run_id, "stamped.png")) == {"timestamp": "99"}


def test_a_timestamp_outside_int64_is_refused() -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match="timestamp"):
        runlab.log_image(np.ones((2, 2)), key="k", timestamp=2**63)


def test_images_logged_in_the_background_are_there_when_the_run_ends() -> None:
    with runlab.start_run() as run:
        for step in range(5):
            pixels = np.full((8, 8, 3), step * 40, dtype=np.uint8)
            runlab.log_image(pixels, key="frames", step=step, synchronous=False)
    names = sorted(f.path for f in runlab.list_artifacts("images/frames", run.info.run_id))
    assert names == [f"images/frames/step_{s:06d}.png" for s in range(5)]
    last = PILImage.open(io.BytesIO(_read(run.info.run_id, "images/frames/step_000004.png")))
    assert last.getpixel((0, 0)) == (160, 160, 160)


def test_flush_artifact_async_logging_waits_for_background_images() -> None:
    with runlab.start_run() as run:
        runlab.RunlabClient().log_image(
            run.info.run_id, np.zeros((4, 4), dtype=np.uint8), "bg.png", synchronous=False
        )
        runlab.flush_artifact_async_logging()
        assert [f.path for f in runlab.list_artifacts(run_id=run.info.run_id)] == ["bg.png"]


def test_a_background_image_with_bad_pixels_fails_at_the_call() -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match=r"image: float pixel"):
        runlab.log_image(np.full((2, 2), 7.5), key="bad", synchronous=False)


def test_a_failed_background_upload_is_raised_by_the_flush() -> None:
    run_id = runlab.RunlabClient().create_run("0").info.run_id
    client = runlab.RunlabClient()
    repo_root = client.get_artifact_uri(run_id)
    assert repo_root.startswith(("file:", "/"))  # both database stores keep files locally
    # A file named like the image's folder makes the write fail on the worker thread.
    local_root = Path(repo_root.removeprefix("file://"))
    local_root.mkdir(parents=True, exist_ok=True)
    (local_root / "images").write_text("in the way")
    client.log_image(run_id, np.zeros((2, 2), dtype=np.uint8), key="k", synchronous=False)
    with pytest.raises(RunlabError):
        runlab.flush_artifact_async_logging()
    runlab.flush_artifact_async_logging()  # the error was reported once


def test_synchronous_must_be_a_bool() -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match="synchronous"):
        runlab.log_image(np.ones((2, 2)), "x.png", synchronous="no")  # type: ignore[arg-type]
