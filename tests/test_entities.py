"""Entity helpers that stores, clients and the CLI share."""

from __future__ import annotations

from pathlib import Path

import pytest

from runlab.entities import PagedList, all_pages


def test_all_pages_follows_tokens_from_the_given_one() -> None:
    pages = {None: PagedList([1, 2], "a"), "a": PagedList([], "b"), "b": PagedList([3], None)}
    asked: list[str | None] = []

    def fetch(token: str | None) -> PagedList[int]:
        asked.append(token)
        return pages[token]

    assert all_pages(fetch) == [1, 2, 3]
    assert asked == [None, "a", "b"]
    asked.clear()
    assert all_pages(fetch, "a") == [3]
    assert asked == ["a", "b"]


def test_listings_are_the_entities_file_info(tmp_path: Path) -> None:
    from runlab import entities
    from runlab.store.artifacts import FileInfo as RepositoryFileInfo
    from runlab.store.artifacts.local import LocalArtifactRepository

    assert RepositoryFileInfo is entities.FileInfo
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("abc")
    repo = LocalArtifactRepository(str(tmp_path / "root"))
    repo.log_artifacts(str(tmp_path / "src"), "dir")
    [folder] = repo.list_artifacts()
    [file] = repo.list_artifacts("dir")
    assert isinstance(folder, entities.FileInfo)
    assert (folder.path, folder.is_dir, folder.file_size) == ("dir", True, None)
    assert file == entities.FileInfo("dir/a.txt", False, 3)


@pytest.mark.parametrize(
    ("name", "number"),
    [("NOTEBOOK", 1), ("JOB", 2), ("PROJECT", 3), ("LOCAL", 4), ("UNKNOWN", 5)],
)
def test_source_type_numbers_match_mlflows(name: str, number: int) -> None:
    import mlflow.entities

    from runlab.entities import SourceType

    assert SourceType.from_string(name) == number == getattr(SourceType, name)
    assert SourceType.to_string(number) == name
    assert mlflow.entities.SourceType.from_string(name) == number


def test_source_type_refuses_unknown_values() -> None:
    from runlab.entities import SourceType
    from runlab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="source type 'SCRIPT' is not one of NOTEBOOK"):
        SourceType.from_string("SCRIPT")
    with pytest.raises(InvalidInputError, match="source type 9 is not one of 1, 2"):
        SourceType.to_string(9)


def test_logged_model_tag_parameter_and_run_outputs() -> None:
    import runlab.entities as e

    assert e.LoggedModelTag("k", "v") == e.LoggedModelTag(key="k", value="v")
    assert e.LoggedModelParameter("lr", "0.1").value == "0.1"
    assert len({e.LoggedModelParameter("a", "1"), e.LoggedModelParameter("a", "1")}) == 1
    outputs = e.RunOutputs((e.LoggedModelOutput("m-1", step=3),))
    assert outputs.model_outputs[0].step == 3
    assert e.RunOutputs().model_outputs == ()
