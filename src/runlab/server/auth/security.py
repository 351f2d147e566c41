"""Host header check (against DNS rebinding) and security headers on every answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["LOOPBACK_HOSTS", "SecurityMiddleware", "default_allowed_hosts"]

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_CSP = (b"content-security-policy", b"frame-ancestors 'none'")
# Probes (load balancers, orchestrators, monitoring) address the server by its IP; these
# answer with nothing a rebinding attack could use, so any Host may ask (as in MLflow).
_ANY_HOST_PATHS = frozenset({"/health", "/version"})


def default_allowed_hosts(bind_host: str) -> tuple[str, ...] | None:
    """Loopback names when the server listens on loopback; else no check (None)."""
    if bind_host in LOOPBACK_HOSTS or bind_host.startswith("127."):
        return (*LOOPBACK_HOSTS, bind_host)
    return None


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:5000
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class SecurityMiddleware:
    """Refuses a Host header outside ``allowed_hosts`` (``*.example.com`` allowed) with 400,
    except on ``/health`` and ``/version``, and adds security headers to every answer
    (route-set ones win)."""

    def __init__(self, app: Any, allowed_hosts: Iterable[str] | None) -> None:
        self.app = app
        hosts = [h.strip().lower() for h in allowed_hosts or ()]
        self.any_host = allowed_hosts is None or "*" in hosts
        self.hosts = {_host_name(h) for h in hosts if not h.startswith("*.")}
        self.suffixes = tuple(h[1:] for h in hosts if h.startswith("*."))

    def _allowed(self, host: str) -> bool:
        name = _host_name(host)
        return name in self.hosts or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.any_host and scope["path"] not in _ANY_HOST_PATHS:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not self._allowed(host):
                from runlab.server.errors import error_response

                response = error_response(
                    400, "INVALID_PARAMETER_VALUE", f"Host {host!r} is not allowed here"
                )
                await response(scope, receive, send)
                return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in _HEADERS if h[0] not in names]
                if _CSP[0] not in names:
                    headers.append(_CSP)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
