"""Users, tokens, permissions and the web UI's sign-in, served only with ``--auth``.

MLflow's user and permission API lives under ``/api/2.0/mlflow/...`` so MLflow's
``AuthServiceClient`` works; runlab's own token API under ``/api/2.0/runlab/users``.
The middleware has checked the level each route needs (:mod:`.rules`); the handlers
only add "yourself or an admin" checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from runlab.auth.entities import Permission, User
from runlab.errors import AuthenticationError, PermissionDeniedError, RequestLimitExceededError
from runlab.server._routing import GuardedRoute, JsonRoute
from runlab.server._wire import WireModel
from runlab.server.auth.middleware import SESSION_COOKIE, Authorizer, denial
from runlab.server.auth.rules import access, experiment, model
from runlab.store.auth_base import AuthStore

__all__ = ["mlflow_router", "page_router", "runlab_router"]

SESSION_SECONDS = 12 * 3600

mlflow_router = APIRouter(tags=["auth"], route_class=JsonRoute)
runlab_router = APIRouter(tags=["auth"], route_class=JsonRoute)
page_router = APIRouter(tags=["auth"], route_class=GuardedRoute)


def _auth(request: Request) -> AuthStore:
    return request.app.state.auth  # type: ignore[no-any-return]


def _user(request: Request) -> User:
    return request.scope["state"]["runlab_user"]  # type: ignore[no-any-return]


def _self_or_admin(request: Request, username: str) -> None:
    user = _user(request)
    if not user.is_admin and user.username != username:
        raise PermissionDeniedError(f"{user.username!r} may only see or change their own account")


# MLflow's user API -----------------------------------------------------------------


class CreateUser(WireModel):
    username: str
    password: str


class UpdatePassword(WireModel):
    username: str
    password: str
    keep_tokens: bool = False  # runlab's addition: sessions end either way


class UpdateAdmin(WireModel):
    username: str
    is_admin: bool


class Username(WireModel):
    username: str


@mlflow_router.post("/users/create")
@access("admin")
def create_user(body: CreateUser, request: Request) -> dict[str, Any]:
    return {"user": _auth(request).create_user(body.username, body.password).to_json()}


@mlflow_router.get("/users/get")
@access("authenticated")
def get_user(username: str, request: Request) -> dict[str, Any]:
    _self_or_admin(request, username)
    auth = _auth(request)
    user = auth.get_user(username)
    answer = user.to_json()
    answer["experiment_permissions"] = [
        {"experiment_id": k, "user_id": str(user.user_id), "permission": v.name}
        for k, v in auth.experiment_grants(user.user_id).items()
    ]
    answer["registered_model_permissions"] = [
        {"name": k, "user_id": str(user.user_id), "permission": v.name}
        for k, v in auth.model_grants(user.user_id).items()
    ]
    return {"user": answer}


@mlflow_router.patch("/users/update-password")
@access("authenticated")
def update_password(body: UpdatePassword, request: Request) -> dict[str, Any]:
    """A new password ends the user's sessions (the caller's own too) and revokes their
    API tokens unless ``keep_tokens`` is true."""
    _self_or_admin(request, body.username)
    _auth(request).update_password(body.username, body.password, keep_tokens=body.keep_tokens)
    return {}


@mlflow_router.patch("/users/update-admin")
@access("admin")
def update_admin(body: UpdateAdmin, request: Request) -> dict[str, Any]:
    _auth(request).update_admin(body.username, body.is_admin)
    return {}


@mlflow_router.delete("/users/delete")
@access("admin")
def delete_user(body: Username, request: Request) -> dict[str, Any]:
    _auth(request).delete_user(body.username)
    return {}


# MLflow's permission API ------------------------------------------------------------


class ExperimentGrant(WireModel):
    experiment_id: str
    username: str
    permission: str | None = None


class ModelGrant(WireModel):
    name: str
    username: str
    permission: str | None = None


def _level(value: str | None) -> Permission:
    return Permission.parse(value or "", "permission")


@mlflow_router.post("/experiments/permissions/create")
@mlflow_router.patch("/experiments/permissions/update")
@access("manage", experiment())
def set_experiment_permission(body: ExperimentGrant, request: Request) -> dict[str, Any]:
    level = _level(body.permission)
    _auth(request).set_experiment_permission(body.experiment_id, body.username, level)
    return _experiment_permission(request, body.experiment_id, body.username)


@mlflow_router.get("/experiments/permissions/get")
@access("manage", experiment())
def get_experiment_permission(
    experiment_id: str, username: str, request: Request
) -> dict[str, Any]:
    return _experiment_permission(request, experiment_id, username)


def _experiment_permission(request: Request, experiment_id: str, username: str) -> dict[str, Any]:
    auth = _auth(request)
    level = auth.get_experiment_permission(experiment_id, username)
    user = auth.get_user(username)
    return {
        "experiment_permission": {
            "experiment_id": experiment_id,
            "user_id": str(user.user_id),
            "permission": level.name,
        }
    }


@mlflow_router.delete("/experiments/permissions/delete")
@access("manage", experiment())
def delete_experiment_permission(body: ExperimentGrant, request: Request) -> dict[str, Any]:
    _auth(request).delete_experiment_permission(body.experiment_id, body.username)
    return {}


@mlflow_router.post("/registered-models/permissions/create")
@mlflow_router.patch("/registered-models/permissions/update")
@access("manage", model())
def set_model_permission(body: ModelGrant, request: Request) -> dict[str, Any]:
    _auth(request).set_model_permission(body.name, body.username, _level(body.permission))
    return _model_permission(request, body.name, body.username)


@mlflow_router.get("/registered-models/permissions/get")
@access("manage", model())
def get_model_permission(name: str, username: str, request: Request) -> dict[str, Any]:
    return _model_permission(request, name, username)


def _model_permission(request: Request, name: str, username: str) -> dict[str, Any]:
    auth = _auth(request)
    level = auth.get_model_permission(name, username)
    user = auth.get_user(username)
    return {
        "registered_model_permission": {
            "name": name,
            "user_id": str(user.user_id),
            "permission": level.name,
        }
    }


@mlflow_router.delete("/registered-models/permissions/delete")
@access("manage", model())
def delete_model_permission(body: ModelGrant, request: Request) -> dict[str, Any]:
    _auth(request).delete_model_permission(body.name, body.username)
    return {}


# runlab's user and token API ---------------------------------------------------------


class NewUser(WireModel):
    username: str
    password: str
    is_admin: bool = False


class NewToken(WireModel):
    name: str
    expires_in: int | None = None  # seconds


@runlab_router.get("/users")
@access("admin")
def list_users(request: Request) -> dict[str, Any]:
    return {"users": [u.to_json() for u in _auth(request).list_users()]}


@runlab_router.post("/users")
@access("admin")
def add_user(body: NewUser, request: Request) -> dict[str, Any]:
    user = _auth(request).create_user(body.username, body.password, is_admin=body.is_admin)
    return {"user": user.to_json()}


@runlab_router.delete("/users/{username}")
@access("admin")
def remove_user(username: str, request: Request) -> dict[str, Any]:
    _auth(request).delete_user(username)
    return {}


@runlab_router.get("/users/{username}/tokens")
@access("authenticated")
def list_tokens(username: str, request: Request) -> dict[str, Any]:
    _self_or_admin(request, username)
    return {"tokens": [t.to_json() for t in _auth(request).list_tokens(username)]}


@runlab_router.post("/users/{username}/tokens")
@access("authenticated")
def create_token(username: str, body: NewToken, request: Request) -> dict[str, Any]:
    """The token's secret is in this answer only; it is kept hashed."""
    _self_or_admin(request, username)
    record, secret = _auth(request).create_token(
        username, body.name, expires_in_seconds=body.expires_in
    )
    return {"token": {**record.to_json(), "token": secret}}


@runlab_router.delete("/users/{username}/tokens/{name}")
@access("authenticated")
def revoke_token(username: str, name: str, request: Request) -> dict[str, Any]:
    _self_or_admin(request, username)
    _auth(request).revoke_token(username, name)
    return {}


# the web UI's session ---------------------------------------------------------------


class Login(WireModel):
    username: str
    password: str


@runlab_router.post("/session")
@access("public")
def sign_in(body: Login, request: Request) -> Any:
    authorizer: Authorizer = request.app.state.authorizer
    client = request.client.host if request.client else "unknown"
    try:
        user = authorizer.login(body.username, body.password, client)
    except (AuthenticationError, RequestLimitExceededError) as denied:
        return denial(denied, challenge=False)  # the sign-in form shows the message
    _record, secret = _auth(request).create_token(
        user.username, "session", expires_in_seconds=SESSION_SECONDS, kind="session"
    )
    response = JSONResponse({"user": user.to_json()})
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@runlab_router.get("/session")
@access("authenticated")
def whoami(request: Request) -> dict[str, Any]:
    return {"user": _user(request).to_json()}


@runlab_router.delete("/session")
@access("public")
def sign_out(request: Request) -> Any:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        _auth(request).revoke_secret(secret)
    response = JSONResponse({})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


_LOGIN_PAGE = Path(__file__).with_name("login.html")


@page_router.get("/login", response_class=HTMLResponse, include_in_schema=False)
@access("public")
def login_page() -> HTMLResponse:
    return HTMLResponse(
        _LOGIN_PAGE.read_text(encoding="utf-8"),
        headers={
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; frame-ancestors 'none'"
        },
    )
