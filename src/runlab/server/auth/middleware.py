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
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from runlab.auth.entities import Permission, User
from runlab.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RequestLimitExceededError,
    RunlabError,
)
from runlab.server.auth.rules import Access, Args, Target
from runlab.server.auth.throttle import LoginThrottle
from runlab.server.prefixes import API_PREFIXES

if TYPE_CHECKING:
    from runlab.backend import Backend
    from runlab.store.auth_base import AuthStore

__all__ = ["SESSION_COOKIE", "AuthMiddleware", "Authorizer", "denial"]

SESSION_COOKIE = "runlab_session"
_LEVELS = {"read": Permission.READ, "edit": Permission.EDIT, "manage": Permission.MANAGE}


class Authorizer:
    """The checks, apart from ASGI plumbing, so the admin routes can reuse them."""

    def __init__(
        self,
        auth: AuthStore,
        backend: Backend,
        default_permission: Permission,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.auth = auth
        self.backend = backend
        self.store = backend.tracking
        self.default = default_permission
        self.throttle = throttle or LoginThrottle()

    # authentication ----------------------------------------------------------------

    def login(self, username: str, password: str, client: str) -> User:
        """A password (or token-as-password) check, throttled per username and client."""
        guessed = self.throttle.password(username)
        wait = self.throttle.retry_after(guessed, client)
        if wait > 0:
            raise RequestLimitExceededError(
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
            raise AuthenticationError("wrong username or password")
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
                raise AuthenticationError("malformed Basic credentials") from None
            username, sep, password = decoded.partition(":")
            if not sep or "\x00" in decoded:  # no user has a NUL (PostgreSQL cannot hold one)
                raise AuthenticationError("malformed Basic credentials")
            return self.login(username, password, client)
        cookie = _cookie(headers, SESSION_COOKIE)
        if cookie:
            return self._token(cookie, client, kind="session")
        raise AuthenticationError("sign in: this server requires credentials")

    def _token(self, secret: str, client: str, kind: str) -> User:
        # Keyed by this token, so one client's bad tokens never hold up a valid one.
        guessed = self.throttle.token(secret)
        wait = self.throttle.retry_after(guessed, client)
        if wait > 0:
            raise RequestLimitExceededError("too many tries of this token", retry_after=wait)
        user = self.auth.authenticate_token(secret, kind=kind)
        if user is None:
            self.throttle.failed(guessed, client)
            what = "session expired or ended" if kind == "session" else "invalid or revoked token"
            raise AuthenticationError(what)
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

    def user_of(self, scope: Any) -> User:
        """The user the middleware signed this request in as."""
        user = scope.get("state", {}).get("runlab_user")
        if user is None:  # no route is reached unsigned: refuse rather than guess
            raise AuthenticationError("sign in: this server requires credentials")
        return user  # type: ignore[no-any-return]

    def before(self, rule: Access, user: User, args: Args) -> None:
        """Raises PermissionDeniedError unless ``user`` may call a route with ``rule``
        on ``args``, the arguments its handler is about to receive; narrows experiment
        id lists in ``args`` to the readable ones."""
        if rule.level == "admin" and not user.is_admin:
            raise PermissionDeniedError("only an admin may do this")
        needed = _LEVELS.get(rule.level)
        if needed is None or user.is_admin:
            return
        if rule.narrow:
            self._narrow(user, args, rule.narrow)
        self._require(user, needed, rule.level, rule.targets_of(args))
        self._require(user, Permission.READ, "read", rule.reads_of(args))

    def _require(
        self, user: User, needed: Permission, verb: str, targets: Iterable[Target]
    ) -> None:
        for kind, key in self._resolve(targets):
            have = (
                self.experiment_level(user, key)
                if kind == "experiment"
                else self.model_level(user, key)
            )
            if have < needed:
                what = f"experiment {key}" if kind == "experiment" else f"registered model {key!r}"
                raise PermissionDeniedError(
                    f"{user.username!r} may not {verb} {what} (needs {needed.name}, "
                    f"has {have.name})"
                )

    def after(self, rule: Access, user: User, args: Args, result: Any) -> Any:
        """What the handler answered, once it succeeded: grants recorded, unreadable
        items dropped from a listing."""
        if rule.after == "grant_experiment" and isinstance(result, dict):
            created = result.get("experiment_id")
            if created is not None:
                self.auth.set_experiment_permission(str(created), user.username, Permission.MANAGE)
        elif rule.after == "grant_model" and args.get("name"):
            name = str(args.get("name"))
            self.auth.forget_model(name)  # grants a deleted model of this name may have left
            self.auth.set_model_permission(name, user.username, Permission.MANAGE)
        elif rule.after == "forget_model" and args.get("name"):
            self.auth.forget_model(str(args.get("name")))
        elif rule.after == "rename_model" and args.get("name") and args.get("new_name"):
            self.auth.rename_model(str(args.get("name")), str(args.get("new_name")))
        if rule.filter and not user.is_admin and isinstance(result, dict):
            key, field_name = _FILTER_KEYS[rule.filter]
            if isinstance(result.get(key), list):
                readable = self._reader(user, rule.filter)
                result = {**result, key: [i for i in result[key] if readable(i.get(field_name))]}
        return result

    def _reader(self, user: User, kind: str) -> Any:
        if kind == "experiments":
            grants = self.auth.experiment_grants(user.user_id)
        else:
            grants = self.auth.model_grants(user.user_id)
        return lambda key: grants.get(str(key), self.default) >= Permission.READ

    def _narrow(self, user: User, args: Args, name: str) -> None:
        asked = [str(i) for i in args.get(name) or []]
        grants = self.auth.experiment_grants(user.user_id)
        allowed = [i for i in asked if grants.get(i, self.default) >= Permission.READ]
        if asked and not allowed:
            raise PermissionDeniedError(
                f"{user.username!r} may not read experiments {', '.join(asked)}"
            )
        if allowed != asked:
            args.set(name, allowed)

    def _resolve(self, targets: Iterable[Target]) -> list[tuple[str, str]]:
        """The experiments and models behind a request's targets. An id that names
        nothing is left to the handler, which answers 404 (or 400 when it is missing)."""
        out: list[tuple[str, str]] = []
        for kind, key in targets:
            if kind in ("experiment", "model"):
                out.append((kind, key))
            elif kind == "experiment_name":
                found = self.store.get_experiment_by_name(key)
                if found is not None:
                    out.append(("experiment", found.experiment_id))
            elif kind == "run":
                try:
                    out.append(("experiment", str(self.store.get_run(key).info.experiment_id)))
                except RunlabError:
                    continue
            elif kind == "logged_model":
                experiment_id = self._logged_model_experiment(key)
                if experiment_id is not None:
                    out.append(("experiment", experiment_id))
            elif kind == "artifact_path":
                out.append(("experiment", _proxy_experiment(key)))
            else:
                raise ValueError(f"unknown target kind {kind!r}")
        return out

    def _logged_model_experiment(self, model_id: str) -> str | None:
        if self.backend.logged_models is None:
            return None
        try:
            model = self.backend.logged_models.get_logged_model(model_id)
        except RunlabError:
            return None
        return str(model.experiment_id)


def _proxy_experiment(path: str) -> str:
    """The experiment an artifact proxy path belongs to: its first segment, read after
    the same normalisation the proxy's handlers apply (which refuses ``..``)."""
    from runlab.store.artifacts import _paths

    first = _paths.normalize(path).split("/", 1)[0]
    if not first:
        raise PermissionDeniedError("only an admin may list the artifact root")
    return first


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
    """Signs every request in that a guarded route takes, before its body is read; the
    route's own rule then decides, on the parsed arguments, what the user may do.

    Public routes and the web UI's files pass unsigned; an API path that no route takes
    is signed in too (the app then answers 404 or 405).
    """

    def __init__(self, app: Any, authorizer: Authorizer) -> None:
        self.app = app
        self.authorizer = authorizer
        self._paths: tuple[frozenset[tuple[str, str]], frozenset[str]] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self._needs_user(scope):
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        headers = dict(scope["headers"])
        client = (scope.get("client") or ("unknown", 0))[0]
        try:
            user = await run_in_threadpool(self.authorizer.authenticate, headers, client)
        except (AuthenticationError, RequestLimitExceededError) as denied:
            await denial(denied, challenge=not _from_page_script(scope))(scope, receive, send)
            return
        scope.setdefault("state", {})["runlab_user"] = user
        await self.app(scope, receive, send)

    def _needs_user(self, scope: Any) -> bool:
        if self._paths is None:
            self._paths = _public_and_outside_api(scope["app"])
        public, outside_api = self._paths
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        path = scope["path"]
        if (method, path) in public:
            return False
        return path.startswith(API_PREFIXES) or path in outside_api


def _public_and_outside_api(app: Any) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """(method, path) of the public routes, and the paths of guarded routes outside
    ``/api``; both literal, which the app's route table is checked to keep true."""
    from runlab.server._routing import iter_routes

    public: set[tuple[str, str]] = set()
    outside_api: set[str] = set()
    for path, methods, rule in iter_routes(app):
        templated = "{" in path
        if rule is not None and rule.level == "public":
            if templated:
                raise RuntimeError(f"public route {path} must be a literal path")
            public |= {(m, path) for m in methods}
        elif not path.startswith(API_PREFIXES):
            if templated:
                raise RuntimeError(f"guarded route {path} outside /api must be a literal path")
            outside_api.add(path)
    return frozenset(public), frozenset(outside_api)


def _from_page_script(scope: Any) -> bool:
    """A web page's script (``X-Requested-With: XMLHttpRequest``, as the web UI sends) gets
    its 401 without the Basic challenge: the challenge would open the browser's own
    password prompt over the page, and the page sends the user to its sign-in form."""
    for key, value in scope.get("headers", []):
        if key.lower() == b"x-requested-with":
            return bool(value.decode("latin-1").strip().lower() == "xmlhttprequest")
    return False


def denial(error: RunlabError, *, challenge: bool) -> Any:
    """The answer to a failed sign-in: a Basic challenge with a 401 when ``challenge``,
    ``Retry-After`` with a 429."""
    from runlab.server.errors import error_response

    response = error_response(error.http_status, error.error_code, error.message)
    if challenge and isinstance(error, AuthenticationError):
        response.headers["WWW-Authenticate"] = 'Basic realm="runlab"'
    retry_after = getattr(error, "retry_after", 0)
    if retry_after:
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
    return response
