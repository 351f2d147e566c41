"""What an autologged ``xgboost.train`` and ``XGBModel.fit`` record."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from runlab.autolog._session import Fit
from runlab.autolog.integrations import _boosting as boosting

__all__ = ["dmatrix_init_hook", "fit_hook", "sklearn_train_hook", "train_hook"]

# Arguments of xgboost.train that are data, code or results rather than settings.
UNLOGGED = (
    "params",
    "dtrain",
    "evals",
    "obj",
    "feval",
    "evals_result",
    "xgb_model",
    "callbacks",
    "learning_rates",
)
# DMatrix.__init__: its data's first rows, for the model's input example.
dmatrix_init_hook = boosting.keep_example_hook


def train_hook(fit: Fit, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``xgboost.train``: params, per-iteration metrics, importances, the Booster."""
    return _train(fit, original, args, kwargs, from_sklearn=False)


def sklearn_train_hook(original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The ``train`` an ``XGBModel.fit`` calls: logs into that fit's run, but the model
    is the fit's to log (as the estimator, not its Booster)."""
    state = boosting.current_sklearn_fit()
    if state is None:  # not under an autologged fit (or nested in another framework's)
        return original(*args, **kwargs)
    return _train(state.fit, original, args, kwargs, from_sklearn=True)


def _train(
    fit: Fit,
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    from_sklearn: bool,
) -> Any:
    import xgboost as xgb

    bound = boosting.bind(original, args, kwargs)
    params = bound.arguments.get("params") or {}
    fit.attempt("the params", fit.log_params, boosting.as_params(params))
    fit.attempt("the params", fit.log_params, boosting.call_params(bound, UNLOGGED))
    dtrain = bound.arguments.get("dtrain")
    if fit.config.log_datasets and not from_sklearn and dtrain is not None:
        fit.attempt("the datasets", _log_datasets, fit, dtrain, bound.arguments.get("evals"))

    recorder = boosting.EvalRecorder(fit)
    callbacks = list(bound.arguments.get("callbacks") or ())
    bound.arguments["callbacks"] = [*callbacks, _callback_class()(recorder)]
    model = original(*bound.args, **bound.kwargs)

    config = fit.config
    if config.log_models and not from_sklearn:
        example = boosting.kept_example(dtrain)
        fit.attempt(
            "the model",
            log_model,
            fit,
            model,
            example,
            lambda x: model.predict(xgb.DMatrix(x)),
        )
    if bound.arguments.get("early_stopping_rounds") and recorder.results:
        best = int(model.best_iteration)
        stopped = len(recorder.results) - 1
        fit.attempt(
            "the early stopping metrics",
            boosting.log_early_stopping,
            fit,
            recorder,
            stopped,
            best,
            best,
        )
    for importance_type in config.option("importance_types"):
        fit.attempt(
            f"the {importance_type} feature importance",
            _log_importance,
            model,
            importance_type,
        )
    return model


@lru_cache(maxsize=1)
def _callback_class() -> type:
    import xgboost as xgb

    class _Recorder(xgb.callback.TrainingCallback):
        """Each iteration's eval-set metrics, as ``{eval name}-{metric}``."""

        def __init__(self, recorder: boosting.EvalRecorder) -> None:
            super().__init__()
            self.recorder = recorder

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            metrics = {
                f"{data}-{name}": values[-1]
                for data, by_name in evals_log.items()
                for name, values in by_name.items()
                if values
            }
            if metrics:
                self.recorder.record(metrics, epoch)
            return False  # never stops the training

    return _Recorder


def _log_importance(booster: Any, importance_type: str) -> None:
    boosting.log_importance(
        booster.get_score(importance_type=importance_type), importance_type, None
    )


def _log_datasets(fit: Fit, dtrain: Any, evals: Any) -> None:
    named = [(matrix, str(name)) for matrix, name in evals or ()]
    boosting.log_train_and_eval(fit, dtrain, named, _dataset)


def _dataset(matrix: Any, name: str | None) -> Any:
    import numpy as np

    from runlab import data

    features = matrix.get_data()  # a scipy CSR matrix
    dense = features.toarray() if hasattr(features, "toarray") else np.asarray(features)
    label = matrix.get_label()
    targets = label if len(label) == len(dense) else None
    return data.from_numpy(dense, source=boosting.script_source(), name=name, targets=targets)


def fit_hook(
    fit: Fit, original: Callable[..., Any], estimator: Any, *args: Any, **kwargs: Any
) -> Any:
    """``XGBModel.fit``: what its ``train`` logs, the estimator as the model, the data."""
    return boosting.sklearn_api_fit(fit, original, estimator, args, kwargs, log_model)


def log_model(fit: Fit, model: Any, example: Any, predict: Callable[[Any], Any]) -> None:
    from runlab.models.flavors import xgboost as flavor

    option = fit.config.option("model_format")
    boosting.log_model(fit, flavor.log_model, model, example, predict, model_format=option)
