"""What MySQL/MariaDB needs beyond the store contract (which runs on it too): ``mysql://``
URIs through PyMySQL, comparisons as case-sensitive as on SQLite and PostgreSQL although
MySQL's usual collations are not, four-byte characters, ``runlab db upgrade``, and a
``runlab server`` on it over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from tests._cli import run_cli
from tests._migrations import migrate
from tests._servers import start_runlab_server

import runlab
from runlab.entities import Param, RunTag
from runlab.errors import AlreadyExistsError
from runlab.store.sql._engine import Database, normalize_url
from runlab.store.sql.schema import SCHEMA_REVISION

pytestmark = pytest.mark.mysql


def _plain(url: str) -> str:
    """``mysql+pymysql://…`` as the short ``mysql://…`` form users write."""
    assert url.startswith("mysql+pymysql://")
    return "mysql://" + url[len("mysql+pymysql://") :]


def test_plain_mysql_uri_means_pymysql_with_four_byte_characters(mysql_url: str) -> None:
    assert normalize_url("mysql://u@h/db") == "mysql+pymysql://u@h/db?charset=utf8mb4"
    client = runlab.RunlabClient(_plain(mysql_url))
    exp = client.create_experiment("émoji 🚀")
    run = client.create_run(exp)
    client.log_batch(run.info.run_id, params=[Param("p", "🦄 ünï")], tags=[RunTag("t", "😀")])
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"p": "🦄 ünï"}
    assert got.data.tags["t"] == "😀"
    assert client.get_experiment_by_name("émoji 🚀").experiment_id == exp


@pytest.fixture
def client(mysql_url: str) -> runlab.RunlabClient:
    return runlab.RunlabClient(mysql_url)


def _names(client: runlab.RunlabClient, exp: str, filter_string: str) -> set[str]:
    return {r.info.run_name for r in client.search_runs([exp], filter_string)}


def test_params_tags_and_names_compare_case_sensitively(client: runlab.RunlabClient) -> None:
    exp = client.create_experiment("case")
    for name, value in (("lower", "a"), ("upper", "A"), ("padded", "a ")):
        run = client.create_run(exp, run_name=name)
        client.log_batch(run.info.run_id, params=[Param("x", value)], tags=[RunTag("t", value)])
    assert _names(client, exp, "params.x = 'A'") == {"upper"}
    assert _names(client, exp, "params.x = 'a'") == {"lower"}  # not 'a ' either
    assert _names(client, exp, "params.x != 'a'") == {"upper", "padded"}
    assert _names(client, exp, "tags.t = 'A'") == {"upper"}
    assert _names(client, exp, "params.x LIKE 'A%'") == {"upper"}
    assert _names(client, exp, "tags.t LIKE 'a%'") == {"lower", "padded"}
    assert _names(client, exp, "params.x IN ('A')") == {"upper"}
    # ILIKE stays case-insensitive.
    assert _names(client, exp, "params.x ILIKE 'A'") == {"lower", "upper"}
    assert _names(client, exp, "attributes.run_name = 'Upper'") == set()
    assert _names(client, exp, "attributes.run_name ILIKE 'Upper'") == {"upper"}


def test_keys_and_names_differing_in_case_are_distinct(client: runlab.RunlabClient) -> None:
    exp = client.create_experiment("Team")
    assert client.create_experiment("team") != exp
    with pytest.raises(AlreadyExistsError):
        client.create_experiment("Team")
    run = client.create_run(exp)
    client.log_batch(run.info.run_id, params=[Param("k", "1"), Param("K", "2")])
    assert client.get_run(run.info.run_id).data.params == {"k": "1", "K": "2"}
    client.create_registered_model("Model")
    client.create_registered_model("model")
    found = client.search_registered_models("name = 'Model'")
    assert [m.name for m in found] == ["Model"]


def test_infinities_are_stored_and_read_back(client: runlab.RunlabClient) -> None:
    run = client.create_run(client.create_experiment("inf"))
    run_id = run.info.run_id
    for step, value in enumerate((float("inf"), -float("inf"), 1.5)):
        client.log_metric(run_id, "m", value, step=step)
    history = client.get_metric_history(run_id, "m")
    assert [m.value for m in history] == [float("inf"), -float("inf"), 1.5]
    assert _names(client, run.info.experiment_id, "metrics.m > 1") == {run.info.run_name}


def test_db_upgrade_brings_an_old_database_up_to_date(mysql_url: str, tmp_path: Path) -> None:
    db = Database(mysql_url)
    db.write(lambda conn: migrate(conn, "0001_initial"))
    db.dispose()
    plain = _plain(mysql_url)
    status = run_cli(str(tmp_path), "db", "status", plain)
    assert status.exit_code == 0, status.output
    assert "current:  0001_initial" in status.stdout
    result = run_cli(str(tmp_path), "db", "upgrade", plain)
    assert result.exit_code == 0, result.output
    db = Database(mysql_url)
    with db.read() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        collation = conn.execute(
            text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = 'params' AND column_name = 'key'"
            )
        ).scalar()
    db.dispose()
    assert revision == SCHEMA_REVISION
    assert str(collation).endswith("_bin")


def test_server_on_a_mysql_backend_serves_real_http(mysql_url: str, tmp_path: Path) -> None:
    args = ("--backend-store-uri", _plain(mysql_url))
    with start_runlab_server(tmp_path, *args) as (base_url, _process):
        remote = runlab.RunlabClient(base_url)
        exp = remote.create_experiment("served")
        run = remote.create_run(exp, run_name="r")
        remote.log_batch(run.info.run_id, params=[Param("lr", "0.1")])
        remote.log_metric(run.info.run_id, "loss", 0.5, step=3)
        found = remote.search_runs([exp], "params.lr = '0.1' AND metrics.loss < 1")
        assert [r.info.run_id for r in found] == [run.info.run_id]
        assert remote.search_runs([exp], "params.lr = '0.1 '") == []
    # What the server stored is in the database itself.
    direct = runlab.RunlabClient(mysql_url).get_run(run.info.run_id)
    assert direct.data.metrics == {"loss": 0.5}


def test_ids_come_from_lastrowid_so_mysql_8_without_returning_works(mysql_url: str) -> None:
    """MySQL 8 has no ``INSERT … RETURNING`` (MariaDB has): the store reads new ids from
    the cursor's lastrowid. The engine here is told the server cannot return rows, as
    SQLAlchemy's MySQL 8 dialect says, and every statement is recorded."""
    from sqlalchemy import event

    from runlab.entities import RegisteredModel
    from runlab.store.imports import ModelRecord
    from runlab.store.sql.registry import SqlRegistryStore
    from runlab.store.sql.store import SqlStore

    store = SqlStore(mysql_url, "/tmp/artifacts")
    dialect = store.db.engine.dialect
    dialect.insert_returning = dialect.update_returning = dialect.delete_returning = False
    sent: list[str] = []
    event.listen(
        store.db.engine, "before_cursor_execute", lambda *a: sent.append(str(a[2])), retval=False
    )
    try:
        first = store.create_experiment("no-returning-1")
        second = store.create_experiment("no-returning-2")
        assert int(second) > int(first)
        assert store.get_experiment(second).artifact_location.endswith(f"/{second}")
        registry = SqlRegistryStore(store.db)
        registry.create_registered_model("no-returning-model", tags={"k": "v"})
        assert registry.get_registered_model("no-returning-model").tags == {"k": "v"}
        registry.import_registered_model(
            ModelRecord(RegisteredModel("imported-model", 1, tags={"a": "b"}))
        )
        assert registry.get_registered_model("imported-model").tags == {"a": "b"}
    finally:
        store.close()
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    assert inserts
    assert not [s for s in inserts if "RETURNING" in s.upper()]
