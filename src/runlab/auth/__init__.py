"""Users, API tokens and permissions of a tracking server started with ``--auth``.

The store (:class:`runlab.auth.store.AuthStore`) lives in the tracking database itself;
the server's middleware (:mod:`runlab.server.auth`) uses it for every request.
"""

from runlab.auth.entities import ApiToken, Permission, User

__all__ = ["ApiToken", "Permission", "User"]
