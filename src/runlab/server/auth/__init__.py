"""The tracking server's ``--auth``: who is asking (:mod:`.middleware`), what each route
needs (:mod:`.rules`), the user, token and permission API (:mod:`.routes`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from runlab import environment_variables as env

if TYPE_CHECKING:
    from fastapi import FastAPI

    from runlab.backend import Backend
    from runlab.server.settings import ServerSettings

__all__ = ["ADMIN_PASSWORD_ENV", "ADMIN_USERNAME_ENV", "install_auth"]

ADMIN_USERNAME_ENV = env.RUNLAB_AUTH_ADMIN_USERNAME.name
ADMIN_PASSWORD_ENV = env.RUNLAB_AUTH_ADMIN_PASSWORD.name

logger = logging.getLogger("runlab.server")


def install_auth(app: FastAPI, backend: Backend, settings: ServerSettings) -> None:
    """Adds the auth routes and middleware; bootstraps the admin named in the environment."""
    from runlab.auth.entities import Permission
    from runlab.server.auth import routes
    from runlab.server.auth.middleware import AuthMiddleware, Authorizer
    from runlab.server.prefixes import RUNLAB_PREFIXES, TRACKING_PREFIXES

    auth = backend.require_auth()
    default = Permission.parse(settings.auth_default_permission, "--auth-default-permission")
    username, password = env.RUNLAB_AUTH_ADMIN_USERNAME.get(), env.RUNLAB_AUTH_ADMIN_PASSWORD.get()
    if username and password:
        auth.ensure_admin(username, password)
    elif not any(u.is_admin for u in auth.list_users()):
        logger.warning(
            "no admin user: set %s and %s, or run `runlab users create NAME --admin`",
            ADMIN_USERNAME_ENV,
            ADMIN_PASSWORD_ENV,
        )
    authorizer = Authorizer(auth, backend, default)
    app.state.auth = auth
    app.state.authorizer = authorizer
    for i, prefix in enumerate(TRACKING_PREFIXES):
        app.include_router(routes.mlflow_router, prefix=prefix, include_in_schema=i == 0)
    for i, prefix in enumerate(RUNLAB_PREFIXES):
        app.include_router(routes.runlab_router, prefix=prefix, include_in_schema=i == 0)
    app.include_router(routes.page_router)
    app.add_middleware(AuthMiddleware, authorizer=authorizer)
