"""The run around an autologged training call, and the nesting rule.

The outermost patched training call of a thread logs; calls made inside it (a pipeline
fitting its steps, a search fitting candidates, a trainer's TensorBoard writer) run
untouched. Inside an active run the call logs into it; otherwise it starts a run,
tagged ``mlflow.autologging``, and ends it when the call returns: FINISHED, or FAILED
(KILLED on Ctrl-C) when the training raises. Autologging's own failures are warnings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from runlab.autolog._integration import AutologConfig, Guarded, Integration
from runlab.autolog._params import loggable_params
from runlab.entities import RunStatus
from runlab.tracking import fluent

if TYPE_CHECKING:
    from runlab.entities import Dataset

__all__ = ["AUTOLOG_TAG", "Fit", "in_training", "training_wrapper"]

AUTOLOG_TAG = "mlflow.autologging"
_DEPTH: ContextVar[int] = ContextVar("runlab_autolog_depth", default=0)


def in_training() -> bool:
    """Whether this thread is inside an autologged training call."""
    return _DEPTH.get() > 0


class Fit:
    """What a training hook logs through: the run, the settings, and safe helpers."""

    def __init__(self, integration: Integration, config: AutologConfig, run_id: str) -> None:
        self.integration = integration
        self.config = config
        self.run_id = run_id
        self._params: set[str] = set()

    def attempt(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one logging step; a failure is a warning naming ``what``, and the others go on."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            self.integration.warn(f"could not log {what}: {e!r}")
            return None

    def log_params(self, params: Mapping[str, Any]) -> None:
        checked = loggable_params(params, known=self._params)
        if checked:
            fluent.log_params(checked, run_id=self.run_id)
            self._params.update(checked)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        if clean:
            fluent.log_metrics(clean, step=step, run_id=self.run_id)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if tags:
            fluent.set_tags(dict(tags))

    def log_input(self, dataset: Dataset, context: str) -> None:
        fluent.log_input(dataset, context=context)


def training_wrapper(
    integration: Integration, original: Callable[..., Any], hook: Callable[..., Any]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def patched(*args: Any, **kwargs: Any) -> Any:
        config = integration.config
        if config is None or _DEPTH.get():
            return original(*args, **kwargs)
        if config.exclusive and fluent.active_run() is not None:
            return original(*args, **kwargs)  # exclusive: never into the user's own run
        token = _DEPTH.set(1)
        try:
            return _train(integration, config, hook, original, args, kwargs)
        finally:
            _DEPTH.reset(token)

    return patched


def _train(
    integration: Integration,
    config: AutologConfig,
    hook: Callable[..., Any],
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    own: str | None = None
    try:
        active = fluent.active_run()
        if active is None:
            tags = {AUTOLOG_TAG: integration.name, **config.extra_tags}
            own = fluent.start_run(tags=tags).info.run_id
            run_id = own
        else:
            run_id = active.info.run_id
            if config.extra_tags:
                fluent.set_tags(dict(config.extra_tags))
    except Exception as e:
        integration.warn(f"could not start a run, training without logging: {e!r}")
        if own is not None:
            _finish(integration, own, RunStatus.FAILED)
        return original(*args, **kwargs)

    guard = Guarded(original)
    try:
        result = hook(Fit(integration, config, run_id), guard, *args, **kwargs)
        if not guard.called:
            result = guard(*args, **kwargs)
    except BaseException as exc:
        if guard.raised is not None:  # the training failed, not autologging
            killed = isinstance(exc, KeyboardInterrupt)
            _finish(integration, own, RunStatus.KILLED if killed else RunStatus.FAILED)
            raise
        integration.warn(f"{exc!r}")
        if guard.called:
            result = guard.result
        else:
            try:
                result = guard(*args, **kwargs)
            except BaseException as e:
                killed = isinstance(e, KeyboardInterrupt)
                _finish(integration, own, RunStatus.KILLED if killed else RunStatus.FAILED)
                raise
    _finish(integration, own, RunStatus.FINISHED)
    return result


def _finish(integration: Integration, run_id: str | None, status: str) -> None:
    """End the run autologging started (and any child a failed hook left open)."""
    if run_id is None:
        return
    try:
        while (active := fluent.active_run()) is not None:
            done = active.info.run_id == run_id
            fluent.end_run(status if done else RunStatus.FAILED)
            if done:
                return
    except Exception as e:
        integration.warn(f"could not end run {run_id}: {e!r}")


def logging_run(integration: Integration, config: AutologConfig) -> tuple[str, bool] | None:
    """The run a call outside any training entry point logs to (a TensorBoard writer's
    ``add_scalar``): the active run, or a new autologging run. ``(run_id, started)``, or
    None when ``exclusive`` keeps it out of the user's run."""
    active = fluent.active_run()
    if active is not None:
        return None if config.exclusive else (active.info.run_id, False)
    tags = {AUTOLOG_TAG: integration.name, **config.extra_tags}
    return fluent.start_run(tags=tags).info.run_id, True


def end_logging_run(integration: Integration, run_id: str) -> None:
    _finish(integration, run_id, RunStatus.FINISHED)
