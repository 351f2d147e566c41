"""MLflow 3 logged models, on every store whose client keeps them (``logged_model_store``)."""

from __future__ import annotations

import math
import re

import pytest
from contract_support import START, Names, pages

from runlab.entities import Metric, ViewType
from runlab.entities_logged_models import LoggedModelStatus
from runlab.errors import ConflictError, InvalidInputError, NotFoundError
from runlab.store.base import TrackingStore
from runlab.store.logged_models_base import LoggedModelStore

Stores = tuple[LoggedModelStore, TrackingStore]
MISSING = "m-" + "0" * 32


def test_create_get_and_finalize(logged_model_store: Stores, names: Names) -> None:
    models, tracking = logged_model_store
    eid = tracking.create_experiment(names())
    run_id = tracking.create_run(eid, "alice", START, {}, "r").run_id
    created = models.create_logged_model(
        eid, "clf", run_id, {"team": "risk"}, {"lr": "0.1"}, "sklearn"
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", created.model_id)
    assert created.status == LoggedModelStatus.PENDING
    assert (created.experiment_id, created.name, created.source_run_id) == (eid, "clf", run_id)
    assert (created.tags, created.params, created.model_type) == (
        {"team": "risk"},
        {"lr": "0.1"},
        "sklearn",
    )
    location = tracking.get_experiment(eid).artifact_location
    assert created.artifact_location == f"{location}/models/{created.model_id}/artifacts"
    assert models.get_logged_model(created.model_id) == created
    ready = models.finalize_logged_model(created.model_id, "READY")
    assert ready.status == LoggedModelStatus.READY
    assert ready.last_updated_timestamp >= created.last_updated_timestamp
    assert models.get_logged_model(created.model_id) == ready
    failed = models.finalize_logged_model(created.model_id, "LOGGED_MODEL_UPLOAD_FAILED")
    assert failed.status == LoggedModelStatus.FAILED
    assert models.create_logged_model(eid).name  # a name is made up when none is given


def test_logged_model_tags_and_params(logged_model_store: Stores, names: Names) -> None:
    models, tracking = logged_model_store
    model_id = models.create_logged_model(tracking.create_experiment(names())).model_id
    models.set_logged_model_tags(model_id, {"a": "1", "b": "2"})
    models.set_logged_model_tags(model_id, {"a": "3"})
    models.delete_logged_model_tag(model_id, "b")
    models.log_logged_model_params(model_id, {"x": "1"})
    models.log_logged_model_params(model_id, {"x": "1", "y": "2"})  # the same value again
    got = models.get_logged_model(model_id)
    assert (got.tags, got.params) == ({"a": "3"}, {"x": "1", "y": "2"})
    # A changed param contradicts what is stored, as for a run's params.
    with pytest.raises(ConflictError, match="'x'"):
        models.log_logged_model_params(model_id, {"x": "2"})
    assert models.get_logged_model(model_id).params == {"x": "1", "y": "2"}
    with pytest.raises(NotFoundError, match="'b'"):
        models.delete_logged_model_tag(model_id, "b")
    with pytest.raises(InvalidInputError, match="key"):
        models.set_logged_model_tags(model_id, {"../up": "v"})


def test_logged_model_metrics_come_back_with_run_and_dataset(
    logged_model_store: Stores, names: Names
) -> None:
    models, tracking = logged_model_store
    eid = tracking.create_experiment(names())
    run_id = tracking.create_run(eid, "alice", START, {}, "r").run_id
    model_id = models.create_logged_model(eid, "clf", run_id).model_id
    other = models.create_logged_model(eid, "other").model_id
    points = [
        Metric("acc", 0.5, START + 1, 0, None, model_id, "val", "abcd1234"),
        Metric("acc", 0.75, START + 2, 1, None, model_id, "val", "abcd1234"),
        Metric("loss", float("nan"), START + 1, 0, None, model_id),
    ]
    tracking.log_batch(run_id, metrics=points)  # the run keeps them as well (the client's way)
    models.log_logged_model_metrics(run_id, points)
    got = models.get_logged_model(model_id).metrics
    plain = [(m.key, m.step, m.timestamp, m.run_id, m.model_id) for m in got]
    assert plain == [
        ("acc", 0, START + 1, run_id, model_id),
        ("acc", 1, START + 2, run_id, model_id),
        ("loss", 0, START + 1, run_id, model_id),
    ]
    assert [m.value for m in got[:2]] == [0.5, 0.75]
    assert math.isnan(got[2].value)
    assert [(m.dataset_name, m.dataset_digest) for m in got] == [
        ("val", "abcd1234"),
        ("val", "abcd1234"),
        (None, None),
    ]
    assert models.get_logged_model(other).metrics == []
    found = {m.model_id: m for m in models.search_logged_models([eid])}
    assert len(found[model_id].metrics) == 3
    # The same point again (a retry) is kept once.
    models.log_logged_model_metrics(run_id, points[:1])
    assert len(models.get_logged_model(model_id).metrics) == 3
    with pytest.raises(NotFoundError, match="logged model"):
        models.log_logged_model_metrics(run_id, [Metric("acc", 1.0, START, 0, None, MISSING)])


def test_a_missing_logged_model_is_not_found(logged_model_store: Stores, names: Names) -> None:
    models, tracking = logged_model_store
    for call in (
        lambda: models.get_logged_model(MISSING),
        lambda: models.finalize_logged_model(MISSING, "READY"),
        lambda: models.delete_logged_model(MISSING),
        lambda: models.set_logged_model_tags(MISSING, {"a": "b"}),
        lambda: models.delete_logged_model_tag(MISSING, "a"),
        lambda: models.log_logged_model_params(MISSING, {"a": "b"}),
    ):
        with pytest.raises(NotFoundError, match="logged model"):
            call()
    with pytest.raises(NotFoundError, match="987654321"):
        models.create_logged_model("987654321")
    eid = tracking.create_experiment(names())
    with pytest.raises(NotFoundError, match="source_run_id"):
        models.create_logged_model(eid, source_run_id="f" * 32)


def test_bad_logged_model_input(logged_model_store: Stores, names: Names) -> None:
    models, tracking = logged_model_store
    eid = tracking.create_experiment(names())
    model_id = models.create_logged_model(eid).model_id
    with pytest.raises(InvalidInputError, match="status"):
        models.finalize_logged_model(model_id, "SHINY")
    with pytest.raises(InvalidInputError, match="name"):
        models.create_logged_model(eid, name="a/b")


def test_delete_logged_model(logged_model_store: Stores, names: Names) -> None:
    models, tracking = logged_model_store
    eid = tracking.create_experiment(names())
    model_id = models.create_logged_model(eid, tags={"a": "1"}, params={"p": "1"}).model_id
    models.delete_logged_model(model_id)
    with pytest.raises(NotFoundError):
        models.get_logged_model(model_id)
    assert list(models.search_logged_models([eid])) == []


def test_search_logged_models(logged_model_store: Stores, names: Names) -> None:
    models, tracking = logged_model_store
    eid, other = tracking.create_experiment(names("a")), tracking.create_experiment(names("b"))
    a = models.create_logged_model(eid, "alpha", tags={"t": "1"}, params={"lr": "0.1"})
    b = models.create_logged_model(eid, "beta", tags={"t": "2"}, model_type="agent")
    c = models.create_logged_model(other, "gamma")
    models.finalize_logged_model(b.model_id, "READY")

    def found(text: str | None = None, order=None, experiments=(eid,)) -> list[str]:  # type: ignore[no-untyped-def]
        return [m.name for m in models.search_logged_models(list(experiments), text, None, order)]

    assert sorted(found()) == ["alpha", "beta"]
    assert sorted(found(experiments=(eid, other))) == ["alpha", "beta", "gamma"]
    assert found("name = 'alpha'") == ["alpha"]
    assert found("name LIKE 'b%'") == ["beta"]
    assert found("tags.t = '2'") == ["beta"]
    assert found("tags.t != '2'") == ["alpha"]
    assert found("params.lr = '0.1'") == ["alpha"]
    assert found("params.lr IS NULL") == ["beta"]
    assert found("status = 'READY'") == ["beta"]
    assert found("model_type = 'agent' OR name = 'alpha'", [("name", True)]) == ["alpha", "beta"]
    assert found(f"model_id = '{c.model_id}'", experiments=(eid, other)) == ["gamma"]
    assert found(order=[("name", False)]) == ["beta", "alpha"]
    got = pages(
        lambda token: models.search_logged_models([eid, other], None, 2, [("name", True)], token)
    )
    assert [[m.model_id for m in page] for page in got] == [[a.model_id, b.model_id], [c.model_id]]


def test_search_logged_models_refuses_bad_arguments(logged_model_store: Stores) -> None:
    models, _ = logged_model_store
    with pytest.raises(InvalidInputError):
        models.search_logged_models(["0"], "colour = 'red'")
    with pytest.raises(InvalidInputError, match="order_by"):
        models.search_logged_models(["0"], order_by=[("metrics.acc", True)])
    with pytest.raises(InvalidInputError, match="experiment_ids"):
        models.search_logged_models([])
    with pytest.raises(InvalidInputError, match="max_results"):
        models.search_logged_models(["0"], max_results=0)
    with pytest.raises(InvalidInputError, match="page_token"):
        models.search_logged_models(["0"], page_token="nonsense")


def test_runs_link_the_models_they_use_and_produce(
    logged_model_store: Stores, names: Names
) -> None:
    models, tracking = logged_model_store
    eid = tracking.create_experiment(names())
    trainer = tracking.create_run(eid, "alice", START, {}, "train").run_id
    scorer = tracking.create_run(eid, "alice", START, {}, "score").run_id
    base = models.create_logged_model(eid, "base").model_id
    tuned = models.create_logged_model(eid, "tuned", trainer).model_id
    models.link_run_models(trainer, inputs=[base], outputs=[(tuned, 3), (tuned, 7)])
    models.link_run_models(trainer, inputs=[base])  # linked again: kept once
    models.link_run_models(scorer, inputs=[tuned, base])
    got = tracking.get_run(trainer)
    assert [m.model_id for m in got.inputs.model_inputs] == [base]
    assert [(m.model_id, m.step) for m in got.outputs.model_outputs] == [(tuned, 3), (tuned, 7)]
    assert sorted(m.model_id for m in tracking.get_run(scorer).inputs.model_inputs) == sorted(
        [tuned, base]
    )
    assert tracking.get_run(scorer).outputs.model_outputs == ()
    found = {r.info.run_id: r for r in tracking.search_runs([eid], "", ViewType.ACTIVE_ONLY, 10)}
    assert [(m.model_id, m.step) for m in found[trainer].outputs.model_outputs] == [
        (tuned, 3),
        (tuned, 7),
    ]
    with pytest.raises(NotFoundError, match="logged model"):
        models.link_run_models(trainer, inputs=[MISSING])
    with pytest.raises(NotFoundError, match="run"):
        models.link_run_models("f" * 32, outputs=[(base, 0)])
    # A deleted model leaves the runs that named it.
    models.delete_logged_model(base)
    assert [m.model_id for m in tracking.get_run(scorer).inputs.model_inputs] == [tuned]
