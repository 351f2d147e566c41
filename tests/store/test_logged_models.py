"""SqlLoggedModelStore over SQLite and PostgreSQL: MLflow 3 logged models."""

from __future__ import annotations

import re

import pytest

from runlab.entities_logged_models import LoggedModelStatus
from runlab.errors import ConflictError, InvalidFilterError, InvalidInputError, NotFoundError
from runlab.store.sql.logged_models import SqlLoggedModelStore
from runlab.store.sql.store import SqlStore


@pytest.fixture
def tracking(store: SqlStore) -> SqlStore:
    """The tracking store the logged models belong to (the ``store`` fixture)."""
    return store


@pytest.fixture
def models(tracking: SqlStore) -> SqlLoggedModelStore:
    return SqlLoggedModelStore(tracking.db)


def test_create_get_and_finalize(tracking: SqlStore, models: SqlLoggedModelStore) -> None:
    run_id = tracking.create_run("0", "alice", 1000, {}, "r").run_id
    created = models.create_logged_model(
        "0",
        name="clf",
        source_run_id=run_id,
        tags={"team": "risk"},
        params={"lr": "0.1"},
        model_type="sklearn",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", created.model_id)
    assert created.status == LoggedModelStatus.PENDING
    experiment = tracking.get_experiment("0")
    assert created.artifact_location == (
        f"{experiment.artifact_location}/models/{created.model_id}/artifacts"
    )
    got = models.get_logged_model(created.model_id)
    assert got == created
    assert (got.name, got.source_run_id, got.model_type) == ("clf", run_id, "sklearn")
    assert (got.tags, got.params) == ({"team": "risk"}, {"lr": "0.1"})

    ready = models.finalize_logged_model(created.model_id, "READY")
    assert ready.status == LoggedModelStatus.READY
    assert ready.last_updated_timestamp >= created.last_updated_timestamp
    failed = models.finalize_logged_model(created.model_id, "LOGGED_MODEL_UPLOAD_FAILED")
    assert failed.status == LoggedModelStatus.FAILED


def test_a_model_without_a_name_gets_one(models: SqlLoggedModelStore) -> None:
    assert models.create_logged_model("0").name


def test_tags_and_params(models: SqlLoggedModelStore) -> None:
    model_id = models.create_logged_model("0", name="m").model_id
    models.set_logged_model_tags(model_id, {"a": "1", "b": "2"})
    models.set_logged_model_tags(model_id, {"a": "3"})
    models.delete_logged_model_tag(model_id, "b")
    models.log_logged_model_params(model_id, {"x": "1"})
    models.log_logged_model_params(model_id, {"x": "1", "y": "2"})  # same value again is fine
    got = models.get_logged_model(model_id)
    assert (got.tags, got.params) == ({"a": "3"}, {"x": "1", "y": "2"})
    with pytest.raises(ConflictError, match="params cannot change"):
        models.log_logged_model_params(model_id, {"x": "2"})
    with pytest.raises(NotFoundError, match="no tag 'b'"):
        models.delete_logged_model_tag(model_id, "b")
    with pytest.raises(InvalidInputError, match="tag key"):
        models.set_logged_model_tags(model_id, {"../up": "v"})


def test_unknown_model_and_bad_input(models: SqlLoggedModelStore) -> None:
    missing = "m-" + "0" * 32
    for call in (
        lambda: models.get_logged_model(missing),
        lambda: models.finalize_logged_model(missing, "READY"),
        lambda: models.delete_logged_model(missing),
        lambda: models.set_logged_model_tags(missing, {"a": "b"}),
        lambda: models.log_logged_model_params(missing, {"a": "b"}),
    ):
        with pytest.raises(NotFoundError, match="logged model"):
            call()
    with pytest.raises(NotFoundError, match="experiment '42'"):
        models.create_logged_model("42")
    with pytest.raises(NotFoundError, match="source_run_id"):
        models.create_logged_model("0", source_run_id="f" * 32)
    model_id = models.create_logged_model("0").model_id
    with pytest.raises(InvalidInputError, match="status: 'SHINY'"):
        models.finalize_logged_model(model_id, "SHINY")


def test_delete(models: SqlLoggedModelStore) -> None:
    model_id = models.create_logged_model("0", tags={"a": "1"}, params={"p": "1"}).model_id
    models.delete_logged_model(model_id)
    with pytest.raises(NotFoundError):
        models.get_logged_model(model_id)
    assert list(models.search_logged_models(["0"])) == []


def test_search_filters_order_and_pages(tracking: SqlStore, models: SqlLoggedModelStore) -> None:
    other = tracking.create_experiment("other")
    a = models.create_logged_model("0", name="alpha", tags={"t": "1"}, params={"lr": "0.1"})
    b = models.create_logged_model("0", name="beta", tags={"t": "2"}, model_type="agent")
    c = models.create_logged_model(other, name="gamma")
    models.finalize_logged_model(b.model_id, "READY")

    def names(filter_string=None, order_by=None, experiments=("0",)):
        found = models.search_logged_models(list(experiments), filter_string, order_by=order_by)
        return [m.name for m in found]

    assert sorted(names()) == ["alpha", "beta"]
    assert sorted(names(experiments=("0", other))) == ["alpha", "beta", "gamma"]
    assert names("name = 'alpha'") == ["alpha"]
    assert names("name LIKE 'b%'") == ["beta"]
    assert names("tags.t = '2'") == ["beta"]
    assert names("tags.t != '2'") == ["alpha"]
    assert names("params.lr = '0.1'") == ["alpha"]
    assert names("params.lr IS NULL") == ["beta"]
    assert names("status = 'READY'") == ["beta"]
    assert names("model_type = 'agent' OR name = 'alpha'", [("name", True)]) == ["alpha", "beta"]
    assert names(f"model_id = '{c.model_id}'", experiments=("0", other)) == ["gamma"]
    assert names(order_by=[("name", False)]) == ["beta", "alpha"]
    assert names("creation_timestamp >= 0", [("name", True)]) == ["alpha", "beta"]

    seen, token = [], None
    while True:
        page = models.search_logged_models(
            ["0", other], max_results=2, order_by=[("name", True)], page_token=token
        )
        seen += [m.model_id for m in page]
        token = page.token
        if token is None:
            break
    assert seen == [a.model_id, b.model_id, c.model_id]


def test_search_errors(models: SqlLoggedModelStore) -> None:
    with pytest.raises(InvalidFilterError):
        models.search_logged_models(["0"], "colour = 'red'")
    with pytest.raises(InvalidInputError, match="order_by"):
        models.search_logged_models(["0"], order_by=[("metrics.acc", True)])
    with pytest.raises(InvalidInputError, match="experiment_ids"):
        models.search_logged_models([])
    with pytest.raises(InvalidInputError, match="max_results"):
        models.search_logged_models(["0"], max_results=0)
    with pytest.raises(InvalidInputError, match="page_token"):
        models.search_logged_models(["0"], page_token="nonsense")
