"""What an autologged ``lightgbm.train`` and ``LGBMModel.fit`` record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runlab.autolog._session import Fit
from runlab.autolog.integrations import _boosting as boosting

__all__ = ["dataset_init_hook", "fit_hook", "sklearn_train_hook", "train_hook"]

# Arguments of lightgbm.train that are data, code or results rather than settings.
UNLOGGED = (
    "params",
    "train_set",
    "valid_sets",
    "valid_names",
    "fobj",
    "feval",
    "init_model",
    "learning_rates",
    "callbacks",
)
IMPORTANCE_TYPES = ("split", "gain")
# Dataset.__init__: its data's first rows, for the model's input example.
dataset_init_hook = boosting.keep_example_hook


def train_hook(fit: Fit, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``lightgbm.train``: params, per-iteration metrics, importances, the Booster."""
    return _train(fit, original, args, kwargs, from_sklearn=False)


def sklearn_train_hook(original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The ``train`` an ``LGBMModel.fit`` calls: logs into that fit's run; the model is
    the fit's to log (the estimator, not its Booster)."""
    state = boosting.current_sklearn_fit()
    if state is None:
        return original(*args, **kwargs)
    return _train(state.fit, original, args, kwargs, from_sklearn=True)


def _train(
    fit: Fit,
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    from_sklearn: bool,
) -> Any:
    bound = boosting.bind(original, args, kwargs)
    fit.attempt("the params", fit.log_params, boosting.as_params(bound.arguments.get("params")))
    fit.attempt("the params", fit.log_params, boosting.call_params(bound, UNLOGGED))
    train_set = bound.arguments.get("train_set")
    if fit.config.log_datasets and not from_sklearn and train_set is not None:
        valid = (bound.arguments.get("valid_sets"), bound.arguments.get("valid_names"))
        fit.attempt("the datasets", _log_datasets, fit, train_set, *valid)

    recorder = boosting.EvalRecorder(fit)

    def record(env: Any) -> None:
        metrics = {f"{row[0]}-{row[1]}": row[2] for row in env.evaluation_result_list}
        if metrics:
            recorder.record(metrics, env.iteration)

    callbacks = list(bound.arguments.get("callbacks") or ())
    bound.arguments["callbacks"] = [*callbacks, record]
    model = original(*bound.args, **bound.kwargs)

    best = int(model.best_iteration or 0)
    if best > 0 and recorder.results:  # early stopping kept an iteration (1-based)
        stopped = len(recorder.results)
        fit.attempt(
            "the early stopping metrics",
            boosting.log_early_stopping,
            fit,
            recorder,
            stopped,
            best,
            best - 1,
        )
    for importance_type in IMPORTANCE_TYPES:
        fit.attempt(f"the {importance_type} importance", _log_importance, model, importance_type)
    if fit.config.log_models and not from_sklearn:
        example = boosting.kept_example(train_set)
        fit.attempt("the model", log_model, fit, model, example, model.predict)
    return model


def _log_importance(booster: Any, importance_type: str) -> None:
    values = booster.feature_importance(importance_type=importance_type)
    importance = dict(zip(booster.feature_name(), values.tolist(), strict=True))
    boosting.log_importance(importance, importance_type, 2)


def _log_datasets(fit: Fit, train_set: Any, valid_sets: Any, valid_names: Any) -> None:
    names = [str(n) for n in valid_names or ()]
    valid = list(valid_sets or ())
    named = [(v, names[i] if i < len(names) else None) for i, v in enumerate(valid)]
    boosting.log_train_and_eval(fit, train_set, named, _dataset)


def _dataset(dataset: Any, name: str | None) -> Any:
    import numpy as np

    from runlab import data

    features, label = dataset.data, dataset.label
    source = boosting.script_source()
    if hasattr(features, "iloc"):
        return data.from_pandas(features, source=source, name=name)
    if hasattr(features, "toarray"):
        features = features.toarray()
    targets = None if label is None else np.asarray(label)
    return data.from_numpy(np.asarray(features), source=source, name=name, targets=targets)


def fit_hook(
    fit: Fit, original: Callable[..., Any], estimator: Any, *args: Any, **kwargs: Any
) -> Any:
    """``LGBMModel.fit``: what its ``train`` logs, the estimator as the model, the data."""
    return boosting.sklearn_api_fit(fit, original, estimator, args, kwargs, log_model)


def log_model(fit: Fit, model: Any, example: Any, predict: Callable[[Any], Any]) -> None:
    from runlab.models.flavors import lightgbm as flavor

    boosting.log_model(fit, flavor.log_model, model, example, predict)
