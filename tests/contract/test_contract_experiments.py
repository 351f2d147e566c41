"""Experiments: the same answers and the same errors from every TrackingStore."""

from __future__ import annotations

import pytest
from contract_support import Names, StoreUnderTest, new_run, pages

from runlab.entities import LifecycleStage, ViewType
from runlab.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError

MISSING_EXPERIMENT = "987654321"


def test_create_and_get_experiment(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names("wine"), tags={"team": "ml", "empty": ""})
    exp = store.get_experiment(eid)
    assert (exp.experiment_id, exp.name) == (eid, names("wine"))
    assert exp.tags == {"team": "ml", "empty": ""}
    assert exp.lifecycle_stage == LifecycleStage.ACTIVE
    assert exp.artifact_location.rstrip("/").endswith(f"/{eid}")
    assert exp.creation_time
    assert exp.last_update_time
    assert exp.creation_time <= exp.last_update_time
    assert store.get_experiment_by_name(names("wine")) == exp
    assert store.get_experiment_by_name(names("missing")) is None


def test_the_default_experiment_exists(contract_store: StoreUnderTest) -> None:
    default = contract_store.tracking.get_experiment("0")
    assert (default.experiment_id, default.name) == ("0", "Default")
    assert contract_store.tracking.get_experiment_by_name("Default") == default


def test_a_taken_name_is_refused_even_when_deleted(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    with pytest.raises(AlreadyExistsError, match=names()):
        store.create_experiment(names())
    store.delete_experiment(eid)
    with pytest.raises(AlreadyExistsError, match=names()):
        store.create_experiment(names())


@pytest.mark.parametrize("bad", ["", "   "])
def test_a_blank_experiment_name_is_refused(contract_store: StoreUnderTest, bad: str) -> None:
    with pytest.raises(InvalidInputError, match="name"):
        contract_store.tracking.create_experiment(bad)


@pytest.mark.parametrize("missing", [MISSING_EXPERIMENT, "not-a-number"])
def test_a_missing_experiment_is_not_found(contract_store: StoreUnderTest, missing: str) -> None:
    store = contract_store.tracking
    with pytest.raises(NotFoundError, match=missing):
        store.get_experiment(missing)
    with pytest.raises(NotFoundError):
        store.rename_experiment(missing, f"renamed-{missing}")
    with pytest.raises(NotFoundError):
        store.delete_experiment(missing)
    with pytest.raises(NotFoundError):
        store.restore_experiment(missing)
    with pytest.raises(NotFoundError):
        store.set_experiment_tag(missing, "k", "v")
    with pytest.raises(NotFoundError):
        store.delete_experiment_tag(missing, "k")


def test_an_experiment_id_past_int64_is_bad_input(contract_store: StoreUnderTest) -> None:
    with pytest.raises(InvalidInputError, match="experiment_id"):
        contract_store.tracking.get_experiment("9" * 25)


def test_rename_experiment(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names("a"))
    store.create_experiment(names("b"))
    with pytest.raises(AlreadyExistsError, match=names("b")):
        store.rename_experiment(eid, names("b"))
    with pytest.raises(InvalidInputError, match="name"):
        store.rename_experiment(eid, "")
    store.rename_experiment(eid, names("c"))
    assert store.get_experiment(eid).name == names("c")
    assert store.get_experiment_by_name(names("a")) is None
    assert store.get_experiment_by_name(names("c")) is not None


def test_delete_and_restore_experiment_with_its_runs(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    deleted_alone = new_run(contract_store, eid)
    store.delete_run(deleted_alone)
    alive = new_run(contract_store, eid)

    store.delete_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage == LifecycleStage.DELETED
    assert store.get_run(alive).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(ConflictError, match="deleted"):
        store.create_run(eid, "alice", 1, {}, "late")
    with pytest.raises(ConflictError, match="deleted"):
        store.set_experiment_tag(eid, "k", "v")

    store.restore_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage == LifecycleStage.ACTIVE
    assert store.get_run(alive).info.lifecycle_stage == LifecycleStage.ACTIVE
    # A run deleted on its own before its experiment stays deleted.
    assert store.get_run(deleted_alone).info.lifecycle_stage == LifecycleStage.DELETED


def test_the_default_experiment_cannot_be_deleted(contract_store: StoreUnderTest) -> None:
    with pytest.raises(InvalidInputError, match="Default"):
        contract_store.tracking.delete_experiment("0")
    assert contract_store.tracking.get_experiment("0").lifecycle_stage == LifecycleStage.ACTIVE


def test_experiment_tags(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    store.set_experiment_tag(eid, "k", "v1")
    store.set_experiment_tag(eid, "k", "v2")
    store.set_experiment_tag(eid, "other", "x")
    assert store.get_experiment(eid).tags == {"k": "v2", "other": "x"}
    store.delete_experiment_tag(eid, "k")
    assert store.get_experiment(eid).tags == {"other": "x"}
    with pytest.raises(NotFoundError, match="'k'"):
        store.delete_experiment_tag(eid, "k")
    with pytest.raises(InvalidInputError, match="5000"):
        store.set_experiment_tag(eid, "big", "x" * 5001)
    with pytest.raises(InvalidInputError, match="key"):
        store.set_experiment_tag(eid, "", "v")
    with pytest.raises(InvalidInputError, match="5000"):
        store.create_experiment(names("big"), tags={"big": "x" * 5001})


def _experiments(store: StoreUnderTest, names: Names) -> list[str]:
    """Five experiments named <prefix>-0 … -4, tagged even=True/False; -0 deleted."""
    ids = [
        store.tracking.create_experiment(names(str(i)), tags={"even": str(i % 2 == 0)})
        for i in range(5)
    ]
    store.tracking.delete_experiment(ids[0])
    return ids


def test_search_experiments_by_view_filter_and_order(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    ids = _experiments(contract_store, names)
    mine = f"name LIKE '{names()}-%'"

    def found(view: ViewType, text: str = mine, order: list[str] | None = None) -> list[str]:
        return [e.experiment_id for e in store.search_experiments(view, 100, text, order)]

    assert sorted(found(ViewType.ACTIVE_ONLY)) == sorted(ids[1:])
    assert found(ViewType.DELETED_ONLY) == [ids[0]]
    assert sorted(found(ViewType.ALL)) == sorted(ids)
    assert found(ViewType.ALL, order=["name DESC"]) == ids[::-1]
    assert found(ViewType.ALL, f"{mine} AND tags.even = 'True'", ["name"]) == [
        ids[0],
        ids[2],
        ids[4],
    ]
    assert found(ViewType.ACTIVE_ONLY, f"name = '{names('3')}'") == [ids[3]]
    assert found(ViewType.ALL, f"{mine} AND tags.even != 'True'", ["name ASC"]) == [ids[1], ids[3]]
    newest_first = found(ViewType.ALL, order=["creation_time DESC", "experiment_id DESC"])
    assert newest_first == ids[::-1]
    assert found(ViewType.ALL, f"name ILIKE '{names().upper()}-%'") != []


def test_search_experiments_pages_with_tokens(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    ids = _experiments(contract_store, names)
    got = pages(
        lambda token: store.search_experiments(
            ViewType.ALL, 2, f"name LIKE '{names()}-%'", ["name ASC"], token
        )
    )
    assert [len(page) for page in got] == [2, 2, 1]
    assert [e.experiment_id for page in got for e in page] == ids
    token = store.search_experiments(ViewType.ALL, 2, f"name LIKE '{names()}-%'").token
    with pytest.raises(InvalidInputError, match="query"):  # a token belongs to its query
        store.search_experiments(ViewType.ALL, 2, f"name = '{names('1')}'", None, token)


def test_search_experiments_refuses_bad_arguments(contract_store: StoreUnderTest) -> None:
    store = contract_store.tracking
    with pytest.raises(InvalidInputError, match="max_results"):
        store.search_experiments(max_results=0)
    with pytest.raises(InvalidInputError, match="max_results"):
        store.search_experiments(max_results=10**9)
    with pytest.raises(InvalidInputError):
        store.search_experiments(filter_string="name = ")
    with pytest.raises(InvalidInputError):
        store.search_experiments(filter_string="metrics.loss > 1")
    with pytest.raises(InvalidInputError):
        store.search_experiments(order_by=["color DESC"])
    with pytest.raises(InvalidInputError, match="token"):
        store.search_experiments(page_token="not-a-token")
