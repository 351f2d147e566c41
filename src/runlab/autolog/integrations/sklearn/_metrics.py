"""Training metrics and the classifier artifacts, with MLflow's ``training_`` keys."""

from __future__ import annotations

import math
from typing import Any

from runlab.autolog._session import Fit

__all__ = ["log_training_content"]

PREFIX = "training_"


def log_training_content(fit: Fit, estimator: Any, X: Any, y: Any, sample_weight: Any) -> None:
    from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier, is_regressor

    metrics: dict[str, float] = {}
    classifier = is_classifier(estimator) and hasattr(estimator, "predict")
    regressor = not classifier and is_regressor(estimator) and hasattr(estimator, "predict")
    y_pred = estimator.predict(X) if classifier or regressor else None
    if classifier:
        metrics.update(_classifier_metrics(fit, estimator, X, y, y_pred, sample_weight))
    elif regressor:
        metrics.update(_regressor_metrics(fit, y, y_pred, sample_weight))
    # The mixins' score is accuracy or R2 of the same prediction: no second predict.
    score = type(estimator).score if hasattr(estimator, "score") else None
    if score is not None and classifier and score is ClassifierMixin.score:
        metrics[PREFIX + "score"] = metrics.get(PREFIX + "accuracy_score", math.nan)
    elif score is not None and regressor and score is RegressorMixin.score:
        metrics[PREFIX + "score"] = metrics.get(PREFIX + "r2_score", math.nan)
    elif score is not None:
        weights = {"sample_weight": sample_weight} if sample_weight is not None else {}
        value = fit.attempt("training_score", estimator.score, X, y, **weights)
        if value is not None:
            metrics[PREFIX + "score"] = float(value)
    fit.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)})
    if classifier:
        fit.attempt("the classification report", _log_report, estimator, y, y_pred)
        fit.attempt("the confusion matrix", _log_confusion_matrix, estimator, y, y_pred)


def _classifier_metrics(
    fit: Fit, estimator: Any, X: Any, y: Any, y_pred: Any, sample_weight: Any
) -> dict[str, float]:
    from sklearn import metrics as m

    pos_label = fit.config.option("pos_label")
    average = "weighted" if pos_label is None else "binary"
    label = {} if pos_label is None else {"pos_label": pos_label}
    common = {"sample_weight": sample_weight}
    out: dict[str, float] = {}
    prf = fit.attempt(
        "precision, recall and f1",
        m.precision_recall_fscore_support,
        y,
        y_pred,
        average=average,
        zero_division=0,
        **label,
        **common,
    )
    if prf is not None:
        for name, value in zip(("precision_score", "recall_score", "f1_score"), prf, strict=False):
            out[PREFIX + name] = float(value)
    calls: dict[str, Any] = {"accuracy_score": lambda: m.accuracy_score(y, y_pred, **common)}
    if hasattr(estimator, "predict_proba"):
        proba = fit.attempt("predict_proba", estimator.predict_proba, X)
        if proba is not None:
            scores = proba[:, 1] if proba.shape[1] == 2 else proba
            calls["log_loss"] = lambda: m.log_loss(
                y, proba, labels=getattr(estimator, "classes_", None), **common
            )
            calls["roc_auc"] = lambda: m.roc_auc_score(
                y, scores, average="weighted", multi_class="ovo", **common
            )
    for name, call in calls.items():
        value = fit.attempt(PREFIX + name, call)
        if value is not None:
            out[PREFIX + name] = float(value)
    return out


def _regressor_metrics(fit: Fit, y: Any, y_pred: Any, sample_weight: Any) -> dict[str, float]:
    from sklearn import metrics as m

    common = {"sample_weight": sample_weight}
    out: dict[str, float] = {}
    mse = fit.attempt(PREFIX + "mean_squared_error", m.mean_squared_error, y, y_pred, **common)
    if mse is not None:
        out[PREFIX + "mean_squared_error"] = float(mse)
        out[PREFIX + "root_mean_squared_error"] = math.sqrt(float(mse))
    for name, fn in (("mean_absolute_error", m.mean_absolute_error), ("r2_score", m.r2_score)):
        value = fit.attempt(PREFIX + name, fn, y, y_pred, **common)
        if value is not None:
            out[PREFIX + name] = float(value)
    return out


def _log_report(estimator: Any, y: Any, y_pred: Any) -> None:
    from sklearn.metrics import classification_report

    from runlab.tracking import fluent

    report = classification_report(y, y_pred, output_dict=True, zero_division=0)
    fluent.log_dict(report, PREFIX + "classification_report.json")


def _log_confusion_matrix(estimator: Any, y: Any, y_pred: Any) -> None:
    """A PNG drawn with matplotlib's object API (no pyplot, no global figure state); the
    counts are written in the cells, so no colour bar is drawn."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from sklearn.metrics import confusion_matrix

    from runlab.tracking import fluent

    labels = getattr(estimator, "classes_", None)
    if labels is None:
        labels = np.unique(np.concatenate([np.asarray(y), np.asarray(y_pred)]))
    matrix = confusion_matrix(y, y_pred, labels=labels)
    n = len(labels)
    size = min(12.0, 2.5 + 0.5 * n)
    fig = Figure(figsize=(size, size))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues")
    ticks = range(n)
    ax.set_xticks(ticks, [str(v) for v in labels])
    ax.set_yticks(ticks, [str(v) for v in labels])
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title("Confusion matrix (training data)")
    if n <= 30:
        threshold = matrix.max() / 2 if matrix.size else 0
        for i in ticks:
            for j in ticks:
                color = "white" if matrix[i, j] > threshold else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=color)
    fig.subplots_adjust(left=0.18, bottom=0.16, right=0.95, top=0.9)  # cheaper than tight_layout
    fluent.log_figure(fig, PREFIX + "confusion_matrix.png")
