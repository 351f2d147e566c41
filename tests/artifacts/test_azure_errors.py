"""Azure artifact storage: credentials, endpoints, settings and the errors users see,
against the Azurite emulator over HTTP."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests import _azurite

from runlab.errors import ConfigurationError, NotFoundError, StorageError
from runlab.store.artifacts import get_artifact_repository
from runlab.store.artifacts.azure import MB, AzureBlobArtifactRepository, AzureSettings

pytestmark = pytest.mark.azure


def key_and_endpoint(monkeypatch: pytest.MonkeyPatch, endpoint: str, key: str) -> None:
    """Credentials as an access key, with the endpoint from RUNLAB_AZURE_BLOB_ENDPOINT."""
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", key)
    monkeypatch.setenv("RUNLAB_AZURE_BLOB_ENDPOINT", endpoint)


# ----------------------------------------------------------------- credentials


def test_an_access_key_with_the_endpoint_variable(
    azure_container: str, azurite: Any, azure_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_and_endpoint(monkeypatch, azurite.endpoint, _azurite.ACCOUNT_KEY)
    repo = get_artifact_repository(_azurite.uri(azure_container, "p"))
    repo.write_bytes("a.txt", b"a")
    assert _azurite.all_blobs(azure_admin, azure_container) == {"p/a.txt": b"a"}


def test_a_wrong_key_is_access_denied(
    azure_container: str, azurite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "QUJD" + _azurite.ACCOUNT_KEY[4:]
    key_and_endpoint(monkeypatch, azurite.endpoint, wrong)
    repo = get_artifact_repository(_azurite.uri(azure_container, "p"))
    where = f"wasbs://{azure_container}@devstoreaccount1.blob.core.windows.net/p"
    with pytest.raises(
        StorageError,
        match=rf"access denied: could not write {where}/a.txt at {azurite.endpoint} with "
        rf"AZURE_STORAGE_ACCESS_KEY \(AuthorizationFailure: .*\); check the key, or the "
        rf"identity's role on container '{azure_container}'",
    ):
        repo.write_bytes("a.txt", b"a")
    with pytest.raises(StorageError, match=rf"access denied: could not list {where} "):
        repo.list_artifacts()


def test_no_credentials_names_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # azure-identity is not a dependency: without it, the error lists what to set.
    code = (
        "import sys; sys.modules['azure.identity'] = None\n"
        "from runlab.store.artifacts import get_artifact_repository\n"
        "from runlab.errors import ConfigurationError\n"
        "try:\n"
        "    get_artifact_repository('wasbs://models@acct1.blob.core.windows.net/p')\n"
        "except ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "no credentials for Azure storage account 'acct1': set " in out.stdout
    assert "AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCESS_KEY" in out.stdout
    assert "install azure-identity" in out.stdout


def test_a_connection_string_for_another_account(
    azure_container: str, azurite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = azurite.connection_string.replace("AccountName=devstoreaccount1", "AccountName=other1")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", other)
    with pytest.raises(
        ConfigurationError,
        match="AZURE_STORAGE_CONNECTION_STRING is for storage account 'other1', but the "
        "artifact URI names account 'devstoreaccount1'",
    ):
        get_artifact_repository(_azurite.uri(azure_container, "p"))


def test_a_connection_string_and_the_endpoint_variable_conflict(
    azure_container: str, azurite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_AZURE_BLOB_ENDPOINT", azurite.endpoint)
    with pytest.raises(ConfigurationError, match="set one .*BlobEndpoint="):
        get_artifact_repository(_azurite.uri(azure_container, "p"))


def test_a_malformed_connection_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=acct1;garbage")
    with pytest.raises(ConfigurationError, match="'garbage' is not a Key=value field"):
        get_artifact_repository("wasbs://models@acct1.blob.core.windows.net/p")


# --------------------------------------------------------------------- errors


def test_a_missing_container(azure_container: str, azurite: Any, tmp_path: Path) -> None:
    repo = get_artifact_repository(_azurite.uri(f"{azure_container}-missing", "p"))
    match = (
        f"Azure container '{azure_container}-missing' does not exist in storage account "
        f"'devstoreaccount1' .*endpoint {azurite.endpoint}"
    )
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("b")
    (tmp_path / "d" / "c.txt").write_text("c")
    for operation in (
        lambda: repo.list_artifacts(),
        lambda: repo.write_bytes("a.txt", b"a"),
        lambda: repo.log_artifact(tmp_path / "a.txt"),
        lambda: repo.log_artifacts(tmp_path / "d"),
        lambda: repo.write_stream("a.txt", io.BytesIO(b"a")),
        lambda: repo.open_artifact("a.txt"),
        lambda: repo.download_artifacts("", str(tmp_path / "dst")),
        lambda: repo.download_artifacts("a.txt", str(tmp_path / "dst")),
        lambda: repo.delete_artifacts(),
        lambda: repo.begin_multipart("a.bin", 2),
    ):
        with pytest.raises(NotFoundError, match=match):
            operation()
    assert not (tmp_path / "dst").exists()


def test_a_missing_blob_names_the_artifact_and_the_blob(
    azure_container: str, tmp_path: Path
) -> None:
    repo = get_artifact_repository(_azurite.uri(azure_container, "p"))
    blob = f"wasbs://{azure_container}@devstoreaccount1.blob.core.windows.net/p/m/x.bin"
    for operation in (
        lambda: repo.open_artifact("m/x.bin"),
        lambda: repo.download_artifacts("m/x.bin", str(tmp_path / "dst")),
    ):
        with pytest.raises(
            NotFoundError, match=rf"artifact 'm/x.bin' does not exist in .* \({blob}\)"
        ):
            operation()


def test_an_unreachable_endpoint(azure_container: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
    key_and_endpoint(monkeypatch, endpoint, _azurite.ACCOUNT_KEY)
    # No retries: the SDK's own policy waits for minutes before it gives up.
    repo = AzureBlobArtifactRepository(
        _azurite.uri(azure_container, "p"), settings=AzureSettings(endpoint=endpoint, retries=0)
    )
    with pytest.raises(
        StorageError,
        match=rf"could not write wasbs://{azure_container}@devstoreaccount1.blob.core.windows.net"
        rf"/p/a.txt: the blob endpoint {endpoint} cannot be reached",
    ):
        repo.write_bytes("a.txt", b"a")


def test_without_the_sdk_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['azure.storage.blob'] = None\n"
        "from runlab.store.artifacts import get_artifact_repository\n"
        "from runlab.errors import StorageError\n"
        "try:\n"
        "    get_artifact_repository('abfss://models@acct1.dfs.core.windows.net/p')\n"
        "except StorageError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "artifacts need azure-storage-blob: pip install 'runlab[azure]'" in out.stdout
    assert "'abfss://models@acct1.dfs.core.windows.net/p'" in out.stdout


def test_importing_runlab_does_not_import_the_sdk() -> None:
    code = (
        "import json, sys, runlab, runlab.store.artifacts\n"
        "runlab.store.artifacts.get_artifact_repository('file:///tmp/x')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'azure')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# -------------------------------------------------------------------- settings


def test_settings_from_the_environment() -> None:
    assert AzureSettings.from_env({}) == AzureSettings()
    assert AzureSettings.from_env(
        {
            "RUNLAB_AZURE_BLOB_ENDPOINT": " http://127.0.0.1:10000/devstoreaccount1/ ",
            "RUNLAB_AZURE_BLOCK_SIZE": "4MB",
            "RUNLAB_AZURE_MAX_CONCURRENCY": "3",
        }
    ) == AzureSettings(
        endpoint="http://127.0.0.1:10000/devstoreaccount1", block_size=4 * MB, max_concurrency=3
    )
    assert AzureSettings.from_env({"RUNLAB_AZURE_BLOCK_SIZE": "512kb"}).block_size == 512 * 1024
    assert AzureSettings.from_env({"RUNLAB_AZURE_BLOCK_SIZE": "1000"}).block_size == 1000


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("RUNLAB_AZURE_BLOB_ENDPOINT", "127.0.0.1:10000", "is not a valid endpoint URL"),
        ("RUNLAB_AZURE_BLOB_ENDPOINT", "ftp://host", "expected http"),
        ("RUNLAB_AZURE_BLOCK_SIZE", "0", "is not a block size"),
        ("RUNLAB_AZURE_BLOCK_SIZE", "big", "is not a block size"),
        ("RUNLAB_AZURE_BLOCK_SIZE", "5GB", "at most 4000 MB"),
        ("RUNLAB_AZURE_MAX_CONCURRENCY", "0", "from 1 to 64"),
        ("RUNLAB_AZURE_MAX_CONCURRENCY", "many", "from 1 to 64"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{variable}.*{match}"):
        AzureSettings.from_env({variable: value})
