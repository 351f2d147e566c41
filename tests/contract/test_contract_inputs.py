"""Dataset inputs of runs: kept whole, once per dataset, and searchable on every store."""

from __future__ import annotations

import pytest
from contract_support import Names, StoreUnderTest, new_run

from runlab.entities import Dataset, DatasetInput, InputTag, ViewType
from runlab.errors import ConflictError, InvalidInputError, NotFoundError

TRAIN = Dataset(
    name="wine",
    digest="d1g3st",
    source_type="local",
    source="file:///data/wine.csv",
    schema='{"mlflow_colspec": [{"name": "alcohol", "type": "double"}]}',
    profile='{"num_rows": 178}',
)
BARE = Dataset(name="bare", digest="b4re", source_type="http", source="http://x/b.csv")


def _context(value: str) -> tuple[InputTag, ...]:
    return (InputTag("mlflow.data.context", value),)


def test_log_inputs_keeps_the_dataset_and_its_tags(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    store.log_inputs(rid, [DatasetInput(TRAIN, _context("training")), DatasetInput(BARE)])
    store.log_inputs(rid, [])  # nothing to log: fine
    inputs = sorted(store.get_run(rid).inputs.dataset_inputs, key=lambda i: i.dataset.name)
    assert [i.dataset for i in inputs] == [BARE, TRAIN]
    assert [i.tags for i in inputs] == [(), _context("training")]
    assert inputs[1].context == "training"


def test_a_dataset_logged_again_is_one_input(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    first, second = new_run(contract_store, eid), new_run(contract_store, eid)
    store.log_inputs(first, [DatasetInput(TRAIN, _context("training"))])
    store.log_inputs(first, [DatasetInput(TRAIN, _context("training"))])
    store.log_inputs(second, [DatasetInput(TRAIN, _context("eval"))])
    assert [i.tags for i in store.get_run(first).inputs.dataset_inputs] == [_context("training")]
    assert [i.tags for i in store.get_run(second).inputs.dataset_inputs] == [_context("eval")]


def test_log_inputs_to_a_missing_or_deleted_run(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    with pytest.raises(NotFoundError):
        store.log_inputs("f" * 32, [DatasetInput(TRAIN)])
    rid = new_run(contract_store, store.create_experiment(names()))
    store.delete_run(rid)
    with pytest.raises(ConflictError, match="deleted"):
        store.log_inputs(rid, [DatasetInput(TRAIN)])


def test_search_runs_by_dataset(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    trained, evaluated, plain = (new_run(contract_store, eid, n) for n in "tep")
    store.log_inputs(trained, [DatasetInput(TRAIN, _context("training"))])
    store.log_inputs(evaluated, [DatasetInput(BARE, _context("eval"))])

    def found(text: str) -> set[str]:
        return {r.info.run_id for r in store.search_runs([eid], text, ViewType.ALL)}

    assert found("datasets.name = 'wine'") == {trained}
    assert found("datasets.digest IN ('d1g3st', 'b4re')") == {trained, evaluated}
    assert found("datasets.context = 'eval'") == {evaluated}
    assert found("datasets.name LIKE '%a%'") == {evaluated}
    assert plain not in found("datasets.name != 'nothing'")


@pytest.mark.parametrize(
    ("item", "rule"),
    [
        (DatasetInput(Dataset(name="", digest="d")), "name"),
        (DatasetInput(Dataset(name="n", digest="")), "digest"),
        (DatasetInput(Dataset(name="n" * 501, digest="d")), "limit is 500"),
        (DatasetInput(Dataset(name="n", digest="d" * 37)), "limit is 36"),
        (DatasetInput(Dataset(name="n", digest="d", source_type="s" * 37)), "limit is 36"),
        (DatasetInput(TRAIN, (InputTag("k" * 256, "v"),)), "limit is 255"),
        (DatasetInput(TRAIN, (InputTag("k", "v" * 501),)), "limit is 500"),
    ],
)
def test_log_inputs_refuses_bad_datasets(
    contract_store: StoreUnderTest, names: Names, item: DatasetInput, rule: str
) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    with pytest.raises(InvalidInputError, match=rule):
        store.log_inputs(rid, [DatasetInput(BARE), item])
    assert store.get_run(rid).inputs.dataset_inputs == ()
