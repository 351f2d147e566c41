"""Property-based fuzzing of every operation in the OpenAPI document: no input makes a 5xx.

schemathesis generates requests from ``/api/openapi.json`` (valid and invalid bodies,
query strings and paths) and sends them to the app in-process; successful answers must
also match the response schema the document declares. A bounded number of
examples per operation keeps the whole run short.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from runlab.server.app import create_app
from runlab.server.settings import ServerSettings
from runlab.store.sql.store import SqlStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    import schemathesis.pytest
    from schemathesis.checks import response_schema_conformance

MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    root = tmp_path_factory.mktemp("fuzz")
    store = SqlStore(f"sqlite:///{root / 'fuzz.db'}", "mlflow-artifacts:/")
    app = create_app(store, ServerSettings(artifacts_destination=str(root / "artifacts")))
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)
    store.close()


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_request_makes_a_server_error(case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code == 200:  # an answer matches the shape the document gives
        case.validate_response(response, checks=[response_schema_conformance])
    if case.path.startswith("/api/2.0/mlflow/") and response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error_code", "message"}
