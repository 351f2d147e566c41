"""What one autologged scikit-learn ``fit`` records, before and after training."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from runlab.autolog._session import Fit

__all__ = ["fit_hook"]

INPUT_EXAMPLE_ROWS = 5


def fit_hook(
    fit: Fit, original: Callable[..., Any], estimator: Any, *args: Any, **kwargs: Any
) -> Any:
    from runlab.autolog.integrations.sklearn import _post, _search

    X, y, sample_weight = _training_data(original, estimator, args, kwargs)
    search = _search.is_search(estimator)
    fit.attempt("the params", fit.log_params, estimator.get_params(deep=not search))
    fit.attempt("the tags", fit.set_tags, _estimator_tags(estimator))
    example = fit.attempt("an input example", _head, X) if X is not None else None

    result = original(estimator, *args, **kwargs)

    config = fit.config
    if config.log_datasets and X is not None:
        fit.attempt("the training dataset", _log_dataset, fit, X, y)
    if config.log_models:
        fit.attempt("the model", _log_model, fit, estimator, example, "model")
    if y is not None:
        from runlab.autolog.integrations.sklearn import _metrics

        fit.attempt(
            "the training metrics",
            _metrics.log_training_content,
            fit,
            estimator,
            X,
            y,
            sample_weight,
        )
    fit.attempt("the feature importances", _log_importances, estimator, X)
    if search:
        fit.attempt("the search results", _search.log_search, fit, estimator, example)
    if config.option("log_post_training_metrics"):
        _post.remember_model(estimator, fit.run_id)
    return result


@lru_cache(maxsize=512)
def _parameters(fn: Callable[..., Any]) -> tuple[str, ...]:
    try:
        return tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ()


def _training_data(
    fn: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """``X``, ``y`` and ``sample_weight`` as the fit call passed them (None when absent)."""
    names = _parameters(getattr(fn, "__wrapped__", fn))[1:]  # after self
    bound = dict(zip(names, args, strict=False))
    bound.update(kwargs)
    X = bound["X"] if "X" in bound else (args[0] if args else None)
    y = bound.get("y", bound.get("Y"))
    return X, y, bound.get("sample_weight")


def _head(X: Any) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[:INPUT_EXAMPLE_ROWS].copy()
    return X[:INPUT_EXAMPLE_ROWS].copy() if hasattr(X, "copy") else X[:INPUT_EXAMPLE_ROWS]


def _estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def _log_dataset(fit: Fit, X: Any, y: Any) -> None:
    fit.log_input(training_dataset(X, y), context="train")


def training_dataset(X: Any, y: Any) -> Any:
    import numpy as np

    from runlab import data

    source = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        frame = X
        target = None
        if y is not None:
            target = str(getattr(y, "name", None) or "target")
            if target in X.columns:
                target = f"{target}_target"
            frame = X.assign(**{target: np.asarray(y)})
        return data.from_pandas(frame, source=source, name="dataset", targets=target)
    return data.from_numpy(np.asarray(X), source=source, name="dataset", targets=y)


def _log_model(fit: Fit, estimator: Any, example: Any, name: str) -> None:
    from runlab.models.flavors import sklearn as flavor

    config = fit.config
    signature = None
    if config.log_model_signatures and example is not None:
        signature = fit.attempt("the model signature", _signature, estimator, example)
    flavor.log_model(
        estimator,
        name=name,
        signature=signature,
        input_example=example if config.log_input_examples else None,
        serialization_format=config.option("serialization_format"),
        registered_model_name=config.option("registered_model_name") if name == "model" else None,
        pyfunc_predict_fn="predict" if hasattr(estimator, "predict") else "transform",
    )


def _signature(estimator: Any, example: Any) -> Any:
    from runlab.models.signature import infer_signature

    method = estimator.predict if hasattr(estimator, "predict") else estimator.transform
    return infer_signature(example, method(example.copy() if hasattr(example, "copy") else example))


def _log_importances(estimator: Any, X: Any) -> None:
    import numpy as np

    from runlab.tracking import fluent

    model = estimator
    if hasattr(model, "steps"):  # a Pipeline: its final estimator's
        model = model.steps[-1][1]
    if hasattr(model, "best_estimator_"):
        model = model.best_estimator_
    names = getattr(estimator, "feature_names_in_", None)
    importances = getattr(model, "feature_importances_", None)
    if importances is not None:
        values = np.asarray(importances, dtype=float).ravel()
        fluent.log_dict(_by_feature(values, names), "feature_importances.json")
        return
    coef = getattr(model, "coef_", None)
    if coef is not None:
        matrix = np.atleast_2d(np.asarray(coef, dtype=float))
        rows = [_by_feature(row, names) for row in matrix]
        classes = getattr(model, "classes_", None)
        if len(rows) == 1:
            content: Any = rows[0]
        elif classes is not None and len(classes) == len(rows):
            content = {str(c): row for c, row in zip(classes, rows, strict=True)}
        else:
            content = rows
        fluent.log_dict(content, "coefficients.json")


def _by_feature(values: Any, names: Any) -> dict[str, float]:
    if names is None or len(names) != len(values):
        names = [f"feature_{i}" for i in range(len(values))]
    return {str(n): float(v) for n, v in zip(names, values, strict=True)}
