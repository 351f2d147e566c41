"""Streaming pieces of the upload path: write_stream (default and local) and ChainedStreams."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from runlab.errors import InvalidInputError
from runlab.store.artifacts import LocalArtifactRepository
from runlab.store.artifacts._multipart import ChainedStreams
from runlab.store.artifacts.base import ArtifactRepository


class _Chunks(io.RawIOBase):
    """A stream of unknown length that hands out at most 1,000 bytes per read."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        n = min(len(target), 1000, len(self._data))
        target[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


class _SpoolingRepository(LocalArtifactRepository):
    """A backend without a write_stream of its own: the base class's default applies."""

    write_stream = ArtifactRepository.write_stream


@pytest.mark.parametrize("repo_class", [LocalArtifactRepository, _SpoolingRepository])
def test_write_stream_stores_a_stream_of_unknown_length(tmp_path: Path, repo_class) -> None:
    repo = repo_class(str(tmp_path / "root"))
    data = bytes(range(256)) * 3000
    repo.write_stream("a/b/data.bin", io.BufferedReader(_Chunks(data)))
    assert (tmp_path / "root/a/b/data.bin").read_bytes() == data
    repo.write_stream("a/b/data.bin", io.BytesIO(b"replaced"))
    assert (tmp_path / "root/a/b/data.bin").read_bytes() == b"replaced"
    assert sorted(p.name for p in (tmp_path / "root/a/b").iterdir()) == ["data.bin"]


@pytest.mark.parametrize("repo_class", [LocalArtifactRepository, _SpoolingRepository])
@pytest.mark.parametrize("path", ["", "../out.bin", "/abs.bin", "a/../../b"])
def test_write_stream_refuses_bad_paths(tmp_path: Path, repo_class, path: str) -> None:
    repo = repo_class(str(tmp_path / "root"))
    with pytest.raises(InvalidInputError):
        repo.write_stream(path, io.BytesIO(b"x"))
    assert not (tmp_path / "out.bin").exists()


def test_chained_streams_read_in_order(tmp_path: Path) -> None:
    paths = []
    for i, content in enumerate([b"abc", b"", b"defg" * 1000, b"h"]):
        path = tmp_path / f"part-{i}"
        path.write_bytes(content)
        paths.append(str(path))
    openers = [lambda p=p: open(p, "rb") for p in paths]
    with io.BufferedReader(ChainedStreams(openers), 7) as stream:
        assert stream.read() == b"abc" + b"defg" * 1000 + b"h"
