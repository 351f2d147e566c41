"""``evaluate``: score a model on labelled data, log what was measured to a run."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError
from runlab.evaluation._data import EvalData, Scorer, eval_data, scorer
from runlab.evaluation.metrics import EvaluationMetric, MetricThreshold, check_thresholds
from runlab.evaluation.results import EvaluationResult

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

MODEL_TYPES = ("classifier", "regressor")


def _check_options(
    model_type: Any, evaluators: Any, env_manager: Any, config: Any, extra_metrics: Any
) -> None:
    if model_type not in MODEL_TYPES:
        raise InvalidInputError(
            f"model_type: expected 'classifier' or 'regressor', got {model_type!r}"
        )
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or ["default"])
    if any(n != "default" for n in names):
        raise InvalidInputError(f"evaluators: runlab has the 'default' evaluator only, got {names}")
    if env_manager != "local":
        raise InvalidInputError(
            f"env_manager: models are evaluated in this environment ('local'), got {env_manager!r}"
        )
    if config is not None and not isinstance(config, Mapping):
        raise InvalidInputError(f"evaluator_config: expected a dict, got {type(config).__name__}")
    for metric in extra_metrics or ():
        if not isinstance(metric, EvaluationMetric):
            raise InvalidInputError(
                f"extra_metrics: expected metrics made by make_metric, got {type(metric).__name__}"
            )


def _probabilities(model: Scorer | None, features: pd.DataFrame) -> tuple[Any, list[Any]]:
    if model is None or model.predict_proba is None:
        return None, []
    import numpy as np

    proba = np.asarray(model.predict_proba(features))
    classes = model.classes or list(range(proba.shape[1]))
    return proba, classes


def _measure(
    data: EvalData,
    model: Scorer | None,
    model_type: str,
    config: Mapping[str, Any],
    extra_metrics: Sequence[EvaluationMetric],
) -> tuple[dict[str, float], dict[str, Figure], np.ndarray, np.ndarray | None]:
    """The model's metrics and figures, its predictions and (binary) positive scores."""
    import numpy as np

    from runlab.evaluation._classifier import classifier
    from runlab.evaluation._regressor import regressor

    pred = model.predict(data.features) if model is not None else data.predictions
    assert pred is not None
    if len(pred) != len(data.targets):
        raise InvalidInputError(
            f"model: {len(pred)} predictions for {len(data.targets)} rows of data"
        )
    if model_type == "classifier":
        proba, classes = _probabilities(model, data.features)
        metrics, figures = classifier(data.targets, pred, proba, classes, dict(config))
    else:
        proba = None
        metrics, figures = regressor(data.targets, pred)
    available = {
        "predictions": pred, "targets": data.targets, "metrics": dict(metrics),
        "builtin_metrics": dict(metrics), "eval_df": _eval_frame(data, pred, None),
        **{str(c): data.features[c] for c in data.features.columns},
    }  # fmt: skip
    for metric in extra_metrics:
        metrics.update(metric.compute(available))
    positive = proba[:, 1] if proba is not None and proba.shape[1] == 2 else None
    return metrics, figures, np.asarray(pred), positive


def _eval_frame(data: EvalData, pred: Any, positive: Any) -> pd.DataFrame:
    frame = data.features.reset_index(drop=True).copy()
    frame["target"] = data.targets
    frame["prediction"] = pred
    if positive is not None:
        frame["probability"] = positive
    return frame


def _explain(
    data: EvalData, model: Scorer, model_type: str, config: Mapping[str, Any]
) -> tuple[pd.DataFrame | None, dict[str, Figure]]:
    """Permutation importance (and SHAP when installed), unless the config turns them off."""
    import numpy as np
    from sklearn import metrics as skm

    from runlab.evaluation import _importance

    table, figures = None, {}
    if config.get("permutation_importance", True):
        y = data.targets

        def score(x: pd.DataFrame) -> float:
            pred = model.predict(x)
            if model_type == "classifier":
                return float(skm.accuracy_score(y[: len(x)], pred))
            return float(skm.r2_score(np.asarray(y[: len(x)], float), pred))

        rows = data.features
        if len(rows) > _importance.MAX_ROWS:  # the targets follow the sampled rows
            index = rows.sample(_importance.MAX_ROWS, random_state=0).index
            rows, y = rows.loc[index], np.asarray(data.targets)[rows.index.get_indexer(index)]
        repeats = config.get("permutation_importance_repeats", 3)
        table, figures["permutation_importance"] = _importance.permutation_importance(
            rows, score, repeats
        )
    if config.get("log_model_explainability", True) and _importance.shap_installed():
        output: Callable[[pd.DataFrame], np.ndarray] = model.predict
        if model_type == "classifier" and model.predict_proba is not None:
            proba = model.predict_proba

            def output(x: pd.DataFrame) -> np.ndarray:
                return np.asarray(proba(x))[:, -1]

        figures.update(_importance.shap_summaries(data.features, output))
    return table, figures


def _model_id(model: Any, given: str | None) -> str | None:
    """``given`` (which must name a logged model), or the one a loaded model was logged as."""
    if given is not None:
        from runlab.tracking.fluent_models import get_logged_model

        if not isinstance(given, str):
            raise InvalidInputError(f"model_id: must be a string, got {given!r}")
        return get_logged_model(given).model_id  # NotFoundError for an unknown id
    metadata = getattr(model, "metadata", None)
    found = getattr(metadata, "model_id", None)
    return found if isinstance(found, str) else None


def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    model_type: str | None = None,
    targets: Any = None,
    predictions: Any = None,
    feature_names: list[str] | None = None,
    evaluators: str | list[str] | None = None,
    evaluator_config: dict[str, Any] | None = None,
    extra_metrics: list[EvaluationMetric] | None = None,
    custom_artifacts: list[Callable[..., Any]] | None = None,
    env_manager: str = "local",
    inference_params: dict[str, Any] | None = None,
    baseline_model: Any = None,
    validation_thresholds: dict[str, MetricThreshold] | None = None,
    dataset_path: str | None = None,
    model_config: dict[str, Any] | None = None,
    model_id: str | None = None,
) -> EvaluationResult:
    """Evaluate ``model`` on ``data`` and log the results to the active run (or one it
    starts and ends).

    ``model``: a ``runs:/`` or ``models:/`` URI, a loaded pyfunc, an object with
    ``predict`` (and ``predict_proba`` for log loss, AUCs and curves), a function of the
    features, or None with ``predictions`` (a column of ``data``). ``targets``: a column
    name or an array. Metrics are logged with MLflow's names; plots, the per-row table
    and a manifest go under ``evaluation/`` (see docs/evaluation.md). With
    ``baseline_model`` both models are measured; ``validation_thresholds`` then raise
    ModelValidationFailedError naming each metric that misses its threshold.

    ``dataset_path`` (where the data is kept) and ``model_id`` (the logged model the
    results are about; by default the one ``model`` was logged as) go into the
    manifest. ``model_config`` overrides the saved config of a custom python model
    loaded from a URI.
    """
    config = evaluator_config or {}
    _check_options(model_type, evaluators, env_manager, evaluator_config, extra_metrics)
    assert model_type is not None
    if dataset_path is not None and (not isinstance(dataset_path, str) or '"' in dataset_path):
        raise InvalidInputError(
            f"dataset_path: must be a string without double quotes, got {dataset_path!r}"
        )
    if model_config is not None:
        if not isinstance(model, (str, os.PathLike)):
            raise InvalidInputError("model_config: applies to a model given by its URI only")
        from runlab.models.flavors.pyfunc import load_model

        model = load_model(model, model_config=model_config)
    found = eval_data(data, targets, predictions, feature_names, has_model=model is not None)
    as_array = found.from_array
    if isinstance(model, (str, os.PathLike)):
        from runlab.models.flavors.pyfunc import load_model

        model = load_model(model)
    model_id = _model_id(model, model_id)
    candidate = scorer(model, inference_params, as_array) if model is not None else None
    baseline = (
        scorer(baseline_model, inference_params, as_array, "baseline_model")
        if baseline_model is not None
        else None
    )
    extra = list(extra_metrics or ())
    metrics, figures, pred, positive = _measure(found, candidate, model_type, config, extra)
    baseline_metrics = None
    if baseline is not None:
        baseline_metrics, _figures, _pred, _pos = _measure(
            found, baseline, model_type, config, extra
        )
    importance, more = (
        (None, {}) if candidate is None else _explain(found, candidate, model_type, config)
    )
    figures.update(more)

    from runlab.evaluation._logging import log_evaluation

    result = log_evaluation(
        model_type, found, metrics, baseline_metrics, figures,
        _eval_frame(found, pred, positive), importance, custom_artifacts,
        {"dataset_path": dataset_path, "model_id": model_id},
    )  # fmt: skip
    if validation_thresholds:
        check_thresholds(validation_thresholds, metrics, baseline_metrics)
    return result
