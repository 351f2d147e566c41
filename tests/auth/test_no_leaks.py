"""carol, who has no permission on alice's experiment or model, never gets alice's data.

Against a live ``runlab server --auth --auth-default-permission NO_PERMISSIONS``
(:mod:`tests.auth._live_team`, over SQLite and PostgreSQL):

- a property test sends requests generated from the server's own OpenAPI document as
  carol over real HTTP: every operation, with path, query and JSON values drawn mostly
  from the ids that matter (alice's and carol's runs, experiments, models and artifact
  paths) and keys repeated, in either order, in query strings and in JSON bodies.
  No answer is a 5xx, alice's param value and artifact bytes never appear in a body or
  a header, and alice's run id never appears in a 2xx body (an error may quote the
  id carol sent: echoing her own input reveals nothing);
- regression tests send ``?key=<carol's>&key=<alice's>`` (both orders) to every GET
  route that names a run, experiment, model, user or artifact path; a single-valued
  parameter given twice is a 400 that names it. The table of those routes is checked
  against the app's routes, so a new such route cannot be left out.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests import _postgres
from tests.auth._live_team import (
    SECRET_BYTES,
    SECRET_PARAM,
    LiveTeam,
    Side,
    start_live_team,
)

from runlab.server._routing import iter_routes
from runlab.server.app import create_app
from runlab.server.settings import ServerSettings
from runlab.store.sql.store import SqlStore

MAX_EXAMPLES = 1500
BUDGET_SECONDS = 30.0  # of generated requests per database; the examples stop earlier if done

# Operations that would end carol's own sign-in, and signing in (wrong passwords lock an
# account for a while, alice's too); everything else is fair game.
SKIPPED = {
    ("PATCH", "/api/2.0/mlflow/users/update-password"),
    ("DELETE", "/api/2.0/mlflow/users/delete"),
    ("DELETE", "/api/2.0/runlab/users/{username}"),
    ("POST", "/api/2.0/runlab/session"),
}
# A GET query parameter with such a name picks what is read: every route with one is in ROUTES.
NAMING = re.compile(r"(^|_)(id|ids|name|path|key|username)$")
PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveTeam]:
    """One live team per database for the whole module (a server start is slow)."""
    tmp = tmp_path_factory.mktemp(f"team-{request.param}")
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp / 'runlab.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        uri = _postgres.create_database(server)
    try:
        with pytest.MonkeyPatch.context() as mp, start_live_team(uri, tmp, mp) as live:
            yield live
    finally:
        if request.param == "postgres":
            _postgres.drop_database(server, uri.rsplit("/", 1)[1])


# ----------------------------------------------------------------------- leak checks
def _proxy_dir(artifact_uri: str) -> str:
    return artifact_uri.removeprefix("mlflow-artifacts:").lstrip("/")


def assert_no_leak(team: LiveTeam, response: httpx.Response, *, run_id_allowed: bool) -> None:
    """alice's secrets never reach carol; her run id not in a successful answer."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    where = f"{response.request.method} {response.request.url} -> {response.status_code}"
    for secret in (SECRET_PARAM.encode(), SECRET_BYTES):
        assert secret not in response.content, (where, response.text[:500])
        assert secret not in headers, (where, headers)
    if response.is_success and not run_id_allowed:
        assert team.alice.run_id.encode() not in response.content, (where, response.text[:500])


# --------------------------------------------------------- generated requests (property)
@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: tuple[tuple[str, str, bool, dict[str, Any]], ...]  # name, in, required, schema
    body: dict[str, Any] | None  # the JSON schema, $refs resolved lazily
    binary: bool


def operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if (method.upper(), path) in SKIPPED:
                continue
            params = tuple(
                (p["name"], p["in"], p.get("required", False), p.get("schema", {}))
                for p in op.get("parameters", [])
            )
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            binary = "application/octet-stream" in content
            found.append(Operation(method.upper(), path, params, body, binary))
    return found


class Pools:
    """What carol might send, by the kind of field: mostly ids of both users."""

    def __init__(self, team: LiveTeam) -> None:
        a, c = team.alice, team.carol
        files = [f"{_proxy_dir(s.artifact_uri)}/secret.txt" for s in (a, c)]
        dirs = [_proxy_dir(s.artifact_uri) for s in (a, c)]
        self.runs = [a.run_id, c.run_id]
        self.experiments = [a.experiment_id, c.experiment_id, "0"]
        self.names = [a.model, c.model, "alice-exp", "carol-exp", "alice", "carol"]
        self.paths = [*files, *dirs, *(d.rsplit("/", 1)[0] for d in dirs), "secret.txt", ""]
        self.paths += [a.experiment_id, "artifacts/secret.txt", "model"]
        self.users = ["alice", "carol", "root"]
        # Free text never holds alice's run id, so a stored value cannot look like a leak.
        self.other = ["1", "0", "-1", "secret", "loss", "model", "x", "", "Production", "READ"]
        self.other += [a.experiment_id, c.experiment_id, c.run_id, "alice-model", "carol-exp"]

    def for_name(self, name: str) -> list[str]:
        if "run" in name and ("id" in name or "uuid" in name):
            return self.runs
        if name.startswith("experiment_id"):
            return self.experiments
        if name in ("path", "artifact_path") or name.endswith("_path"):
            return self.paths
        if name == "username":
            return self.users
        if "name" in name:
            return self.names
        return self.other

    def value(self, name: str) -> st.SearchStrategy[str]:
        return st.one_of(
            st.sampled_from(self.for_name(name)),
            st.sampled_from(self.other),
            st.text(max_size=12),
        )

    def pair(self, name: str) -> st.SearchStrategy[list[str]]:
        """Two values for one key (a repeated key), in either order."""
        choices = self.for_name(name)
        return st.permutations(choices[:2] if len(choices) >= 2 else [*choices, "x"])


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return document["components"]["schemas"][name]  # type: ignore[no-any-return]
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null":
            return _resolve(document, option)
    return schema


def json_value(
    document: dict[str, Any], pools: Pools, name: str, schema: dict[str, Any], depth: int = 0
) -> st.SearchStrategy[Any]:
    schema = _resolve(document, schema)
    kind = schema.get("type")
    if kind == "object" and depth < 4:
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fields = {
            key: json_value(document, pools, key, sub, depth + 1) for key, sub in props.items()
        }
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
    if kind == "array" and depth < 4:
        item = schema.get("items", {"type": "string"})
        return st.lists(json_value(document, pools, name, item, depth + 1), max_size=3)
    if kind in ("integer", "number"):
        return st.one_of(st.integers(-2, 3), pools.value(name))
    if kind == "boolean":
        return st.booleans()
    return pools.value(name)


def json_body(
    document: dict[str, Any], pools: Pools, schema: dict[str, Any]
) -> st.SearchStrategy[bytes]:
    """A JSON body as bytes; sometimes with one key written twice (carol's and alice's
    value, either first), which json.dumps cannot produce."""
    plain = json_value(document, pools, "", schema)
    properties = list(_resolve(document, schema).get("properties", {}))

    @st.composite
    def repeated(draw: st.DrawFn) -> bytes:
        body = draw(plain)
        if not isinstance(body, dict) or not properties:
            return json.dumps(body).encode()
        key = draw(st.sampled_from(properties))
        body.pop(key, None)
        first, second = draw(pools.pair(key))
        inner = json.dumps(body)[1:-1]
        pairs = [f"{json.dumps(key)}: {json.dumps(first)}", f"{json.dumps(key)}: "]
        pairs[1] += json.dumps(second)
        text = "{" + ", ".join(([inner] if inner else []) + pairs) + "}"
        return text.encode()

    return st.one_of(plain.map(lambda b: json.dumps(b).encode()), repeated())


@st.composite
def request_of(
    draw: st.DrawFn, document: dict[str, Any], pools: Pools, ops: list[Operation]
) -> tuple[str, str, list[tuple[str, str]], bytes | None]:
    op = draw(st.sampled_from(ops))
    url = op.path
    query: list[tuple[str, str]] = []
    for name, where, required, schema in op.params:
        if where == "path":
            value = draw(pools.value(name).filter(bool))
            url = url.replace(f"{{{name}}}", quote(value, safe="/" if name == "path" else ""))
        elif draw(st.integers(0, 9)) < (9 if required else 5):
            if draw(st.integers(0, 3)) == 0:  # the same key twice, either order
                query += [(name, v) for v in draw(pools.pair(name))]
            else:
                value = draw(json_value(document, pools, name, schema, depth=4))
                query.append((name, str(value).lower() if isinstance(value, bool) else str(value)))
    if url.startswith("/api/") and draw(st.booleans()):
        url = "/ajax-api/" + url.removeprefix("/api/")  # the web UI's twin of each route
    content = None
    if op.body is not None:
        content = draw(json_body(document, pools, op.body))
    elif op.binary:
        content = draw(st.binary(max_size=64))
    return op.method, url, query, content


def check_write(
    team: LiveTeam, url: str, query: list[tuple[str, str]], content: bytes | None
) -> bool:
    """For a write carol got a 2xx for: assert it did not act on alice's run or files,
    and say whether it stored alice's run id elsewhere (a reference carol may read back).

    The request is taken as the server reads it: of a key given twice in a JSON body
    the last value counts, and ``run_id`` wins over ``run_uuid``.
    """
    alice = team.alice.run_id
    assert _proxy_dir(team.alice.artifact_uri) not in url, ("carol wrote alice's files", url)
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if "/runs/" in url and isinstance(body, dict):
        target = body.pop("run_id", None) or body.pop("run_uuid", None)
        body.pop("run_uuid", None)
        assert target != alice, ("carol wrote to alice's run", url, content)
    return alice in f"{url}{query}{json.dumps(body)}"


def test_carol_never_gets_alices_data(team: LiveTeam) -> None:
    carol = team.client("carol")
    document = carol.get("/api/openapi.json").json()
    ops = operations(document)
    assert len(ops) > 60, "the OpenAPI document lists fewer operations than expected"
    pools = Pools(team)
    stop_at = time.monotonic() + BUDGET_SECONDS
    state = {"failed": False, "sent": 0, "planted": False}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request_of(document, pools, ops))
    def probe(request: tuple[str, str, list[tuple[str, str]], bytes | None]) -> None:
        # Past the budget, stop sending; not while shrinking a failure, which must replay.
        if not state["failed"] and time.monotonic() > stop_at:
            return
        method, url, query, content = request
        headers = {"Content-Type": "application/json"} if content is not None else {}
        try:
            response = carol.request(method, url, params=query, content=content, headers=headers)
            state["sent"] += 1
            assert response.status_code < 500, (method, url, query, content, response.text)
            if method != "GET" and response.is_success and check_write(team, url, query, content):
                # carol stored alice's run id herself (a model's source run, say): this
                # answer and, from now on, a read of her own data may show it back.
                state["planted"] = True
            assert_no_leak(team, response, run_id_allowed=bool(state["planted"]))
        except AssertionError:
            state["failed"] = True
            raise

    probe()
    assert state["sent"] >= 50, f"only {state['sent']} requests were sent"
    # And nothing carol sent changed alice's data.
    run = team.get("alice", "/api/2.0/mlflow/runs/get", params={"run_id": team.alice.run_id})
    assert run.status_code == 200, run.text
    assert {"key": "secret", "value": SECRET_PARAM} in run.json()["run"]["data"]["params"]
    file = f"{_proxy_dir(team.alice.artifact_uri)}/secret.txt"
    assert team.get("alice", f"/api/2.0/mlflow-artifacts/artifacts/{file}").content == SECRET_BYTES
    model = team.get("alice", "/api/2.0/mlflow/model-versions/get", params=_version(team.alice))
    assert model.status_code == 200, model.text


# ------------------------------------------------------- repeated keys (regression table)
def _version(side: Side) -> dict[str, str]:
    return {"name": side.model, "version": "1"}


@dataclass(frozen=True)
class Attack:
    """Route ``key`` given carol's value and alice's; ``fixed`` are the other parameters."""

    key: str
    value: Callable[[Side, str], str]  # of a user's side and name
    fixed: tuple[tuple[str, str], ...] = ()
    status: int = 400  # 403 where the key takes many values (then alice's is refused)


_run = Attack("run_id", lambda s, _u: s.run_id)
_run_file = Attack("run_id", lambda s, _u: s.run_id, (("path", "secret.txt"),))
_model = Attack("name", lambda s, _u: s.model)
_model_version = Attack("name", lambda s, _u: s.model, (("version", "1"),))
_LOSS = (("metric_key", "loss"),)

# Keyed by the path after its prefix (/api/2.0/mlflow, /ajax-api/2.0/runlab, ...).
ROUTES: dict[str, Attack] = {
    "/experiments/get": Attack("experiment_id", lambda s, _u: s.experiment_id),
    "/experiments/get-by-name": Attack("experiment_name", lambda _s, user: f"{user}-exp"),
    "/runs/get": _run,
    "/metrics/get-history": Attack("run_id", lambda s, _u: s.run_id, _LOSS),
    "/metrics/get-history-bulk": Attack("run_id", lambda s, _u: s.run_id, _LOSS, status=403),
    "/metrics/get-history-bulk-interval": Attack(
        "run_ids", lambda s, _u: s.run_id, _LOSS, status=403
    ),
    "/metrics/downsampled": Attack("run_id", lambda s, _u: s.run_id, _LOSS),
    "/artifacts/list": _run,
    "/artifacts/get": _run_file,  # runlab's file route
    "/get-artifact": _run_file,
    "/logged-models/{model_id}/artifacts/directories": Attack(
        "artifact_directory_path", lambda s, _u: _proxy_dir(s.artifact_uri)
    ),
    "/registered-models/get": _model,
    "/registered-models/get-latest-versions": _model,
    "/registered-models/alias": Attack("name", lambda s, _u: s.model, (("alias", "a"),)),
    "/model-versions/get": _model_version,
    "/model-versions/get-download-uri": _model_version,
    "/model-versions/stage-history": _model_version,
    "/experiments/permissions/get": Attack(
        "experiment_id", lambda s, _u: s.experiment_id, (("username", "carol"),)
    ),
    "/registered-models/permissions/get": Attack(
        "name", lambda s, _u: s.model, (("username", "carol"),)
    ),
    "/users/get": Attack("username", lambda _s, user: user),
    "/artifacts": Attack("path", lambda s, _u: _proxy_dir(s.artifact_uri)),  # the proxy's listing
}
_PREFIX_RE = re.compile(r"^/(api|ajax-api)/2\.0/(mlflow-artifacts|mlflow|runlab)")


def _suffix(path: str) -> str:
    return _PREFIX_RE.sub("", path)


def _naming_get_routes() -> dict[str, list[str]]:
    """Every GET route of an --auth app (all prefixes) whose query names what it reads."""
    with tempfile.TemporaryDirectory(prefix="runlab-routes-") as folder:
        root = Path(folder)
        store = SqlStore(f"sqlite:///{root / 'routes.db'}", "mlflow-artifacts:/")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RUNLAB_AUTH_ADMIN_USERNAME", "root")
            mp.setenv("RUNLAB_AUTH_ADMIN_PASSWORD", "root-password")
            app = create_app(
                store, ServerSettings(auth=True, artifacts_destination=str(root / "artifacts"))
            )
        document = app.openapi()["paths"]
        store.close()
    found: dict[str, list[str]] = {}
    for path, methods, _rule in iter_routes(app):
        if "GET" not in methods:
            continue
        # /ajax-api/... routes are the /api/... ones again, left out of the document.
        documented = document.get(path.replace("/ajax-api/", "/api/", 1).replace(":path}", "}"))
        op = (documented or {}).get("get", {})
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        naming = [name for name in names if NAMING.search(name)]
        if naming:
            found[path] = naming
    return found


NAMING_GET_ROUTES = _naming_get_routes()


def test_every_get_route_that_names_a_resource_is_attacked() -> None:
    assert len(NAMING_GET_ROUTES) >= 35, sorted(NAMING_GET_ROUTES)  # both prefixes
    missing = sorted(p for p in NAMING_GET_ROUTES if _suffix(p) not in ROUTES)
    assert not missing, f"add these GET routes to ROUTES in {__name__}: {missing}"
    stale = sorted(set(ROUTES) - {_suffix(p) for p in NAMING_GET_ROUTES})
    assert not stale, f"ROUTES names routes the app no longer has: {stale}"
    for path, names in NAMING_GET_ROUTES.items():
        assert ROUTES[_suffix(path)].key in names, (path, names)


def _model_id_path(path: str) -> str:
    return path.replace("{model_id}", "m-0123456789abcdef0123456789abcdef")


@pytest.mark.parametrize("order", ["carol-first", "alice-first"])
@pytest.mark.parametrize("path", sorted(NAMING_GET_ROUTES))
def test_a_repeated_key_never_reads_alices_data(team: LiveTeam, path: str, order: str) -> None:
    attack = ROUTES[_suffix(path)]
    values = [attack.value(team.carol, "carol"), attack.value(team.alice, "alice")]
    if order == "alice-first":
        values.reverse()
    query = [*attack.fixed, *((attack.key, v) for v in values)]
    response = team.get("carol", _model_id_path(path), params=query)
    assert response.status_code == attack.status, response.text
    if attack.status == 400:
        message = response.json()["message"]
        assert message.startswith(f"{attack.key}: given more than once"), message
    assert_no_leak(team, response, run_id_allowed=False)
    assert team.alice.run_id not in response.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_proxy_download_serves_only_the_file_its_path_names(
    team: LiveTeam, prefix: str
) -> None:
    """The download's path is in the URL: a ``?path=`` beside it changes nothing."""
    alice = f"{_proxy_dir(team.alice.artifact_uri)}/secret.txt"
    # A run of its own: the generated requests may have changed carol's first one.
    name = f"carol-download-{uuid.uuid4().hex}"
    created = team.post("carol", "/api/2.0/mlflow/experiments/create", json={"name": name})
    assert created.status_code == 200, created.text
    body = {"experiment_id": created.json()["experiment_id"]}
    run = team.post("carol", "/api/2.0/mlflow/runs/create", json=body).json()["run"]
    carol = f"{_proxy_dir(run['info']['artifact_uri'])}/download-check.txt"
    put = team.client("carol").put(f"{prefix}/artifacts/{carol}", content=b"carol's own file")
    assert put.status_code == 200, put.text
    for query in ([], [("path", alice)], [("path", carol), ("path", alice)]):
        own = team.get("carol", f"{prefix}/artifacts/{carol}", params=query)
        assert own.status_code == 200, own.text
        assert own.content == b"carol's own file"
        other = team.get("carol", f"{prefix}/artifacts/{alice}", params=query)
        assert other.status_code == 403, other.text
        assert_no_leak(team, other, run_id_allowed=False)
