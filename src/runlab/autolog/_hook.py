"""A post-import hook: run callbacks on a module of a watched package once it has loaded.

One finder sits first on ``sys.meta_path``. For a module of a watched top-level package
(``sklearn``, ``lightning``...) it asks the finders after it for the spec and wraps the
loader, so the callbacks run right after the module's code has run; every other import
costs one dict lookup. The module itself only ever sees its real loader.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["unwatch", "watch"]

Callback = Callable[[ModuleType], None]


class _HookedLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, spec: importlib.machinery.ModuleSpec) -> None:
        self._loader = loader
        self._spec = spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self._spec.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        _FINDER.fire(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callback]] = {}
        self.lock = threading.Lock()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.callbacks:
            return None
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec  # namespace packages and old-style loaders: nothing to wrap
        spec.loader = _HookedLoader(loader, spec)
        return spec

    def fire(self, module: ModuleType) -> None:
        for callback in list(self.callbacks.get(module.__name__.partition(".")[0], ())):
            callback(module)  # callbacks catch their own errors (see _registry)


_FINDER = _Finder()


def watch(package: str, callback: Callback) -> None:
    """Call ``callback(module)`` for each module of ``package`` imported from now on, and
    now for each already imported."""
    with _FINDER.lock:
        callbacks = _FINDER.callbacks.setdefault(package, [])
        if callback not in callbacks:
            callbacks.append(callback)
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    for name, module in list(sys.modules.items()):
        if module is not None and name.partition(".")[0] == package:
            callback(module)


def unwatch(package: str, callback: Callback) -> None:
    with _FINDER.lock:
        callbacks = _FINDER.callbacks.get(package, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            _FINDER.callbacks.pop(package, None)
        if not _FINDER.callbacks and _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
