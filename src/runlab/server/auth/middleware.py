"""Authentication and authorisation of every request when the server runs with ``--auth``.

Credentials, in the order looked at: ``Authorization: Bearer <token>``; HTTP Basic with
a password or an API token as the password; the web UI's session cookie. Missing or
wrong ones get 401 ``UNAUTHENTICATED`` with ``WWW-Authenticate: Basic`` (left out for a
page's scripts, which send ``X-Requested-With``); a signed-in
user without the permission a route needs (see :mod:`.rules`) gets 403
``PERMISSION_DENIED``. Paths outside the API (the web UI's files) need no credentials.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from runlab.auth.entities import Permission, User
from runlab.errors import NotFoundError, RunlabError
from runlab.server.auth import rules
from runlab.server.auth.throttle import LoginThrottle

if TYPE_CHECKING:
    from runlab.auth.store import AuthStore
    from runlab.store.base import TrackingStore

__all__ = ["SESSION_COOKIE", "AuthMiddleware", "Authorizer"]

SESSION_COOKIE = "runlab_session"
_API_PREFIXES = ("/api/", "/ajax-api/")
_LEVELS = {"read": Permission.READ, "edit": Permission.EDIT, "manage": Permission.MANAGE}


class Denied(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: float = 0) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


@dataclass
class Decision:
    body: bytes | None = None  # a rewritten request body
    readable: Any = None  # for filters: key -> bool
    after: list[Any] = field(default_factory=list)


class Authorizer:
    """The checks, apart from ASGI plumbing, so the admin routes can reuse them."""

    def __init__(
        self,
        auth: AuthStore,
        store: TrackingStore,
        default_permission: Permission,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.auth = auth
        self.store = store
        self.default = default_permission
        self.throttle = throttle or LoginThrottle()

    # authentication ----------------------------------------------------------------

    def login(self, username: str, password: str, client: str) -> User:
        """A password (or token-as-password) check, throttled per username and client."""
        guessed = self.throttle.password(username)
        wait = self.throttle.retry_after(guessed, client)
        if wait > 0:
            raise Denied(
                429,
                "REQUEST_LIMIT_EXCEEDED",
                f"too many failed logins for {username!r}; try again in {wait:.0f} s",
                retry_after=wait,
            )
        user = self.auth.authenticate_password(username, password)
        if user is None:
            token_user = self.auth.authenticate_token(password, kind="api")
            if token_user is not None and token_user.username == username:
                user = token_user
        if user is None:
            self.throttle.failed(guessed, client)
            raise Denied(401, "UNAUTHENTICATED", "wrong username or password")
        self.throttle.succeeded(guessed, client)
        return user

    def authenticate(self, headers: dict[bytes, bytes], client: str) -> User:
        value = headers.get(b"authorization", b"").decode("latin-1").strip()
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return self._token(credentials.strip(), client, kind="api")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise Denied(401, "UNAUTHENTICATED", "malformed Basic credentials") from None
            username, sep, password = decoded.partition(":")
            if not sep:
                raise Denied(401, "UNAUTHENTICATED", "malformed Basic credentials")
            return self.login(username, password, client)
        cookie = _cookie(headers, SESSION_COOKIE)
        if cookie:
            return self._token(cookie, client, kind="session")
        raise Denied(401, "UNAUTHENTICATED", "sign in: this server requires credentials")

    def _token(self, secret: str, client: str, kind: str) -> User:
        # Keyed by this token, so one client's bad tokens never hold up a valid one.
        guessed = self.throttle.token(secret)
        wait = self.throttle.retry_after(guessed, client)
        if wait > 0:
            raise Denied(
                429, "REQUEST_LIMIT_EXCEEDED", "too many tries of this token", retry_after=wait
            )
        user = self.auth.authenticate_token(secret, kind=kind)
        if user is None:
            self.throttle.failed(guessed, client)
            what = "session expired or ended" if kind == "session" else "invalid or revoked token"
            raise Denied(401, "UNAUTHENTICATED", what)
        return user

    # authorisation -----------------------------------------------------------------

    def experiment_level(self, user: User, experiment_id: str) -> Permission:
        if user.is_admin:
            return Permission.MANAGE
        return self.auth.experiment_grants(user.user_id).get(str(experiment_id), self.default)

    def model_level(self, user: User, name: str) -> Permission:
        if user.is_admin:
            return Permission.MANAGE
        return self.auth.model_grants(user.user_id).get(name, self.default)

    def authorize(
        self,
        rule: rules.Rule,
        user: User,
        params: dict[str, list[str]],
        body: dict[str, Any] | None,
        path_params: dict[str, str],
    ) -> Decision:
        decision = Decision()
        if rule.after == "grant_experiment":
            decision.after.append(("grant_experiment", user))
        elif rule.after == "grant_model":
            decision.after.append(("grant_model", user, _one(params, body, "name")))
        elif rule.after == "rename_model":
            decision.after.append(
                ("rename_model", _one(params, body, "name"), _one(params, body, "new_name"))
            )
        if rule.level == "admin" and not user.is_admin:
            raise Denied(403, "PERMISSION_DENIED", "only an admin may do this")
        if rule.filter:
            decision.readable = self._reader(user, rule.filter)
        needed = _LEVELS.get(rule.level)
        if needed is None or user.is_admin:
            return decision
        if rule.resource == "experiment_ids":
            return self._filter_ids(user, body, decision)
        for kind, key in self._targets(rule.resource, params, body, path_params):
            have = (
                self.experiment_level(user, key)
                if kind == "experiment"
                else self.model_level(user, key)
            )
            if have < needed:
                what = f"experiment {key}" if kind == "experiment" else f"registered model {key!r}"
                raise Denied(
                    403,
                    "PERMISSION_DENIED",
                    f"{user.username!r} may not {rule.level} {what} (needs {needed.name}, "
                    f"has {have.name})",
                )
        return decision

    def _reader(self, user: User, kind: str) -> Any:
        if user.is_admin:
            return lambda _key: True
        if kind == "experiments":
            grants = self.auth.experiment_grants(user.user_id)
        else:
            grants = self.auth.model_grants(user.user_id)
        return lambda key: grants.get(str(key), self.default) >= Permission.READ

    def _filter_ids(self, user: User, body: dict[str, Any] | None, decision: Decision) -> Decision:
        if body is None:
            return decision
        asked = [str(i) for i in body.get("experiment_ids") or []]
        grants = self.auth.experiment_grants(user.user_id)
        allowed = [i for i in asked if grants.get(i, self.default) >= Permission.READ]
        if asked and not allowed:
            raise Denied(
                403,
                "PERMISSION_DENIED",
                f"{user.username!r} may not read experiments {', '.join(asked)}",
            )
        if allowed != asked:
            decision.body = json.dumps({**body, "experiment_ids": allowed}).encode("utf-8")
        return decision

    def _targets(
        self,
        resource: str | None,
        params: dict[str, list[str]],
        body: dict[str, Any] | None,
        path_params: dict[str, str],
    ) -> list[tuple[str, str]]:
        """The experiments and models a request touches. An id that names nothing is
        left to the handler, which answers 404 (or 400 when it is missing)."""
        if resource == "experiment":
            experiment_id = _one(params, body, "experiment_id")
            return [("experiment", experiment_id)] if experiment_id else []
        if resource == "experiment_name":
            name = _one(params, body, "experiment_name")
            found = self.store.get_experiment_by_name(name) if name else None
            return [("experiment", found.experiment_id)] if found else []
        if resource == "model":
            name = _one(params, body, "name")
            return [("model", name)] if name else []
        if resource == "run":
            run_id = _one(params, body, "run_id") or _one(params, body, "run_uuid")
            return self._runs([run_id] if run_id else [])
        if resource == "runs":
            return self._runs(params.get("run_id", []) + params.get("run_ids", []))
        if resource == "logged_model":
            get = getattr(self.store, "get_logged_model", None)
            if get is None and getattr(self.store, "db", None) is not None:
                from runlab.store.sql.logged_models import SqlLoggedModelStore

                get = SqlLoggedModelStore(self.store.db).get_logged_model
            try:
                model = get(path_params.get("model_id", "")) if get else None
            except (NotFoundError, RunlabError):
                return []
            return [("experiment", str(model.experiment_id))] if model else []
        if resource == "artifact_path":
            path = path_params.get("path") or _one(params, body, "path") or ""
            segments = [s for s in path.replace("\\", "/").split("/") if s not in ("", ".")]
            if ".." in segments:  # "1/../2" must not pass as experiment 1
                raise Denied(403, "PERMISSION_DENIED", "artifact paths may not contain '..'")
            first = segments[0] if segments else ""
            if not first:
                raise Denied(403, "PERMISSION_DENIED", "only an admin may list the artifact root")
            return [("experiment", first)]
        return []

    def _runs(self, run_ids: list[str]) -> list[tuple[str, str]]:
        out = []
        for run_id in run_ids:
            try:
                out.append(("experiment", str(self.store.get_run(run_id).info.experiment_id)))
            except RunlabError:
                continue
        return out

    def after(self, actions: list[Any], response_body: bytes) -> None:
        for action in actions:
            if action[0] == "grant_experiment":
                created = json.loads(response_body or b"{}").get("experiment_id")
                if created is not None:
                    self.auth.set_experiment_permission(
                        str(created), action[1].username, Permission.MANAGE
                    )
            elif action[0] == "grant_model" and action[2]:
                self.auth.set_model_permission(action[2], action[1].username, Permission.MANAGE)
            elif action[0] == "rename_model" and action[1] and action[2]:
                self.auth.rename_model(action[1], action[2])


def _one(params: dict[str, list[str]], body: dict[str, Any] | None, name: str) -> str | None:
    if body is not None and body.get(name) not in (None, ""):
        return str(body[name])
    values = params.get(name)
    return values[0] if values else None


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    raw = headers.get(b"cookie", b"").decode("latin-1")
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


_FILTER_KEYS = {
    "experiments": ("experiments", "experiment_id"),
    "registered_models": ("registered_models", "name"),
    "model_versions": ("model_versions", "name"),
}


class AuthMiddleware:
    def __init__(self, app: Any, authorizer: Authorizer) -> None:
        self.app = app
        self.authorizer = authorizer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        method, path = scope["method"], scope["path"]
        found = rules.match(method, path)
        if found is None:
            if not path.startswith(_API_PREFIXES):
                await self.app(scope, receive, send)  # the web UI's files
                return
            found = (rules.Rule("authenticated"), {})  # the app answers 404 or 405
        rule, path_params = found
        if rule.level == "public":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        client = (scope.get("client") or ("unknown", 0))[0]
        try:
            user = await run_in_threadpool(self.authorizer.authenticate, headers, client)
        except Denied as denied:
            await _deny(denied, scope, receive, send)
            return
        body_bytes: bytes | None = None
        body: dict[str, Any] | None = None
        if method in ("POST", "PATCH", "DELETE") and rule.resource != "artifact_path":
            body_bytes = await _read_body(receive)
            try:
                parsed = json.loads(body_bytes) if body_bytes.strip() else None
            except ValueError:
                parsed = None  # the handler answers MALFORMED_REQUEST
            body = parsed if isinstance(parsed, dict) else None
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        try:
            decision = await run_in_threadpool(
                self.authorizer.authorize, rule, user, params, body, path_params
            )
        except Denied as denied:
            await _deny(denied, scope, receive, send)
            return
        scope.setdefault("state", {})["runlab_user"] = user
        if decision.body is not None:
            body_bytes = decision.body
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k.lower() != b"content-length"
            ] + [(b"content-length", str(len(body_bytes)).encode())]
        if body_bytes is not None:
            receive = _replay(body_bytes, receive)
        if decision.readable is None and not decision.after:
            await self.app(scope, receive, send)
            return
        await self._capture(scope, receive, send, rule, decision)

    async def _capture(
        self, scope: Any, receive: Any, send: Any, rule: rules.Rule, decision: Decision
    ) -> None:
        """Runs the app holding its JSON answer back, to filter it or act on success."""
        from starlette.concurrency import run_in_threadpool

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def hold(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, hold)
        body = b"".join(chunks)
        if start.get("status") == 200:
            if decision.after:
                await run_in_threadpool(self.authorizer.after, decision.after, body)
            if decision.readable is not None and rule.filter:
                body = _filtered(body, rule.filter, decision.readable)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _filtered(body: bytes, kind: str, readable: Any) -> bytes:
    key, field_name = _FILTER_KEYS[kind]
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if isinstance(answer, dict) and isinstance(answer.get(key), list):
        answer[key] = [item for item in answer[key] if readable(item.get(field_name))]
        return json.dumps(answer, separators=(",", ":")).encode("utf-8")
    return body


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, original: Any) -> Any:
    """The body read already, then the real channel (which reports a disconnect)."""
    sent = False

    async def receive() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


def _from_page_script(scope: Any) -> bool:
    """A web page's script (``X-Requested-With: XMLHttpRequest``, as the web UI sends) gets
    its 401 without the Basic challenge: the challenge would open the browser's own
    password prompt over the page, and the page sends the user to its sign-in form."""
    for key, value in scope.get("headers", []):
        if key.lower() == b"x-requested-with":
            return value.decode("latin-1").strip().lower() == "xmlhttprequest"
    return False


async def _deny(denied: Denied, scope: Any, receive: Any, send: Any) -> None:
    from runlab.server.errors import error_response

    response = error_response(denied.status, denied.code, denied.message)
    if denied.status == 401 and not _from_page_script(scope):
        response.headers["WWW-Authenticate"] = 'Basic realm="runlab"'
    if denied.retry_after:
        response.headers["Retry-After"] = str(max(1, round(denied.retry_after)))
    await response(scope, receive, send)
