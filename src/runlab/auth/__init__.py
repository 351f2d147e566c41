"""Users, API tokens and permissions of a tracking server started with ``--auth``.

The store (the contract :class:`runlab.store.auth_base.AuthStore`, kept in SQL by
:class:`runlab.store.sql.auth.SqlAuthStore`) lives in the tracking database itself; the
server's middleware (:mod:`runlab.server.auth`) uses it for every request.
"""

from runlab.auth.entities import ApiToken, Permission, User

__all__ = ["ApiToken", "Permission", "User"]
