"""MLflow sources for the import tests, each made once per session by the real mlflow library.

Making the data (and reading it back through MlflowClient) is the slow part of these tests,
so every source is made once and shared: an import only reads its source, and each test
imports into a store of its own.

=========================  ================================================================
fixture                    source
=========================  ================================================================
``mlflow_files``           MLflow's file store folder
``mlflow_sqlite``          an MLflow SQLite database (artifacts in a local folder)
``mlflow_postgres``        an MLflow database on the test PostgreSQL cluster
``mlflow_mysql``           an MLflow database on the test MariaDB server
``mlflow_live_server``     ``mlflow server`` with its artifact proxy
``mlflow_auth_server``     ``mlflow server --app-name basic-auth`` (``.env``: its admin's
                           credentials as MlflowClient takes them)
=========================  ================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.migrate._helpers import made_by_mlflow, mlflow_server

import _mysql
import _postgres

AUTH_USER = "admin"  # the basic-auth app's admin account, created at its first start
AUTH_PASSWORD = "migrate-test-password"


@dataclass(frozen=True)
class MlflowSource:
    uri: str  # what ``runlab import-mlflow`` is given
    data: dict[str, Any]  # what MlflowClient reads back from it (assert_same copies it)
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def mlflow_files(tmp_path_factory: pytest.TempPathFactory) -> MlflowSource:
    root = tmp_path_factory.mktemp("mlflow-files")
    uri = str(root / "mlruns")
    return MlflowSource(uri, made_by_mlflow(root, uri))


@pytest.fixture(scope="session")
def mlflow_sqlite(tmp_path_factory: pytest.TempPathFactory) -> MlflowSource:
    root = tmp_path_factory.mktemp("mlflow-sqlite")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    return MlflowSource(uri, made_by_mlflow(root, uri))


@pytest.fixture(scope="session")
def mlflow_postgres(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowSource]:
    url = _postgres.create_database(postgres_server, prefix="mlflow")
    data = made_by_mlflow(tmp_path_factory.mktemp("mlflow-postgres"), url)
    # runlab is given the URL as a user writes it: no driver named
    yield MlflowSource(url.replace("postgresql+psycopg://", "postgresql://", 1), data)
    _postgres.drop_database(postgres_server, url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def mlflow_mysql(
    mysql_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowSource]:
    url = _mysql.create_database(mysql_server, prefix="mlflow")
    data = made_by_mlflow(tmp_path_factory.mktemp("mlflow-mysql"), url)
    yield MlflowSource(url.replace("mysql+pymysql://", "mysql://", 1), data)
    _mysql.drop_database(mysql_server, url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def mlflow_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowSource]:
    root = tmp_path_factory.mktemp("mlflow-server")
    with mlflow_server(root) as url:
        yield MlflowSource(url, made_by_mlflow(root, url))


@pytest.fixture(scope="session")
def mlflow_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowSource]:
    root = tmp_path_factory.mktemp("mlflow-auth-server")
    server_env = {
        "MLFLOW_AUTH_ADMIN_PASSWORD": AUTH_PASSWORD,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "migrate-test-secret",  # its CSRF protection
    }
    client_env = {"MLFLOW_TRACKING_USERNAME": AUTH_USER, "MLFLOW_TRACKING_PASSWORD": AUTH_PASSWORD}
    with mlflow_server(root, "--app-name", "basic-auth", env=server_env) as url:
        yield MlflowSource(url, made_by_mlflow(root, url, env=client_env), client_env)
