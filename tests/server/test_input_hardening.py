"""Hostile and odd inputs get a 400 naming the field, never a 500; a 500 shows no internals;
every answer carries a request id; errors keep the connection; odd file names download.

In-process through the app factory where the app's answer is what is tested, and
against a real ``runlab server`` for connections, Content-Length and a real failure.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from tests._servers import start_runlab_server
from tests.server.conftest import API, make_client

from runlab.errors import StorageError
from runlab.server._artifact_access import content_disposition
from runlab.server.auth.rules import access
from runlab.store import filter as flt
from runlab.store.artifacts import get_artifact_repository

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
INT64_MAX = 2**63 - 1


def _error(r: httpx.Response, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error_code", "message"}
    return str(body["message"])


def _post_raw(client: TestClient, path: str, raw: str) -> httpx.Response:
    """POST JSON text as written (so it may carry escapes no encoder would produce)."""
    return client.post(
        f"{API}/{path}", content=raw.encode(), headers={"content-type": "application/json"}
    )


@pytest.fixture
def run_id(api: Any) -> str:
    return api.new_run()


# ------------------------------------------------------------------ request id, 500s


def test_every_answer_carries_a_request_id(server: TestClient) -> None:
    answers = [
        server.get("/health"),
        server.get(f"{API}/experiments/get", params={"experiment_id": "0"}),
        server.get(f"{API}/experiments/get", params={"experiment_id": "12345"}),  # 404
        server.get(f"{API}/nowhere"),
        server.delete(f"{API}/experiments/get"),  # 405
        _post_raw(server, "experiments/create", "{not json"),
    ]
    ids = [r.headers["x-request-id"] for r in answers]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_a_sane_incoming_request_id_is_kept_and_others_replaced(server: TestClient) -> None:
    r = server.get("/health", headers={"X-Request-Id": "lb-7f3a:2024.1"})
    assert r.headers["x-request-id"] == "lb-7f3a:2024.1"
    for insane in ("a b", "x" * 129, "<script>", "id;drop"):
        r = server.get("/health", headers={"X-Request-Id": insane})
        assert r.headers["x-request-id"] != insane
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def _app_with_failing_routes(tmp_path: Path) -> tuple[TestClient, Any]:
    client, store, _ = make_client(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    secret = str(tmp_path / "secret" / "store.db")

    @access("public")
    def bug() -> None:
        raise KeyError(f"internal detail {secret}")

    @access("public")
    def storage() -> None:
        raise StorageError(f"could not read {secret}: no such table: runs")

    client.app.router.add_api_route("/api/2.0/test/bug", bug)
    client.app.router.add_api_route("/api/2.0/test/storage", storage)
    return TestClient(client.app, raise_server_exceptions=False), store


@pytest.mark.parametrize("route", ["bug", "storage"])
def test_a_500_names_only_the_request_id_and_the_log_has_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, route: str
) -> None:
    client, store = _app_with_failing_routes(tmp_path)
    with client, caplog.at_level(logging.ERROR, logger="runlab.server"):
        r = client.get(f"/api/2.0/test/{route}", headers={"X-Request-Id": "req-42"})
    store.close()
    assert r.status_code == 500
    assert r.json() == {
        "error_code": "INTERNAL_ERROR",
        "message": "internal server error; request id req-42",
    }
    assert r.headers["x-request-id"] == "req-42"
    assert str(tmp_path) not in r.text
    logged = [rec for rec in caplog.records if "req-42" in rec.getMessage()]
    assert logged
    assert logged[0].exc_info is not None
    assert "secret" in str(logged[0].exc_info[1])


def test_a_404_does_not_show_the_proxy_destination_folder(
    server: TestClient, tmp_path: Path, run_id: str
) -> None:
    answers = [
        server.get(f"{PROXY}/missing.txt"),
        server.get("/get-artifact", params={"run_id": run_id, "path": "missing.txt"}),
        server.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "nothing"}),
    ]
    for r in answers:
        if r.status_code == 200:  # listing a missing folder is an empty list
            assert r.json().get("files", []) == []
            continue
        message = _error(r, 404)
        assert str(tmp_path) not in message
        assert "proxied" not in message
        assert "mlflow-artifacts:" in message


# ------------------------------------------------------------------ surrogates and NUL

# (route, JSON text with {s} where the bad string goes, the field the message names)
STRING_FIELDS = [
    ("experiments/create", '{{"name": "{s}"}}', "name"),
    (
        "experiments/create",
        '{{"name": "e", "tags": [{{"key": "k", "value": "{s}"}}]}}',
        "tags[0].value",
    ),
    ("runs/create", '{{"experiment_id": "0", "run_name": "{s}"}}', "run_name"),
    ("runs/log-parameter", '{{"run_id": "RUN", "key": "{s}", "value": "v"}}', "key"),
    ("runs/log-parameter", '{{"run_id": "RUN", "key": "k", "value": "{s}"}}', "value"),
    ("runs/log-metric", '{{"run_id": "RUN", "key": "{s}", "value": 1, "timestamp": 1}}', "key"),
    ("runs/set-tag", '{{"run_id": "RUN", "key": "{s}", "value": "v"}}', "key"),
    ("runs/set-tag", '{{"run_id": "RUN", "key": "k", "value": "{s}"}}', "value"),
    (
        "runs/log-batch",
        '{{"run_id": "RUN", "params": [{{"key": "p", "value": "{s}"}}]}}',
        "params[0].value",
    ),
    ("runs/search", '{{"experiment_ids": ["0"], "filter": "params.a = \'{s}\'"}}', "filter"),
    ("registered-models/create", '{{"name": "{s}"}}', "name"),
    ("registered-models/create", '{{"name": "m", "description": "{s}"}}', "description"),
    ("experiments/create", '{{"name": "e", "{s}": 1}}', "key"),  # an object key
]


@pytest.mark.parametrize(("path", "template", "field"), STRING_FIELDS)
@pytest.mark.parametrize(
    ("bad", "rule"), [("\\ud800", "surrogate"), ("a\\udfffb", "surrogate"), ("a\\u0000b", "NUL")]
)
def test_lone_surrogates_and_nul_in_any_json_string_are_400(
    server: TestClient, run_id: str, path: str, template: str, field: str, bad: str, rule: str
) -> None:
    raw = template.format(s=bad).replace("RUN", run_id)
    message = _error(_post_raw(server, path, raw))
    assert message.startswith(field) or f" {field}" in message.split(":")[0], message
    assert rule in message


def test_a_surrogate_pair_is_a_character_and_is_stored(server: TestClient) -> None:
    r = _post_raw(server, "experiments/create", '{"name": "run \\ud83d\\ude00"}')
    assert r.status_code == 200, r.text
    got = server.get(f"{API}/experiments/get", params={"experiment_id": r.json()["experiment_id"]})
    assert got.json()["experiment"]["name"] == "run \U0001f600"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("experiments/get-by-name?experiment_name=%ED%A0%80", "experiment_name"),
        ("experiments/get-by-name?experiment_name=a%00b", "experiment_name"),
        ("experiments/get-by-name?experiment_name=%FF%FE", "experiment_name"),
        ("registered-models/get?name=m%00", "name"),
        ("runs/get?run_id=%ED%B0%80", "run_id"),
        ("experiments/get-by-name?%ED%A0%80=x", "query parameter name"),
    ],
)
def test_bad_bytes_in_query_parameters_are_400(server: TestClient, query: str, field: str) -> None:
    message = _error(server.get(f"{API}/{query}"))
    assert message.startswith(f"{field}:"), message


@pytest.mark.parametrize(
    "request_args",
    [
        ("PUT", f"{PROXY}/a%00b.txt", {}),
        ("GET", f"{PROXY}/a%00b.txt", {}),
        ("GET", f"{PROXY}/%ED%A0%80.txt", {}),
        ("GET", "/get-artifact", {"path": "a\x00b.txt"}),
        ("GET", f"{API}/artifacts/list", {"path": "a\x00b"}),
    ],
)
def test_nul_and_bad_bytes_in_artifact_paths_are_400(
    server: TestClient, run_id: str, request_args: tuple[str, str, dict[str, str]]
) -> None:
    method, url, params = request_args
    if params:
        params = {**params, "run_id": run_id}
    r = server.request(
        method, url, params=params or None, content=b"x" if method == "PUT" else None
    )
    message = _error(r)
    assert "NUL" in message or "UTF-8" in message, message


# ------------------------------------------------------------------ int64 fields


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("GET", "experiments/get", {"experiment_id": str(2**63)}, "experiment_id"),
        ("GET", "experiments/get", {"experiment_id": "9" * 40}, "experiment_id"),
        ("POST", "runs/create", {"experiment_id": str(2**63)}, "experiment_id"),
        ("POST", "runs/search", {"experiment_ids": [str(2**63)]}, "experiment_ids"),
        ("POST", "runs/search", {"experiment_ids": ["0"], "max_results": 2**63}, "max_results"),
        ("POST", "experiments/search", {"max_results": -(2**63) - 1}, "max_results"),
        ("POST", "runs/log-metric", {"key": "m", "value": 1, "timestamp": 2**63}, "timestamp"),
        (
            "POST",
            "runs/log-metric",
            {"key": "m", "value": 1, "timestamp": 1, "step": -(2**63) - 1},
            "step",
        ),
        ("POST", "runs/log-metric", {"key": "m", "value": 1, "timestamp": str(2**64)}, "timestamp"),
        (
            "GET",
            "metrics/get-history",
            {"metric_key": "m", "max_results": str(2**63)},
            "max_results",
        ),
        ("GET", "model-versions/get", {"name": "m", "version": str(2**63)}, "version"),
    ],
)
def test_numbers_past_int64_are_400_naming_the_field(
    server: TestClient, run_id: str, method: str, path: str, payload: dict[str, Any], field: str
) -> None:
    if path.startswith(("runs/log", "metrics/")):
        payload = {**payload, "run_id": run_id}
    if method == "GET":
        r = server.get(f"{API}/{path}", params=payload)
    else:
        r = server.post(f"{API}/{path}", json=payload)
    assert field in _error(r)


def test_the_int64_extremes_themselves_are_accepted(server: TestClient, run_id: str) -> None:
    for step in (INT64_MAX, -(2**63)):
        r = server.post(
            f"{API}/runs/log-metric",
            json={"run_id": run_id, "key": "m", "value": 1, "timestamp": 1, "step": step},
        )
        assert r.status_code == 200, r.text


# ------------------------------------------------------------------ search filter size

SEARCHES = [
    ("POST", "runs/search", {"experiment_ids": ["0"]}, "params.a = '{i}'"),
    ("POST", "experiments/search", {}, "name = 'e{i}'"),
    ("GET", "registered-models/search", {}, "name = 'm{i}'"),
    ("GET", "model-versions/search", {}, "name = 'm{i}'"),
    ("POST", "logged-models/search", {"experiment_ids": ["0"]}, "name = 'm{i}'"),
]


def _search(server: TestClient, method: str, path: str, base: dict[str, Any], text: str) -> Any:
    if method == "GET":
        return server.get(f"{API}/{path}", params={**base, "filter": text})
    return server.post(f"{API}/{path}", json={**base, "filter": text})


@pytest.mark.parametrize(("method", "path", "base", "clause"), SEARCHES)
@pytest.mark.parametrize("joiner", [" AND ", " OR "])
def test_a_filter_over_the_clause_limit_is_400_naming_filter_and_the_limit(
    server: TestClient, method: str, path: str, base: dict[str, Any], clause: str, joiner: str
) -> None:
    text = joiner.join(clause.format(i=i) for i in range(1000))
    message = _error(_search(server, method, path, base, text))
    assert message.startswith("filter:")
    assert str(flt.MAX_FILTER_CLAUSES) in message


@pytest.mark.parametrize(("method", "path", "base", "clause"), SEARCHES)
def test_a_filter_at_the_clause_limit_runs(
    server: TestClient, method: str, path: str, base: dict[str, Any], clause: str
) -> None:
    # Both joiners, nested: the SQL must stay shallow on every database.
    half = flt.MAX_FILTER_CLAUSES // 2
    ors = " OR ".join(clause.format(i=i) for i in range(half))
    ands = " AND ".join(clause.format(i=i) for i in range(half - 1))
    r = _search(server, method, path, base, f"({ors}) AND {ands} AND {clause.format(i=0)}")
    assert r.status_code == 200, r.text[:300]


def test_runs_match_a_filter_of_200_or_clauses(api: Any) -> None:
    wanted = {api.new_run(): str(i) for i in (3, 150, 199)}
    for run, value in wanted.items():
        api.ok_post("runs/log-parameter", {"run_id": run, "key": "a", "value": value})
    other = api.new_run()
    api.ok_post("runs/log-parameter", {"run_id": other, "key": "a", "value": "500"})
    text = " OR ".join(f"params.a = '{i}'" for i in range(flt.MAX_FILTER_CLAUSES))
    found = api.ok_post("runs/search", {"experiment_ids": ["0"], "filter": text})["runs"]
    assert {r["info"]["run_id"] for r in found} == set(wanted)


def _nesting(sql: str) -> int:
    depth = deepest = 0
    for char in sql:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest


def test_long_and_or_chains_compile_to_shallow_sql() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    from runlab.store.sql.run_search import run_filter_sql
    from runlab.store.sql.search import experiment_filter_clause

    n = flt.MAX_FILTER_CLAUSES
    runs_sql = run_filter_sql(flt.parse_run_filter(" AND ".join(["attributes.status = 'A'"] * n)))
    assert runs_sql is not None
    assert runs_sql[0].count("?") == n
    assert _nesting(runs_sql[0]) <= 10  # log2(200) levels, not 200
    clause = experiment_filter_clause(flt.parse_experiment_filter(" OR ".join(["name = 'x'"] * n)))
    assert clause is not None
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert _nesting(str(clause.compile(dialect=dialect))) <= 10


def test_an_in_list_over_the_value_limit_is_400(server: TestClient) -> None:
    values = ",".join(f"'{i}'" for i in range(flt.MAX_IN_VALUES + 1))
    r = server.post(
        f"{API}/runs/search", json={"experiment_ids": ["0"], "filter": f"params.a IN ({values})"}
    )
    message = _error(r)
    assert message.startswith("filter:")
    assert str(flt.MAX_IN_VALUES) in message
    assert len(message) < 300  # the filter text is not echoed back


# ------------------------------------------------------------------ artifact names


@pytest.mark.parametrize("name", ["a" * 256, "é" * 128, "模" * 86, f"d/{'x' * 300}/f.txt"])
def test_an_artifact_name_over_255_bytes_is_400(server: TestClient, run_id: str, name: str) -> None:
    for r in (
        server.put(f"{PROXY}/{quote(name)}", content=b"x"),
        server.get("/get-artifact", params={"run_id": run_id, "path": name}),
    ):
        message = _error(r)
        assert "255 bytes" in message, message


def test_a_name_of_255_bytes_is_stored(server: TestClient) -> None:
    name = "模" * 85  # 255 bytes in UTF-8
    assert server.put(f"{PROXY}/{quote(name)}", content=b"ok").status_code == 200
    assert server.get(f"{PROXY}/{quote(name)}").content == b"ok"


def test_a_path_too_long_for_the_file_system_is_400(server: TestClient) -> None:
    deep = "/".join(["d" * 250] * 20) + "/f.txt"  # every name fine, the whole past PATH_MAX
    assert "too long" in _error(server.put(f"{PROXY}/{deep}", content=b"x"))


def _download_urls(run_id: str, run_path: str) -> list[tuple[str, dict[str, str] | None]]:
    relative = f"0/{run_id}/artifacts/{run_path}"
    return [
        (f"{PROXY}/{quote(relative)}", None),
        (f"/ajax-api/2.0/mlflow-artifacts/artifacts/{quote(relative)}", None),
        ("/get-artifact", {"run_id": run_id, "path": run_path}),
        ("/api/2.0/runlab/artifacts/get", {"run_id": run_id, "path": run_path}),
        ("/ajax-api/2.0/runlab/artifacts/get", {"run_id": run_id, "path": run_path}),
    ]


ROUTE_IDS = ["proxy", "proxy-ajax", "get-artifact", "runlab", "runlab-ajax"]


def _disposition_name(header: str) -> str:
    """The file name a client reads from ``filename*`` (RFC 5987), with checks on the form."""
    assert not re.search(r"[\x00-\x1f\x7f]", header), header
    parts = header.split("; ")
    assert len(parts) == 3, header
    assert parts[0] in ("attachment", "inline")
    assert re.fullmatch(r'filename="[ -~]*"', parts[1]), header
    assert parts[1].count('"') == 2, header
    assert parts[2].startswith("filename*=UTF-8''"), header
    encoded = parts[2].removeprefix("filename*=UTF-8''")
    assert re.fullmatch(r"[A-Za-z0-9%._~-]*", encoded), header
    return unquote(encoded)


NAMES = ["模型.txt", "résumé final.csv", 'say "hi".txt', "a;b=c.txt", "x\r\nSet-Cookie: y.txt"]
# A path parameter stops at a line break (Starlette's path pattern), so that name is
# reached through the routes that take the path as a query parameter.
DOWNLOADS = [
    pytest.param(route, name, id=f"{ROUTE_IDS[route]}-{name!r}")
    for route in range(len(ROUTE_IDS))
    for name in NAMES
    if not ("\n" in name and ROUTE_IDS[route].startswith("proxy"))
]


@pytest.mark.parametrize(("route", "name"), DOWNLOADS)
def test_any_file_name_downloads_through_every_route(
    server: TestClient, tmp_path: Path, run_id: str, route: int, name: str
) -> None:
    # Written as a client with storage access would (a line break is no problem there).
    repo = get_artifact_repository(str(tmp_path / "proxied"))
    repo.write_bytes(f"0/{run_id}/artifacts/sub/{name}", "contenu ✓".encode())
    listing = server.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "sub"})
    assert [f["path"] for f in listing.json()["files"]] == [f"sub/{name}"]
    url, params = _download_urls(run_id, f"sub/{name}")[route]
    r = server.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.content == "contenu ✓".encode()
    assert _disposition_name(r.headers["content-disposition"]) == name
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize("name", ['a\\b"c;d', "\x01\x7f", "", "%41", "模型"])
def test_the_disposition_header_has_a_safe_ascii_fallback(name: str) -> None:
    header = content_disposition("attachment", name)
    assert _disposition_name(header) == name
    fallback = header.split("; ")[1]
    assert not set("\\;%") & set(fallback)
    assert fallback != 'filename=""'


# ------------------------------------------------------------------ 405


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", f"{API}/experiments/get", {"GET", "HEAD"}),
        ("GET", f"{API}/experiments/create", {"POST"}),
        ("POST", f"{PROXY}/some/file.txt", {"GET", "HEAD", "PUT", "DELETE"}),
        ("PATCH", "/get-artifact", {"GET", "HEAD"}),
        ("PUT", "/ajax-api/2.0/mlflow/registered-models/get", {"GET", "HEAD"}),
    ],
)
def test_a_405_lists_the_allowed_methods(
    server: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    r = server.request(method, path)
    message = _error(r, 405)
    assert set(r.headers["allow"].split(", ")) == allowed
    assert r.headers["allow"] in message


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("experiments/search", {"GET", "HEAD", "POST"}),
        ("registered-models/alias", {"GET", "HEAD", "POST", "DELETE"}),
    ],
)
def test_allow_lists_every_route_of_a_path(
    server: TestClient, path: str, allowed: set[str]
) -> None:
    # Each method of these paths is a route of its own; FastAPI's 405 names only one.
    r = server.put(f"{API}/{path}")
    assert set(r.headers["allow"].split(", ")) == allowed


# ------------------------------------------------------------------ a live server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("live")
    db = root / "store.db"
    args = ("--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", str(root / "art"))
    with start_runlab_server(root, *args, "--max-request-bytes", "4096") as (base_url, _):
        yield base_url, root


def _local_port(r: httpx.Response) -> int:
    return int(r.extensions["network_stream"].get_extra_info("client_addr")[1])


def test_errors_keep_the_connection_open(live: tuple[str, Path]) -> None:
    base_url, _ = live
    bad: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", f"{API}/experiments/create", {"content": b"{nope"}, 400),
        ("POST", f"{API}/experiments/create", {"json": {"name": "a\x00"}}, 400),
        ("GET", f"{API}/nowhere", {}, 404),
        ("DELETE", f"{API}/experiments/get", {}, 405),
        ("PUT", f"{PROXY}/a%5Cb.txt", {"content": b"x" * 100_000}, 400),  # body unread
        ("PUT", f"{PROXY}/{'a' * 300}", {"content": b"x" * 100_000}, 400),
        (
            "POST",
            "/api/2.0/mlflow-artifacts/mpu/create/x",
            {"json": {"path": "y", "num_parts": 0}},
            400,
        ),
        ("PUT", "/api/2.0/mlflow-artifacts/mpu/upload/bad-id/1", {"content": b"x" * 50_000}, 400),
        ("POST", f"{API}/experiments/create", {"json": {"name": "x" * 10_000}}, 413),
        ("POST", f"{API}/runs/search", {"content": (b"x" * 1000 for _ in range(10))}, 413),
    ]
    with httpx.Client(base_url=base_url, timeout=30) as http:
        port = _local_port(http.get("/health"))
        for method, url, kwargs, status in bad:
            r = http.request(method, url, **kwargs)
            assert r.status_code == status, (url, r.text)
            assert "close" not in r.headers.get("connection", ""), url
            ok = http.get("/health")
            assert ok.status_code == 200
            assert _local_port(r) == _local_port(ok) == port, f"{method} {url} lost the connection"


def _raw_request(base_url: str, head: str, body: bytes = b"") -> tuple[int, bytes]:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        status = int(data.split(b" ", 2)[1])
        headers, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", headers, re.I).group(1))  # type: ignore[union-attr]
        while len(rest) < length:
            rest += sock.recv(65536)
    return status, rest


def test_an_upload_without_a_length_is_411_and_writes_nothing(live: tuple[str, Path]) -> None:
    base_url, root = live
    head = f"PUT {PROXY}/lengthless.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    status, body = _raw_request(base_url, head)
    assert status == 411
    message = json.loads(body)["message"]
    assert "Content-Length" in message
    assert "chunked" in message
    assert not (root / "art" / "lengthless.txt").exists()


def test_an_empty_upload_with_content_length_0_is_a_0_byte_artifact(
    live: tuple[str, Path],
) -> None:
    base_url, root = live
    head = f"PUT {PROXY}/empty.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
    assert _raw_request(base_url, head)[0] == 200
    assert (root / "art" / "empty.txt").read_bytes() == b""
    chunked = (
        f"PUT {PROXY}/chunked.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    )
    assert _raw_request(base_url, chunked, b"3\r\nabc\r\n0\r\n\r\n")[0] == 200
    assert (root / "art" / "chunked.txt").read_bytes() == b"abc"


def test_a_broken_database_is_a_500_without_internals_and_the_log_has_the_id(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.db"
    with start_runlab_server(tmp_path, "--backend-store-uri", f"sqlite:///{db}") as (base_url, _):
        with httpx.Client(base_url=base_url, timeout=30) as http:
            run = http.post(f"{API}/runs/create", json={"experiment_id": "0"}).json()
            run_id = run["run"]["info"]["run_id"]
            with sqlite3.connect(db) as conn:  # the damage: a table is gone
                conn.execute("DROP TABLE params")
            r = http.get(f"{API}/runs/get", params={"run_id": run_id})
            assert r.status_code == 500
            request_id = r.headers["x-request-id"]
            assert r.json() == {
                "error_code": "INTERNAL_ERROR",
                "message": f"internal server error; request id {request_id}",
            }
            ok = http.get("/health")
            assert ok.status_code == 200
            assert _local_port(ok) == _local_port(r)
        log = next(tmp_path.glob("runlab-server-*.log")).read_text()
    line = next(line for line in log.splitlines() if request_id in line)
    assert "runs/get" in line
    after = log[log.index(line) :]
    assert "Traceback" in after
    assert "no such table: params" in after
