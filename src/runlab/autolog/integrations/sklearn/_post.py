"""Post-training metrics: ``accuracy_score(y_test, model.predict(X_test))`` after an
autologged fit is logged to that model's run as ``accuracy_score_X_test``.

A prediction of a fitted model is remembered (weakly) with its run and the name of the
variable it was computed from, looked up in the caller's frames; a ``sklearn.metrics``
function given such a prediction logs its value under ``{metric}[-{n}]_{dataset}``,
and ``model.score(X_test, y_test)`` under ``{Model}_score_X_test``.
"""

from __future__ import annotations

import math
import sys
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from types import FrameType, ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._session import in_training

__all__ = ["patch_metrics", "predict_hook", "remember_model"]

UNKNOWN_DATASET = "unknown_dataset"
MAX_FRAMES = 64
_MODEL_RUNS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_IN_METRIC: ContextVar[bool] = ContextVar("runlab_sklearn_in_metric", default=False)
_lock = threading.Lock()


class _RunNames:
    """Per run: dataset names given out (by object id) and metric keys used so far."""

    def __init__(self) -> None:
        self.datasets: dict[int, str] = {}
        self.names: dict[str, int] = {}
        self.keys: dict[str, int] = {}

    def dataset(self, X: Any, name: str) -> str:
        known = self.datasets.get(id(X))
        if known is not None:
            return known
        count = self.names.get(name, 0) + 1
        self.names[name] = count
        label = name if count == 1 else f"{name}-{count}"
        self.datasets[id(X)] = label
        return label

    def key(self, metric: str, dataset: str) -> str:
        base = f"{metric}_{dataset}"
        count = self.keys.get(base, 0) + 1
        self.keys[base] = count
        return base if count == 1 else f"{metric}-{count}_{dataset}"


_runs: dict[str, _RunNames] = {}
# id(prediction) -> (weak reference to it, run id, dataset label)
_predictions: dict[int, tuple[Any, str, str]] = {}


def remember_model(estimator: Any, run_id: str) -> None:
    try:
        _MODEL_RUNS[estimator] = run_id
    except TypeError:
        pass  # not weak-referenceable: no post-training metrics for it


def _names(run_id: str) -> _RunNames:
    with _lock:
        return _runs.setdefault(run_id, _RunNames())


def _variable_name(X: Any) -> str:
    """The name of ``X`` in the outermost frame outside runlab and scikit-learn."""
    found = UNKNOWN_DATASET
    frame: FrameType | None = sys._getframe(2)
    for _ in range(MAX_FRAMES):
        if frame is None:
            break
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("runlab.", "sklearn.")):
            for name, value in frame.f_locals.items():
                if value is X and not name.startswith("_"):
                    found = name
                    break
        frame = frame.f_back
    return found


def _remember(prediction: Any, run_id: str, label: str) -> None:
    key = id(prediction)

    def forget(ref: Any) -> None:
        # Only this prediction's entry: a later one may have been given the same id.
        if _predictions.get(key, (None,))[0] is ref:
            _predictions.pop(key, None)

    try:
        ref: Any = weakref.ref(prediction, forget)
    except TypeError:
        return
    _predictions[key] = (ref, run_id, label)


def _lookup(value: Any) -> tuple[str, str] | None:
    entry = _predictions.get(id(value))
    if entry is None or entry[0]() is not value:
        return None
    return entry[1], entry[2]


def _log(run_id: str, key: str, value: Any) -> None:
    from runlab.tracking import fluent

    number = float(value)
    if math.isfinite(number):
        fluent.log_metrics({key: number}, run_id=run_id)


def predict_hook(method: str) -> Callable[..., Any]:
    def hook(original: Callable[..., Any], model: Any, *args: Any, **kwargs: Any) -> Any:
        run_id = _MODEL_RUNS.get(model) if not (in_training() or _IN_METRIC.get()) else None
        if run_id is None or not args:
            return original(model, *args, **kwargs)
        X = args[0]
        label = _names(run_id).dataset(X, _variable_name(X))
        if method == "score":
            token = _IN_METRIC.set(True)
            try:
                value = original(model, *args, **kwargs)
            finally:
                _IN_METRIC.reset(token)
            _log(run_id, _names(run_id).key(f"{type(model).__name__}_score", label), value)
            return value
        result = original(model, *args, **kwargs)
        _remember(result, run_id, label)
        return result

    return hook


def _metric_hook(name: str) -> Callable[..., Any]:
    def hook(original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if in_training() or _IN_METRIC.get() or not _predictions:
            return original(*args, **kwargs)
        found = None
        for value in (*args, *kwargs.values()):
            found = _lookup(value)
            if found is not None:
                break
        token = _IN_METRIC.set(True)
        try:
            result = original(*args, **kwargs)
        finally:
            _IN_METRIC.reset(token)
        if found is not None and (isinstance(result, (int, float)) or _is_scalar(result)):
            run_id, label = found
            _log(run_id, _names(run_id).key(name, label), result)
        return result

    return hook


def _is_scalar(value: Any) -> bool:
    return getattr(value, "ndim", None) == 0


def patch_metrics(integration: Integration, metrics: ModuleType) -> None:
    """Patch the metric functions of ``sklearn.metrics``: scores, errors and losses."""
    for name in getattr(metrics, "__all__", ()):
        if name.endswith(("_score", "_error", "_loss")) and callable(getattr(metrics, name, None)):
            integration.patch(metrics, name, _metric_hook(name))
