"""An integration: the patches autologging applies to one framework, and its settings.

An integration module builds one :class:`Integration` and registers it (see
:mod:`runlab.autolog._registry`). Enabling it watches the framework's package, so each of
its modules is handed to ``on_import`` when it loads (now, or whenever the user imports
it); ``on_import`` patches what that module defines with :meth:`Integration.patch_training`
(entry points such as ``fit``) or :meth:`Integration.patch` (anything else). Disabling it
puts every original back.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from runlab.autolog import _hook
from runlab.errors import InvalidInputError

__all__ = ["AutologConfig", "AutologgingWarning", "Integration"]

logger = logging.getLogger("runlab.autolog")

# The keywords every autolog() takes, with MLflow's names and defaults.
COMMON = {
    "log_input_examples": False,
    "log_model_signatures": True,
    "log_models": True,
    "log_datasets": True,
    "exclusive": False,
    "silent": False,
    "extra_tags": None,
}
IGNORED = ("disable_for_unsupported_versions", "log_traces")  # accepted for MLflow scripts


class AutologgingWarning(UserWarning):
    """Autologging could not record something; the training itself went on unchanged."""


@dataclass(frozen=True)
class AutologConfig:
    """The settings an enabled integration runs with."""

    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_models: bool = True
    log_datasets: bool = True
    exclusive: bool = False
    silent: bool = False
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        return self.options[name]


@dataclass
class _Patch:
    owner: Any
    attr: str
    original: Any
    had_own: bool
    patched: Any


class Integration:
    """One framework's autologging: ``name`` (``"sklearn"``), the top-level ``packages``
    to watch, ``on_import(integration, module)`` to patch a loaded module, and the
    integration's own keywords with their defaults (``options``)."""

    def __init__(
        self,
        name: str,
        packages: tuple[str, ...],
        on_import: Callable[[Integration, ModuleType], None],
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.packages = packages
        self._on_import = on_import
        self.defaults = dict(options or {})
        self.config: AutologConfig | None = None  # None: disabled
        self._options: dict[str, Any] = dict(self.defaults)
        self._patches: dict[tuple[int, str], _Patch] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        state = "enabled" if self.config is not None else "disabled"
        return f"<Integration {self.name} {state}>"

    # -------------------------------------------------------------- configuration
    def configure(self, disable: bool = False, **keywords: Any) -> None:
        """Enable with these keywords (common ones and this integration's options), or
        undo every patch with ``disable=True``."""
        for name in IGNORED:
            keywords.pop(name, None)
        unknown = set(keywords) - set(COMMON) - set(self.defaults)
        if unknown:
            raise InvalidInputError(
                f"{self.name}.autolog: unknown keyword {sorted(unknown)[0]!r} (it takes: "
                f"{', '.join(sorted([*COMMON, *self.defaults, 'disable']))})"
            )
        if disable:
            self.disable()
            return
        common: dict[str, Any] = {k: keywords.get(k, v) for k, v in COMMON.items()}
        tags = common.pop("extra_tags") or {}
        if not isinstance(tags, Mapping):
            raise InvalidInputError(
                f"extra_tags: must be a dict of tag names to values, got {type(tags).__name__}"
            )
        for name in ("log_input_examples", "log_model_signatures", "log_models", "log_datasets"):
            if not isinstance(common[name], bool):
                raise InvalidInputError(f"{name}: must be True or False, got {common[name]!r}")
        self._options.update({k: v for k, v in keywords.items() if k in self.defaults})
        config = AutologConfig(
            **common,
            extra_tags={str(k): str(v) for k, v in tags.items()},
            options=dict(self._options),
        )
        with self._lock:
            was_enabled = self.config is not None
            self.config = config
            if not was_enabled:
                for package in self.packages:
                    _hook.watch(package, self._module_loaded)

    def disable(self) -> None:
        with self._lock:
            if self.config is None:
                return
            self.config = None
            for package in self.packages:
                _hook.unwatch(package, self._module_loaded)
            for patch in reversed(list(self._patches.values())):
                if patch.owner.__dict__.get(patch.attr) is patch.patched:
                    if patch.had_own:
                        setattr(patch.owner, patch.attr, patch.original)
                    else:
                        delattr(patch.owner, patch.attr)
            self._patches.clear()

    @property
    def enabled(self) -> bool:
        return self.config is not None

    def _module_loaded(self, module: ModuleType) -> None:
        if self.config is None:
            return
        try:
            with self._lock:
                self._on_import(self, module)
        except Exception as e:
            self.warn(f"could not patch {module.__name__}: {e}")

    # -------------------------------------------------------------- patching
    def is_patched(self, owner: Any, attr: str) -> bool:
        return (id(owner), attr) in self._patches

    def patch(self, owner: Any, attr: str, hook: Callable[..., Any]) -> None:
        """Replace ``owner.attr`` by a call to ``hook(original, *args, **kwargs)``.

        A failure in the hook is a warning: the original runs (or its result is returned,
        if the hook had already called it). Errors of the original itself propagate.
        """
        original = self._original(owner, attr)
        if original is None:
            return
        integration = self

        @functools.wraps(original)
        def patched(*args: Any, **kwargs: Any) -> Any:
            if integration.config is None:
                return original(*args, **kwargs)
            guard = Guarded(original)
            try:
                result = hook(guard, *args, **kwargs)
            except BaseException as exc:
                if guard.raised is not None:
                    raise
                integration.warn(f"{attr} of {_name(owner)}: {exc!r}")
                return guard.result if guard.called else original(*args, **kwargs)
            return result if guard.called else original(*args, **kwargs)

        self._install(owner, attr, original, patched)

    def patch_training(self, owner: Any, attr: str, hook: Callable[..., Any]) -> None:
        """Make ``owner.attr`` a training entry point: the outermost call runs
        ``hook(fit, original, *args, **kwargs)`` inside a run (see ``_session``)."""
        from runlab.autolog import _session

        original = self._original(owner, attr)
        if original is None:
            return
        self._install(owner, attr, original, _session.training_wrapper(self, original, hook))

    def _original(self, owner: Any, attr: str) -> Any:
        if self.is_patched(owner, attr):
            return None
        value = owner.__dict__.get(attr) if hasattr(owner, "__dict__") else None
        if value is None:
            value = getattr(owner, attr, None)
            if value is None:
                return None
        if not (inspect.isfunction(value) or inspect.isbuiltin(value)):
            return None  # classmethods, properties...: not ours to wrap
        return value

    def _install(self, owner: Any, attr: str, original: Any, patched: Any) -> None:
        had_own = isinstance(owner, ModuleType) or attr in vars(owner)
        setattr(owner, attr, patched)
        self._patches[(id(owner), attr)] = _Patch(owner, attr, original, had_own, patched)

    # -------------------------------------------------------------- reporting
    def warn(self, message: str) -> None:
        """Autologging's own failures: a warning (a debug log with ``silent=True``)."""
        text = f"runlab {self.name} autologging: {message}"
        config = self.config
        if config is not None and config.silent:
            logger.debug(text)
        else:
            warnings.warn(text, AutologgingWarning, stacklevel=3)

    def note(self, message: str, *args: Any) -> None:
        config = self.config
        if config is None or not config.silent:
            logger.info(f"{self.name} autologging: {message}", *args)


class Guarded:
    """The original callable, recording whether it ran and how it ended."""

    __slots__ = ("_fn", "called", "raised", "result")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._fn = fn
        self.called = False
        self.raised: BaseException | None = None
        self.result: Any = None

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        return self._fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.called = True
        try:
            self.result = self._fn(*args, **kwargs)
        except BaseException as e:
            self.raised = e
            raise
        return self.result


def _name(owner: Any) -> str:
    return str(getattr(owner, "__qualname__", None) or getattr(owner, "__name__", repr(owner)))
