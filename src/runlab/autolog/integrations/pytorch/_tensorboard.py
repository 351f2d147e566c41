"""A plain PyTorch loop's TensorBoard calls as runlab metrics and params.

``add_scalar(tag, value, step)`` logs metric ``tag`` at ``step``; ``add_scalars(main,
{k: v}, step)`` logs ``main/k``; ``add_hparams(hparams, metrics)`` logs the params
(nested ones flattened with dots) and the metrics. Outside a run, the writer's first
call starts an autologging run and ``close()`` ends it. Inside an autologged training
(a Lightning trainer's own TensorBoard logger) the writer is left alone.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._params import loggable_params
from runlab.autolog._session import end_logging_run, in_training, logging_run

__all__ = ["patch_writer"]

_IN_HPARAMS: ContextVar[bool] = ContextVar("runlab_tb_hparams", default=False)
_WRITER_RUNS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _number(value: Any) -> float:
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


def _run_for(integration: Integration, writer: Any) -> str | None:
    config = integration.config
    if config is None or in_training() or _IN_HPARAMS.get():
        return None
    found = logging_run(integration, config)
    if found is None:
        return None
    run_id, started = found
    if started:
        _WRITER_RUNS[writer] = run_id
    return run_id


def _keep(integration: Integration, step: Any) -> bool:
    config = integration.config
    every = config.option("log_every_n_step") if config is not None else None
    return every is None or step is None or int(step) % every == 0


def patch_writer(integration: Integration, writer_class: type) -> None:
    from runlab.tracking import fluent

    def add_scalar(
        original: Callable[..., Any],
        writer: Any,
        tag: str,
        scalar_value: Any,
        global_step: Any = None,
        walltime: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        result = original(writer, tag, scalar_value, global_step, walltime, *args, **kwargs)
        if _keep(integration, global_step) and (run_id := _run_for(integration, writer)):
            timestamp = int(walltime * 1000) if walltime is not None else None
            fluent.log_metric(
                tag,
                _number(scalar_value),
                step=_step(global_step),
                timestamp=timestamp,
                run_id=run_id,
            )
        return result

    def add_scalars(
        original: Callable[..., Any],
        writer: Any,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: Any = None,
        walltime: Any = None,
    ) -> Any:
        result = original(writer, main_tag, tag_scalar_dict, global_step, walltime)
        if _keep(integration, global_step) and (run_id := _run_for(integration, writer)):
            timestamp = int(walltime * 1000) if walltime is not None else None
            metrics = {f"{main_tag}/{k}": _number(v) for k, v in tag_scalar_dict.items()}
            fluent.log_metrics(metrics, step=_step(global_step), timestamp=timestamp, run_id=run_id)
        return result

    def add_hparams(
        original: Callable[..., Any],
        writer: Any,
        hparam_dict: dict[str, Any],
        metric_dict: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        token = _IN_HPARAMS.set(True)
        try:
            result = original(writer, hparam_dict, metric_dict, *args, **kwargs)
        finally:
            _IN_HPARAMS.reset(token)
        run_id = _run_for(integration, writer)
        if run_id:
            params = loggable_params(hparam_dict)
            if params:
                fluent.log_params(params, run_id=run_id)
            step = kwargs.get("global_step", args[2] if len(args) > 2 else None)
            metrics = {k: _number(v) for k, v in metric_dict.items()}
            if metrics:
                fluent.log_metrics(metrics, step=_step(step), run_id=run_id)
        return result

    def close(original: Callable[..., Any], writer: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(writer, *args, **kwargs)
        run_id = _WRITER_RUNS.pop(writer, None)
        if run_id is not None:
            end_logging_run(integration, run_id)
        return result

    integration.patch(writer_class, "add_scalar", add_scalar)
    integration.patch(writer_class, "add_scalars", add_scalars)
    integration.patch(writer_class, "add_hparams", add_hparams)
    integration.patch(writer_class, "close", close)


def _step(step: Any) -> int:
    return int(step) if step is not None else 0
