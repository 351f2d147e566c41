"""``runlab.artifacts``: list, download and read artifacts by run, runs:/ or artifact URI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runlab
from runlab.errors import InvalidInputError, NotFoundError


@pytest.fixture
def run_id(tracking: str, tmp_path: Path) -> str:
    with runlab.start_run() as run:
        runlab.log_dict({"lr": 0.1, "layers": [4, 2]}, "config/params.json")
        runlab.log_dict({"depth": 3}, "config/tree.yaml")
        runlab.log_text("hello, wörld", "notes.txt")
        runlab.log_text("[1, 2]", "list.json")
        from PIL import Image

        image = tmp_path / "dot.png"
        Image.new("RGB", (3, 2), (255, 0, 0)).save(image)
        runlab.log_artifact(str(image), "images")
    return run.info.run_id


def test_list_by_run_and_by_uri(run_id: str) -> None:
    top = {f.path: f.is_dir for f in runlab.artifacts.list_artifacts(run_id=run_id)}
    assert top == {"config": True, "images": True, "notes.txt": False, "list.json": False}
    by_path = runlab.artifacts.list_artifacts(run_id=run_id, artifact_path="config")
    assert sorted(f.path for f in by_path) == ["config/params.json", "config/tree.yaml"]
    by_uri = runlab.artifacts.list_artifacts(f"runs:/{run_id}/config")
    assert sorted(f.path for f in by_uri) == ["params.json", "tree.yaml"]
    assert all(f.file_size and f.file_size > 0 for f in by_uri)


def test_load_text_dict_and_image(run_id: str) -> None:
    assert runlab.artifacts.load_text(f"runs:/{run_id}/notes.txt") == "hello, wörld"
    assert runlab.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {
        "lr": 0.1,
        "layers": [4, 2],
    }
    assert runlab.artifacts.load_dict(f"runs:/{run_id}/config/tree.yaml") == {"depth": 3}
    image = runlab.artifacts.load_image(f"runs:/{run_id}/images/dot.png")
    assert image.size == (3, 2)
    assert image.getpixel((0, 0)) == (255, 0, 0)


def test_load_dict_refuses_what_is_not_an_object(run_id: str) -> None:
    with pytest.raises(InvalidInputError, match="holds a list, not a JSON object"):
        runlab.artifacts.load_dict(f"runs:/{run_id}/list.json")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        runlab.artifacts.load_dict(f"runs:/{run_id}/notes.txt")


def test_download_by_artifact_uri(run_id: str, tmp_path: Path) -> None:
    uri = runlab.get_run(run_id).info.artifact_uri + "/config/params.json"
    local = runlab.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "dst"))
    assert json.loads(Path(local).read_text())["lr"] == 0.1
    with pytest.raises(NotFoundError):
        runlab.artifacts.load_text(f"runs:/{run_id}/missing.txt")


def test_target_is_one_of_uri_or_run(run_id: str) -> None:
    with pytest.raises(InvalidInputError, match="list_artifacts: pass artifact_uri alone"):
        runlab.artifacts.list_artifacts(f"runs:/{run_id}", run_id=run_id)
    with pytest.raises(InvalidInputError, match="list_artifacts: pass artifact_uri or run_id"):
        runlab.artifacts.list_artifacts()


def test_the_repository_names_stay_reachable() -> None:
    from runlab.store.artifacts import get_artifact_repository

    assert runlab.artifacts.get_artifact_repository is get_artifact_repository
