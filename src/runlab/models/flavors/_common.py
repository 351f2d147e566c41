"""Small helpers the framework flavours share: which distribution provides a module, and
the class a descriptor names."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from runlab.errors import InvalidInputError


@lru_cache(maxsize=64)
def distribution(module: str) -> str:
    """The installed distribution that provides top-level ``module``, for the model's
    requirements: ``xgboost`` may come from the ``xgboost`` or the ``xgboost-cpu``
    distribution, and the pin must name the one that is installed. Falls back to the
    module's name when no installed distribution claims it."""
    from importlib import metadata

    try:
        metadata.version(module)
        return module
    except metadata.PackageNotFoundError:
        pass
    names = metadata.packages_distributions().get(module) or []
    return sorted(names)[0] if names else module


def class_path(obj: Any) -> str:
    """``module.QualName`` of ``obj``'s class, as the MLmodel ``model_class`` key holds it."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def import_class(path: str, bases: tuple[type, ...], field: str = "model_class") -> type:
    """The class named ``path`` (``package.module.Class``), which must subclass one of
    ``bases``: a descriptor may only name a class of the flavour's framework."""
    module_name, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name) if module_name else None
    except (ImportError, AttributeError):
        cls = None
    allowed = ", ".join(f"{b.__module__}.{b.__qualname__}" for b in bases)
    if not isinstance(cls, type) or not issubclass(cls, bases):
        raise InvalidInputError(
            f"{field} {path!r} is not an importable subclass of one of: {allowed}"
        )
    return cls
