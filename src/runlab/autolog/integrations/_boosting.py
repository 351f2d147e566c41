"""What the XGBoost and LightGBM integrations share: the call's params, a per-iteration
metric recorder, early stopping's metrics, feature importances, the recording of a
``train`` call's data (its first rows and its train and eval datasets), and the state
that hands a scikit-learn-API ``fit`` to the ``train`` it calls.

Neither framework is imported here; each integration passes in what it knows.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._session import Fit

__all__ = [
    "EvalRecorder",
    "SklearnFit",
    "bind",
    "call_params",
    "current_sklearn_fit",
    "kept_example",
    "keep_example_hook",
    "log_train_and_eval",
    "log_importance",
    "metric_name",
    "sklearn_fit",
]

INPUT_EXAMPLE_ROWS = 5


@lru_cache(maxsize=64)
def _signature(fn: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(fn)


def bind(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The call's arguments by name (``inspect.BoundArguments``)."""
    return _signature(getattr(fn, "__wrapped__", fn)).bind(*args, **kwargs)


def call_params(bound: Any, unlogged: Iterable[str]) -> dict[str, Any]:
    """Every argument of the training function (given or default) but ``unlogged``."""
    skip = set(unlogged)
    out = {}
    for name, parameter in bound.signature.parameters.items():
        if name in skip or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        out[name] = bound.arguments.get(name, parameter.default)
    return out


def metric_name(name: str) -> str:
    """``ndcg@3`` is not a valid metric key: MLflow logs it as ``ndcg_at_3``."""
    return name.replace("@", "_at_")


@dataclass
class EvalRecorder:
    """The eval sets' metrics of each iteration: logged as they come (queued by the
    fluent batcher, written in batches), and kept for early stopping's summary."""

    fit: Fit
    results: list[dict[str, float]] = field(default_factory=list)
    failed: bool = False

    def record(self, metrics: Mapping[str, float], iteration: int) -> None:
        values = {metric_name(k): float(v) for k, v in metrics.items()}
        self.results.append(values)
        if self.failed:
            return
        try:
            self.fit.log_metrics(values, step=iteration)
        except Exception as e:  # once: a broken store must not warn every iteration
            self.failed = True
            self.fit.integration.warn(f"could not log the iteration's metrics: {e!r}")


def log_early_stopping(
    fit: Fit, recorder: EvalRecorder, stopped: int, best: int, best_index: int
) -> None:
    """``stopped_iteration``, ``best_iteration``, and the best iteration's metrics again
    at one step after the last."""
    fit.log_metrics({"stopped_iteration": stopped, "best_iteration": best})
    if 0 <= best_index < len(recorder.results):
        fit.log_metrics(recorder.results[best_index], step=len(recorder.results))


def log_importance(importance: Mapping[str, Any], importance_type: str, indent: int | None) -> None:
    """``feature_importance_{type}.json`` and a bar chart, ``feature_importance_{type}.png``."""
    import json
    import os
    import tempfile

    from runlab.tracking import fluent

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"feature_importance_{importance_type}.json")
        with open(path, "w") as f:
            json.dump(dict(importance), f, indent=indent)
        fluent.log_artifact(path)
    if importance:
        fluent.log_figure(
            _importance_figure(importance, importance_type),
            f"feature_importance_{importance_type}.png",
        )


def _importance_figure(importance: Mapping[str, Any], importance_type: str) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    names = np.array([str(k) for k in importance])
    # gblinear gives one value per class: the bar is their total magnitude.
    values = np.array([np.abs(np.asarray(v, dtype=float)).sum() for v in importance.values()])
    order = np.argsort(values)
    figure = Figure(figsize=(6.4, 4.8 + (0.1 * len(names) if len(names) > 10 else 0)))
    ax = figure.subplots()
    ax.barh(np.arange(len(names)), values[order], align="center", height=0.5)
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names[order])
    ax.set_xlabel("Importance")
    ax.set_title(f"Feature Importance ({importance_type})")
    # A margin sized from the longest name instead of tight_layout, which measures every
    # label's rendered extent and costs more than drawing the chart.
    longest = max((len(n) for n in names), default=1)
    figure.subplots_adjust(left=min(0.45, 0.06 + 0.011 * longest), right=0.96)
    return figure


def log_model(
    fit: Any,
    flavor_log_model: Callable[..., Any],
    model: Any,
    example: Any,
    predict: Callable[[Any], Any],
    **extra: Any,
) -> None:
    """Log ``model`` as ``model`` with its flavour's ``log_model``: a signature and an
    input example as the autolog settings ask, and any flavour-specific keywords."""
    config = fit.config
    found = None
    if config.log_model_signatures and example is not None:
        found = fit.attempt("the model signature", signature, example, predict)
    flavor_log_model(
        model,
        name="model",
        signature=found,
        input_example=example if config.log_input_examples else None,
        registered_model_name=config.option("registered_model_name"),
        **extra,
    )


def head(data: Any) -> Any:
    """The first rows of training data, copied (training may change the original)."""
    if isinstance(data, (str, bytes)) or data is None:
        return None
    rows = data.iloc[:INPUT_EXAMPLE_ROWS] if hasattr(data, "iloc") else data[:INPUT_EXAMPLE_ROWS]
    return rows.copy() if hasattr(rows, "copy") else rows


# The attribute a framework's data container (DMatrix, Dataset) keeps its first rows in.
_EXAMPLE = "_runlab_input_example"


def keep_example_hook(original: Callable[..., Any], container: Any, *args: Any, **kw: Any) -> Any:
    """The patched ``__init__`` of a data container: keep the first rows of its ``data``
    as given (a DataFrame with its column names), which the container cannot give back
    as they were, for the model's input example."""
    example = head(args[0] if args else kw.get("data"))
    original(container, *args, **kw)
    if example is not None:
        setattr(container, _EXAMPLE, example)


def kept_example(container: Any) -> Any:
    """The rows :func:`keep_example_hook` kept, or None."""
    return getattr(container, _EXAMPLE, None)


def log_train_and_eval(
    fit: Fit,
    train: Any,
    evals: Iterable[tuple[Any, str | None]],
    to_dataset: Callable[[Any, str | None], Any],
) -> None:
    """Record ``train`` as the run's ``train`` input and each ``(container, name)`` of
    ``evals`` as an ``eval`` one, ``to_dataset(container, name)`` making each dataset;
    the training data watched as an eval set too is recorded once."""
    fit.log_input(to_dataset(train, None), context="train")
    for container, name in evals:
        if container is not train:
            fit.log_input(to_dataset(container, name), context="eval")


def signature(example: Any, predict: Callable[[Any], Any]) -> Any:
    from runlab.models.signature import infer_signature

    copy = example.copy() if hasattr(example, "copy") else example
    return infer_signature(example, predict(copy))


# -------------------------------------------------------------- scikit-learn API
@dataclass
class SklearnFit:
    """A scikit-learn-API ``fit`` in progress: its ``train`` call logs into ``fit``
    (params, metrics, importances) and leaves the model to the ``fit``."""

    fit: Fit
    claimed: bool = False


_SKLEARN_FIT: ContextVar[SklearnFit | None] = ContextVar("runlab_gbm_sklearn_fit", default=None)


def sklearn_fit(state: SklearnFit | None) -> Any:
    """Set the ``fit`` in progress; returns the token to reset it with."""
    return _SKLEARN_FIT.set(state)


def reset_sklearn_fit(token: Any) -> None:
    _SKLEARN_FIT.reset(token)


def current_sklearn_fit() -> SklearnFit | None:
    """The unclaimed ``fit`` whose ``train`` this is (a ``fit`` trains once)."""
    state = _SKLEARN_FIT.get()
    if state is None or state.claimed:
        return None
    state.claimed = True
    return state


def sklearn_api_fit(
    fit: Fit,
    original: Callable[..., Any],
    estimator: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    log: Callable[..., Any],
) -> Any:
    """The scikit-learn-API ``fit`` of either framework: the ``train`` inside logs the
    params, metrics and importances; the estimator is logged here, with ``log``."""
    bound = bind(original, (estimator, *args), kwargs).arguments
    X, y = bound.get("X"), bound.get("y")
    example = fit.attempt("an input example", head, X)
    token = sklearn_fit(SklearnFit(fit))
    try:
        result = original(estimator, *args, **kwargs)
    finally:
        reset_sklearn_fit(token)
    config = fit.config
    from runlab.autolog.integrations.sklearn import _post

    _post.remember_model(estimator, fit.run_id)  # for post-training metrics
    if config.log_datasets and X is not None:
        fit.attempt("the training dataset", _log_data, fit, X, y, "train")
        for X_eval, y_eval in _eval_sets(bound):
            fit.attempt("an eval dataset", _log_data, fit, X_eval, y_eval, "eval")
    if config.log_models:
        fit.attempt("the model", log, fit, estimator, example, estimator.predict)
    return result


def _eval_sets(arguments: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """``eval_set=[(X, y)...]``, or LightGBM 4.6's ``eval_X=``/``eval_y=`` (one or a tuple)."""
    if arguments.get("eval_set"):
        return list(arguments["eval_set"])
    X, y = arguments.get("eval_X"), arguments.get("eval_y")
    if X is None:
        return []
    if not isinstance(X, tuple):
        X, y = (X,), (y,)
    return list(zip(X, y or (None,) * len(X), strict=False))


def _log_data(fit: Fit, X: Any, y: Any, context: str) -> None:
    from runlab.autolog.integrations.sklearn._fit import training_dataset

    fit.log_input(training_dataset(X, y), context=context)


def as_params(params: Any) -> dict[str, Any]:
    """A booster's params: a dict, or (xgboost) a list of pairs."""
    return dict(params) if isinstance(params, Mapping) else dict(params or ())


def script_source() -> str:
    return sys.argv[0] if sys.argv and sys.argv[0] else ""


POST_TRAINING_METHODS = ("predict", "predict_proba", "score")


def patch_post_training(integration: Integration, module: ModuleType, base: type) -> None:
    """``accuracy_score(y, model.predict(X))`` after a scikit-learn-API fit is logged to
    the model's run, as for scikit-learn's own estimators: each estimator class's
    predictions are remembered here, and the metric functions are those scikit-learn's
    autologging patches (``runlab.autolog()`` enables both). Patching them here too would
    make two integrations own one function, and disabling them in either order must put
    the original back."""
    from runlab.autolog.integrations.sklearn import _post

    for value in list(vars(module).values()):
        if isinstance(value, type) and issubclass(value, base):
            for name in POST_TRAINING_METHODS:
                if name in vars(value):
                    integration.patch(value, name, _post.predict_hook(name))
