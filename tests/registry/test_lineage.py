"""Model versions registered from MLflow 3 logged models carry the logged model's id and
source run, on SQLite and PostgreSQL, whichever way the logged model is named."""

from __future__ import annotations

import json

import pytest
from tests._cli import run_cli

import runlab
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.sql.logged_models import SqlLoggedModelStore
from runlab.store.sql.store import SqlStore


@pytest.fixture
def logged(client: runlab.RunlabClient) -> SqlLoggedModelStore:
    assert isinstance(client.store, SqlStore)
    return SqlLoggedModelStore(client.store.db)


def _model_of_run(client: runlab.RunlabClient, logged: SqlLoggedModelStore) -> tuple[str, str]:
    exp = client.create_experiment("lineage")
    run = client.create_run(exp).info.run_id
    model = logged.create_logged_model(exp, name="model", source_run_id=run)
    return run, model.model_id


def test_models_uri_fills_run_and_model_id_everywhere(
    client: runlab.RunlabClient, logged: SqlLoggedModelStore
) -> None:
    run, model_id = _model_of_run(client, logged)
    client.create_registered_model("iris")
    made = client.create_model_version("iris", f"models:/{model_id}")
    assert (made.run_id, made.model_id, made.source) == (run, model_id, f"models:/{model_id}")
    got = client.get_model_version("iris", 1)
    assert (got.run_id, got.model_id) == (run, model_id)
    (found,) = client.search_model_versions("name = 'iris'")
    assert (found.run_id, found.model_id) == (run, model_id)
    (latest,) = client.get_registered_model("iris").latest_versions
    assert latest.model_id == model_id
    tag = logged.get_logged_model(model_id).tags["mlflow.modelVersions"]
    assert json.loads(tag) == [{"name": "iris", "version": "1"}]


def test_model_id_alone_fills_the_run_and_a_given_run_wins(
    client: runlab.RunlabClient, logged: SqlLoggedModelStore
) -> None:
    run, model_id = _model_of_run(client, logged)
    client.create_registered_model("iris")
    by_id = client.create_model_version("iris", "s3://bucket/model", model_id=model_id)
    assert (by_id.run_id, by_id.model_id) == (run, model_id)
    other = client.create_run(client.create_experiment("other")).info.run_id
    given = client.create_model_version("iris", f"models:/{model_id}", run_id=other)
    assert (given.run_id, given.model_id) == (other, model_id)
    tag = logged.get_logged_model(model_id).tags["mlflow.modelVersions"]
    assert json.loads(tag) == [{"name": "iris", "version": "1"}, {"name": "iris", "version": "2"}]


def test_runs_uri_of_a_logged_model_becomes_its_models_uri(
    client: runlab.RunlabClient, logged: SqlLoggedModelStore
) -> None:
    run, model_id = _model_of_run(client, logged)
    client.create_registered_model("iris")
    mv = client.create_model_version("iris", f"runs:/{run}/model", run_id=run)
    assert (mv.source, mv.run_id, mv.model_id) == (f"models:/{model_id}", run, model_id)
    # A runs:/ path that names no logged model stays as it was given.
    plain = client.create_model_version("iris", f"runs:/{run}/other", run_id=run)
    assert (plain.source, plain.model_id) == (f"runs:/{run}/other", None)


def test_register_model_takes_both_uri_forms(
    client: runlab.RunlabClient, logged: SqlLoggedModelStore
) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    run, model_id = _model_of_run(client, logged)
    by_models = runlab.register_model(f"models:/{model_id}", "iris")
    by_runs = runlab.register_model(f"runs:/{run}/model", "iris")
    for mv in (by_models, by_runs):
        assert (mv.run_id, mv.model_id, mv.source) == (run, model_id, f"models:/{model_id}")
    with pytest.raises(NotFoundError, match="logged no model by that name"):
        runlab.register_model(f"runs:/{run}/nothing", "iris")
    assert [v.version for v in client.search_model_versions("name = 'iris'")] == [2, 1]


def test_cli_register_records_the_lineage(
    client: runlab.RunlabClient, logged: SqlLoggedModelStore
) -> None:
    run, model_id = _model_of_run(client, logged)
    result = run_cli(client.tracking_uri, "models", "register", f"models:/{model_id}", "iris")
    assert result.exit_code == 0, result.output
    mv = client.get_model_version("iris", 1)
    assert (mv.run_id, mv.model_id) == (run, model_id)


def test_unknown_or_malformed_logged_models_are_refused(client: runlab.RunlabClient) -> None:
    client.create_registered_model("iris")
    ghost = "m-" + "0" * 32
    with pytest.raises(NotFoundError, match=f"model_id '{ghost}': no logged model"):
        client.create_model_version("iris", f"models:/{ghost}")
    with pytest.raises(InvalidInputError, match="model_id 'm-1' is not a logged model id"):
        client.create_model_version("iris", "s3://b/m", model_id="m-1")
    assert client.search_model_versions("name = 'iris'") == []
