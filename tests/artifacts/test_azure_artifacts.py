"""Azure Blob Storage artifacts against a real emulator over HTTP (Azurite, in a subprocess).

The shared contract lives in test_artifact_contract.py; these tests cover what is
particular to Azure: the two URI forms, blobs under the prefix, Data Lake folder blobs,
listing pages and batched deletes, blocks uploaded and ranges downloaded in parallel,
credentials and endpoints, hostile blob names and errors. End-to-end runs and a proxying
server are in test_azure_end_to_end.py.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from tests import _azurite

from runlab.errors import InvalidInputError, StorageError
from runlab.store.artifacts import FileInfo, get_artifact_repository
from runlab.store.artifacts.azure import (
    MB,
    AzureBlobArtifactRepository,
    AzureLocation,
    AzureSettings,
    parse_azure_uri,
)
from runlab.store.artifacts.azure._client import new_client

pytestmark = pytest.mark.azure

PREFIX = "team/exp-1/run-a/artifacts"


@pytest.fixture
def repo(azure_container: str) -> AzureBlobArtifactRepository:
    repository = get_artifact_repository(_azurite.uri(azure_container, PREFIX))
    assert isinstance(repository, AzureBlobArtifactRepository)
    return repository


class Requests:
    """What a client sends, as it happens: method, query and thread of each request, and
    the most requests that were in flight at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, int, str]] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.most_in_flight = 0

    def on_request(self, request: Any) -> None:
        http = request.http_request
        with self._lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
            query = http.url.partition("?")[2]
            self.sent.append(
                (http.method, query, threading.get_ident(), http.headers.get("x-ms-range", ""))
            )

    def on_response(self, response: Any) -> None:
        with self._lock:
            self._in_flight -= 1

    def count(self, method: str, query_part: str = "") -> int:
        return sum(1 for m, q, _, _ in self.sent if m == method and query_part in q)

    def threads(self, method: str, query_part: str = "") -> set[int]:
        return {t for m, q, t, _ in self.sent if m == method and query_part in q}

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()
            self.most_in_flight = 0


def recorded(
    container: str, settings: AzureSettings, path: str = PREFIX, **kwargs: Any
) -> tuple[AzureBlobArtifactRepository, Requests]:
    """A repository whose client (built the way the shared one is) records its requests."""
    uri = _azurite.uri(container, path)
    requests = Requests()
    service = new_client(
        parse_azure_uri(uri),
        settings,
        raw_request_hook=requests.on_request,
        raw_response_hook=requests.on_response,
    )
    return AzureBlobArtifactRepository(uri, settings=settings, service=service, **kwargs), requests


# ---------------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "wasbs://models@acct1.blob.core.windows.net",
            AzureLocation("wasbs", "models", "acct1", "core.windows.net", ""),
        ),
        (
            "wasbs://models@acct1.blob.core.windows.net//a/./b/",
            AzureLocation("wasbs", "models", "acct1", "core.windows.net", "a/b"),
        ),
        (
            "abfss://models@acct1.dfs.core.windows.net/a/b",
            AzureLocation("abfss", "models", "acct1", "core.windows.net", "a/b"),
        ),
        (
            "WASBS://my-container@ACCT1.blob.core.chinacloudapi.cn/x",
            AzureLocation("wasbs", "my-container", "acct1", "core.chinacloudapi.cn", "x"),
        ),
    ],
)
def test_parse_azure_uri(uri: str, expected: AzureLocation) -> None:
    location = parse_azure_uri(uri)
    assert location == expected
    # Both forms are served by the account's blob endpoint.
    assert location.default_account_url == f"https://{expected.account}.blob.{expected.suffix}"


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("wasbs://acct1.blob.core.windows.net/p", "names no container"),
        ("wasbs://@acct1.blob.core.windows.net/p", "names no container"),
        ("wasbs://c0ntainer@acct1.dfs.core.windows.net/p", r"ACCOUNT\.blob\.<domain>"),
        ("abfss://c0ntainer@acct1.blob.core.windows.net/p", r"ACCOUNT\.dfs\.<domain>"),
        ("wasbs://models@127.0.0.1:10000/p", "RUNLAB_AZURE_BLOB_ENDPOINT"),
        ("wasbs://models@Ac.blob.core.windows.net/p", "storage account 'ac' is not valid"),
        ("wasbs://models@a_b1.blob.core.windows.net/p", "3 to 24 lowercase letters and digits"),
        ("wasbs://Models@acct1.blob.core.windows.net/p", "container 'Models' is not valid"),
        ("wasbs://ab@acct1.blob.core.windows.net/p", "3 to 63 lowercase"),
        ("wasbs://a--b@acct1.blob.core.windows.net/p", "single hyphens"),
        ("wasbs://-ab@acct1.blob.core.windows.net/p", "container '-ab' is not valid"),
        ("wasbs://models@acct1.blob.core.windows.net/p?sv=1", "take no query"),
        ("wasbs://models@acct1.blob.core.windows.net/a/../../x", "not a clean artifact path"),
        ("wasb://models@acct1.blob.core.windows.net/p", "not a wasbs:// or abfss:// URI"),
    ],
)
def test_bad_azure_uris(uri: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        parse_azure_uri(uri)


def test_both_uri_forms_name_the_same_blobs(azure_container: str, azure_admin: Any) -> None:
    wasbs = get_artifact_repository(_azurite.uri(azure_container, "p", scheme="wasbs"))
    abfss = get_artifact_repository(_azurite.uri(azure_container, "p", scheme="abfss"))
    wasbs.write_bytes("a/one.txt", b"1")
    abfss.write_bytes("a/two.txt", b"2")
    assert [i.path for i in abfss.list_artifacts("a")] == ["a/one.txt", "a/two.txt"]
    assert _azurite.all_blobs(azure_admin, azure_container) == {
        "p/a/one.txt": b"1",
        "p/a/two.txt": b"2",
    }


def test_blobs_stay_under_the_prefix(
    repo: AzureBlobArtifactRepository, azure_admin: Any, azure_container: str, tmp_path: Path
) -> None:
    container = azure_admin.get_container_client(azure_container)
    # Neighbours whose names start with the same characters as the prefix.
    container.upload_blob(f"{PREFIX}-other/x.txt", b"other")
    container.upload_blob(f"{PREFIX}2", b"2")
    (tmp_path / "model.bin").write_bytes(b"weights")
    repo.log_artifact(tmp_path / "model.bin", "model")
    repo.write_bytes("notes/a.txt", b"a")
    assert _azurite.all_blobs(azure_admin, azure_container) == {
        f"{PREFIX}/model/model.bin": b"weights",
        f"{PREFIX}/notes/a.txt": b"a",
        f"{PREFIX}-other/x.txt": b"other",
        f"{PREFIX}2": b"2",
    }
    assert [info.path for info in repo.list_artifacts()] == ["model", "notes"]
    repo.delete_artifacts()
    assert _azurite.all_blobs(azure_admin, azure_container) == {
        f"{PREFIX}-other/x.txt": b"other",
        f"{PREFIX}2": b"2",
    }


def test_a_container_root(azure_container: str, azure_admin: Any) -> None:
    repo = get_artifact_repository(_azurite.uri(azure_container))
    repo.write_bytes("a/b.txt", b"b")
    assert _azurite.all_blobs(azure_admin, azure_container) == {"a/b.txt": b"b"}
    assert repo.list_artifacts() == [FileInfo("a", is_dir=True, file_size=None)]
    repo.delete_artifacts()
    assert _azurite.all_blobs(azure_admin, azure_container) == {}


def test_data_lake_folder_blobs_are_directories(
    repo: AzureBlobArtifactRepository, azure_admin: Any, azure_container: str, tmp_path: Path
) -> None:
    # An account with a hierarchical namespace shows each folder as a metadata-flagged blob.
    container = azure_admin.get_container_client(azure_container)
    folder = {"hdi_isfolder": "true"}
    container.upload_blob(f"{PREFIX}/plots", b"", metadata=folder)
    container.upload_blob(f"{PREFIX}/plots/empty", b"", metadata=folder)
    repo.write_bytes("plots/loss.png", b"png")
    assert repo.list_artifacts() == [FileInfo("plots", is_dir=True, file_size=None)]
    assert repo.list_artifacts("plots") == [
        FileInfo("plots/empty", is_dir=True, file_size=None),
        FileInfo("plots/loss.png", is_dir=False, file_size=3),
    ]
    local = Path(repo.download_artifacts("plots", str(tmp_path / "dst")))
    assert (local / "loss.png").read_bytes() == b"png"
    assert (local / "empty").is_dir()
    with pytest.raises(InvalidInputError, match="'plots/empty' is a directory"):
        repo.open_artifact("plots/empty")


# ----------------------------------------------------------------- paging, batching


def test_listing_pages_and_batched_deletes(
    azure_container: str, azure_admin: Any, tmp_path: Path
) -> None:
    count = 520
    source = tmp_path / "many"
    (source / "dir").mkdir(parents=True)
    for i in range(count):
        (source / "dir" / f"f{i:05d}.txt").write_text(str(i))
    (source / "top.txt").write_text("top")
    repo, requests = recorded(azure_container, AzureSettings(), list_page_size=100)

    repo.log_artifacts(source)
    assert requests.count("PUT") == count + 1
    assert len(requests.threads("PUT")) > 1  # files go in parallel

    requests.clear()
    assert repo.list_artifacts("dir") == [
        FileInfo(f"dir/f{i:05d}.txt", is_dir=False, file_size=len(str(i))) for i in range(count)
    ]
    assert requests.count("GET", "comp=list") == 6  # pages of 100
    assert all("maxresults=100" in q for m, q, _, _ in requests.sent)

    requests.clear()
    local = Path(repo.download_artifacts("", str(tmp_path / "dst")))
    assert len(list((local / "dir").iterdir())) == count
    assert (local / "dir" / "f00519.txt").read_text() == "519"
    assert requests.count("HEAD") == 0  # sizes come from the listing

    requests.clear()
    repo.delete_artifacts("dir")
    assert requests.count("POST", "comp=batch") == 3  # the blob itself, 256 and 264
    assert _azurite.all_blobs(azure_admin, azure_container) == {f"{PREFIX}/top.txt": b"top"}


def test_staged_uploads_are_not_listed_or_downloaded(
    repo: AzureBlobArtifactRepository, azure_container: str, azure_admin: Any, tmp_path: Path
) -> None:
    repo.write_bytes("a/f.txt", b"f")
    upload_id = repo.begin_multipart("a/big.bin", 2)
    repo.put_part(upload_id, 1, io.BytesIO(b"1"))
    assert repo.list_artifacts() == [FileInfo("a", True, None)]
    local = repo.download_artifacts("", str(tmp_path / "dst"))
    assert sorted(str(p.relative_to(local)) for p in Path(local).rglob("*")) == ["a", "a/f.txt"]
    repo.delete_artifacts()  # the root: uploads in progress go with it
    assert _azurite.all_blobs(azure_admin, azure_container) == {}


# ----------------------------------------------------------------- blocks and ranges


def committed_blocks(azure_admin: Any, container: str, name: str) -> list[int]:
    blob = azure_admin.get_blob_client(container, name)
    committed, _uncommitted = blob.get_block_list("committed")
    return [block.size for block in committed]


def test_large_files_go_in_blocks_in_parallel(
    azure_container: str, azure_admin: Any, tmp_path: Path
) -> None:
    settings = AzureSettings(block_size=1 * MB, max_concurrency=4)
    repo, requests = recorded(azure_container, settings)
    big = os.urandom(6 * MB + 5)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "small.bin").write_bytes(big[:MB])

    repo.log_artifact(tmp_path / "big.bin")
    # Seven blocks staged from several threads at once, then one block list committed.
    assert requests.count("PUT", "comp=block&") == 7
    assert len(requests.threads("PUT", "comp=block&")) > 1
    assert requests.most_in_flight > 1
    assert requests.count("PUT", "comp=blocklist") == 1
    assert committed_blocks(azure_admin, azure_container, f"{PREFIX}/big.bin") == [MB] * 6 + [5]

    repo.log_artifact(tmp_path / "small.bin")  # up to one block: one request
    assert committed_blocks(azure_admin, azure_container, f"{PREFIX}/small.bin") == []

    requests.clear()
    local = Path(repo.download_artifacts("big.bin", str(tmp_path / "dst")))
    assert local.read_bytes() == big
    ranged = [r for m, _, _, r in requests.sent if m == "GET" and r]
    assert len(ranged) == 7  # the first block, then the other six in parallel ranges
    assert len(requests.threads("GET")) > 1
    assert [p.name for p in local.parent.iterdir()] == ["big.bin"]  # no partial file left


def test_write_stream_reads_on_the_calling_thread_only(
    azure_container: str, azure_admin: Any
) -> None:
    class Chunks(io.RawIOBase):
        """A non-seekable stream that, like a request body bridged from an event loop,
        can only be read on the thread that owns it."""

        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)
            self.owner = threading.get_ident()

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if threading.get_ident() != self.owner:
                raise RuntimeError("read from another thread")
            chunk = self.data.read(min(len(buffer), 64 * 1024))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    repo, _ = recorded(azure_container, AzureSettings(block_size=1 * MB, max_concurrency=4))
    data = os.urandom(3 * MB + 10)
    repo.write_stream("upload.bin", io.BufferedReader(Chunks(data)))  # type: ignore[arg-type]
    assert committed_blocks(azure_admin, azure_container, f"{PREFIX}/upload.bin") == [MB] * 3 + [10]
    with repo.open_artifact("upload.bin") as stream:
        assert stream.read() == data


def test_open_artifact_reads_a_block_at_a_time(azure_container: str) -> None:
    repo, requests = recorded(azure_container, AzureSettings(block_size=1 * MB))
    data = os.urandom(3 * MB)
    repo.write_bytes("big.bin", data)
    requests.clear()
    stream = repo.open_artifact("big.bin")
    assert not isinstance(stream, (bytes, io.BytesIO))
    assert stream.read(10) == data[:10]
    stream.close()  # without reading the rest: only the first block was fetched
    assert [r for m, _, _, r in requests.sent if m == "GET"] == [f"bytes=0-{MB - 1}"]
    with repo.open_artifact("big.bin") as again:
        assert b"".join(iter(lambda: again.read(256 * 1024), b"")) == data


# ---------------------------------------------------------------------- hostile names


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        (f"{PREFIX}//abs.txt", ""),  # an empty name component
        (f"{PREFIX}/d/{'n' * 300}.txt", "d"),  # no disk takes a name this long
    ],
)
def test_blob_names_that_are_not_artifact_paths_are_refused(
    repo: AzureBlobArtifactRepository,
    azure_admin: Any,
    azure_container: str,
    tmp_path: Path,
    name: str,
    listed: str,
) -> None:
    azure_admin.get_container_client(azure_container).upload_blob(name, b"evil")
    assert name in _azurite.all_blobs(azure_admin, azure_container)  # kept as it is
    repo.write_bytes("ok.txt", b"ok")
    with pytest.raises(StorageError, match="which is not a valid artifact path there"):
        repo.download_artifacts("", str(tmp_path / "dst"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    with pytest.raises(StorageError, match="which is not an artifact of that directory"):
        repo.list_artifacts(listed)
