"""The integrations autologging knows: each module of ``runlab.autolog.integrations``
registers one when imported, so adding a framework is adding one module there."""

from __future__ import annotations

import importlib
import pkgutil
import threading

from runlab.autolog._integration import Integration
from runlab.errors import AlreadyExistsError

__all__ = ["all_integrations", "register"]

_INTEGRATIONS: dict[str, Integration] = {}
_lock = threading.Lock()
_discovered = False


def register(integration: Integration) -> Integration:
    """Add an integration; an integration module calls this once, at import."""
    with _lock:
        known = _INTEGRATIONS.get(integration.name)
        if known is not None and known is not integration:
            raise AlreadyExistsError(f"an autolog integration named {integration.name!r} exists")
        _INTEGRATIONS[integration.name] = integration
    return integration


def all_integrations() -> list[Integration]:
    """Every integration, importing the integration modules (which are light: none
    imports its framework) the first time."""
    global _discovered
    if not _discovered:
        from runlab.autolog import integrations

        for info in pkgutil.iter_modules(integrations.__path__):
            importlib.import_module(f"{integrations.__name__}.{info.name}")
        _discovered = True
    return list(_INTEGRATIONS.values())
