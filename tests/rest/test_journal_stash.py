"""Files set aside beside the journal for their upload: hard-linked when the file system
allows, copied otherwise, nothing left behind when setting aside fails."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.errors import StorageError
from runlab.store.rest._stash import discard, stash_bytes, stash_files
from runlab.store.rest.journal import Journal


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal.create(tmp_path / "journal", "http://127.0.0.1:1")
    try:
        yield j
    finally:
        j.close()


def _kept(journal: Journal, body: dict[str, object]) -> list[Path]:
    return [journal.files_dir / str(f["file"]) for f in body["files"]]  # type: ignore[attr-defined]


def test_a_file_on_the_same_file_system_is_hard_linked(tmp_path: Path, journal: Journal) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"w" * 1000)
    body = stash_files(journal, [(str(source), "ckpt/model.bin")])
    (kept,) = _kept(journal, body)
    assert kept.stat().st_ino == source.stat().st_ino  # one file, no second copy on disk
    assert body["files"] == [
        {
            "file": f"{body['folder']}/0/model.bin",
            "path": "ckpt/model.bin",
            "size": 1000,
            "mtime_ns": source.stat().st_mtime_ns,
        }
    ]
    # Replaced by a new file (as savers do): the logged content stays set aside.
    replacement = tmp_path / "new.bin"
    replacement.write_bytes(b"v2")
    os.replace(replacement, source)
    assert kept.read_bytes() == b"w" * 1000


def test_a_file_on_another_file_system_is_copied(tmp_path: Path, journal: Journal) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second file system (a tmpfs at /dev/shm)")
    with tempfile.TemporaryDirectory(dir=other) as folder:
        source = Path(folder) / "a.txt"
        source.write_text("alpha")
        body = stash_files(journal, [(str(source), "a.txt")])
        (kept,) = _kept(journal, body)
        assert kept.stat().st_dev != source.stat().st_dev
    assert kept.read_text() == "alpha"  # the original is gone; the copy is not


def test_logged_bytes_are_written_beside_the_journal_and_discarded(journal: Journal) -> None:
    body = stash_bytes(journal, b'{"a": 1}', "conf/c.json")
    (kept,) = _kept(journal, body)
    assert kept.read_bytes() == b'{"a": 1}'
    assert body["files"][0]["path"] == "conf/c.json"  # type: ignore[index]
    discard(journal, body)
    assert not (journal.files_dir / str(body["folder"])).exists()


def test_a_file_that_cannot_be_set_aside_is_named_and_nothing_is_left(
    tmp_path: Path, journal: Journal
) -> None:
    present = tmp_path / "present.txt"
    present.write_text("here")
    missing = tmp_path / "gone.txt"
    with pytest.raises(StorageError, match=r"gone\.txt") as caught:
        stash_files(journal, [(str(present), "present.txt"), (str(missing), "gone.txt")])
    assert "runlab journal" in str(caught.value)
    assert list(journal.files_dir.iterdir()) == []  # the first file's link went too
