"""cloudpickle with the user's own classes stored by value.

Pickle stores a class as a reference (``module.ClassName``), so a model whose class
lives in the training script's project cannot be loaded where that project is not
importable. For the classes a model uses that come from outside any installed
package (not the standard library, not site-packages, not runlab), this module
asks cloudpickle to store their modules' code by value, so the model loads anywhere.
Modules under ``code_paths`` stay references: those files travel with the model.
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
from collections.abc import Iterable, Iterator, Sequence
from types import FunctionType, ModuleType
from typing import Any

__all__ = ["by_value", "user_modules"]


def _installed_roots() -> list[str]:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    for entry in sys.path:
        if os.path.basename(entry) in ("site-packages", "dist-packages"):
            roots.add(os.path.realpath(entry))
    return sorted(roots)


def _is_under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r + os.sep) for r in roots)


def user_modules(
    classes: Iterable[Any], code_paths: Sequence[str | os.PathLike[str]] | None = None
) -> list[ModuleType]:
    """The modules defining ``classes`` (or functions) that no installed package or code
    path provides."""
    return local_modules((getattr(cls, "__module__", None) for cls in classes), code_paths)


def local_modules(
    names: Iterable[str | None], code_paths: Sequence[str | os.PathLike[str]] | None = None
) -> list[ModuleType]:
    """The imported modules of ``names`` that no installed package or code path provides."""
    installed = _installed_roots()
    code_roots = [os.path.realpath(os.fspath(p)) for p in code_paths or ()]
    found: dict[str, ModuleType] = {}
    for name in names:
        if not name or name == "__main__" or name in found:
            continue  # cloudpickle already stores __main__ by value
        top = name.split(".")[0]
        if top in ("runlab", "builtins") or top in sys.stdlib_module_names:
            continue
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if module is None or not file:
            continue
        real = os.path.realpath(file)
        if _is_under(real, installed) or _is_under(real, code_roots):
            continue
        found[name] = module
    return list(found.values())


@contextlib.contextmanager
def by_value(modules: Iterable[ModuleType]) -> Iterator[None]:
    import cloudpickle

    registered = []
    try:
        for module in modules:
            cloudpickle.register_pickle_by_value(module)
            registered.append(module)
        yield
    finally:
        for module in registered:
            cloudpickle.unregister_pickle_by_value(module)


def dump(obj: Any, path: str, classes: Iterable[Any], code_paths: Any = None) -> None:
    """cloudpickle ``obj`` to ``path``, storing user classes by value (see module doc)."""
    import cloudpickle

    with by_value(user_modules(classes, code_paths)), open(path, "wb") as f:
        cloudpickle.dump(obj, f)


def estimator_classes(obj: Any) -> list[Any]:
    """The classes of a scikit-learn estimator and of every estimator nested in it, and the
    functions it was given (``FunctionTransformer(func=...)``)."""
    seen: list[Any] = []
    stack = [obj]
    visited: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in visited:
            continue
        visited.add(id(item))
        seen.append(item if isinstance(item, FunctionType) else type(item))
        get_params = getattr(item, "get_params", None)
        if callable(get_params) and not isinstance(item, type):
            try:
                params = get_params(deep=False)
            except Exception:
                params = {}
            for value in params.values():
                if isinstance(value, (list, tuple)):
                    stack.extend(v[-1] if isinstance(v, tuple) else v for v in value)
                elif hasattr(value, "get_params") or callable(value):
                    stack.append(value)
    return seen
