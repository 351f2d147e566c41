"""Classifier metrics (MLflow's names, computed with scikit-learn) and plots."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError
from runlab.evaluation import _plots

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure


def _label(value: Any) -> str:
    """A class label as it can appear in a metric key."""
    return re.sub(r"[^\w\-. /]", "_", str(value))


def classifier(
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    classes: list[Any],
    config: dict[str, Any],
) -> tuple[dict[str, float], dict[str, Figure]]:
    """Metrics and plots; ``proba`` has one column per entry of ``classes`` (or is None,
    and then log loss, the AUCs and the curves are left out)."""
    import numpy as np
    from sklearn import metrics as skm

    labels = sorted(set(classes) | set(np.unique(y).tolist()) | set(np.unique(pred).tolist()))
    binary = len(labels) <= 2
    out: dict[str, float] = {"example_count": float(len(y))}
    out["accuracy_score"] = float(skm.accuracy_score(y, pred))
    scores = {"precision_score": skm.precision_score, "recall_score": skm.recall_score,
              "f1_score": skm.f1_score}  # fmt: skip
    if binary:
        pos = config.get("pos_label", 1 if 1 in labels else labels[-1])
        if pos not in labels:
            raise InvalidInputError(f"evaluator_config: pos_label {pos!r} is not a class {labels}")
        for name, fn in scores.items():
            out[name] = float(fn(y, pred, pos_label=pos, zero_division=0))
        tn, fp, fn_, tp = skm.confusion_matrix(y, pred, labels=_negative_first(labels, pos)).ravel()
        out.update(true_negatives=tn, false_positives=fp, false_negatives=fn_, true_positives=tp)
    else:
        average = config.get("average", "weighted")
        if average not in ("micro", "macro", "weighted"):
            raise InvalidInputError(
                f"evaluator_config: average must be micro, macro or weighted, got {average!r}"
            )
        for name, fn in scores.items():
            out[name] = float(fn(y, pred, average=average, zero_division=0))
    for name, fn in scores.items():
        for average in ("macro", "weighted"):
            out[f"{name}_{average}"] = float(fn(y, pred, average=average, zero_division=0))
        per_class = fn(y, pred, labels=labels, average=None, zero_division=0)
        for label, value in zip(labels, per_class, strict=True):
            out[f"{name}_class_{_label(label)}"] = float(value)
    matrix = skm.confusion_matrix(y, pred, labels=labels)
    figures = {"confusion_matrix": _plots.confusion_matrix(matrix, labels)}
    if proba is not None:
        if binary:
            _binary_curves(y, proba[:, classes.index(pos)], pos, out, figures)
        else:
            _multiclass_curves(y, proba, classes, config, out, figures)
    return {k: float(v) for k, v in out.items()}, figures


def _negative_first(labels: list[Any], pos: Any) -> list[Any]:
    return [label for label in labels if label != pos] + [pos] if len(labels) == 2 else labels


def _binary_curves(
    y: np.ndarray, score: np.ndarray, pos: Any, out: dict[str, float], figures: dict[str, Figure]
) -> None:
    from sklearn import metrics as skm
    from sklearn.calibration import calibration_curve

    truth = y == pos
    out["log_loss"] = float(skm.log_loss(truth, score, labels=[False, True]))
    if truth.all() or not truth.any():
        return  # one class only: the curves and AUCs are undefined
    fpr, tpr, _ = skm.roc_curve(truth, score)
    precision, recall, _ = skm.precision_recall_curve(truth, score)
    out["roc_auc"] = float(skm.auc(fpr, tpr))
    out["precision_recall_auc"] = float(skm.auc(recall, precision))
    figures["roc_curve_plot"] = _plots.curves(
        [(f"AUC={out['roc_auc']:.3f}", fpr, tpr)], "False positive rate", "True positive rate",
        "ROC curve", diagonal=True,
    )  # fmt: skip
    figures["precision_recall_curve_plot"] = _plots.curves(
        [(f"AUC={out['precision_recall_auc']:.3f}", recall, precision)], "Recall", "Precision",
        "Precision-recall curve",
    )  # fmt: skip
    prob_true, prob_pred = calibration_curve(truth, score, n_bins=10)
    figures["calibration_curve_plot"] = _plots.curves(
        [(f"positive class {pos}", prob_pred, prob_true)], "Mean predicted probability",
        "Fraction of positives", "Calibration curve", diagonal=True,
    )  # fmt: skip


def _multiclass_curves(
    y: np.ndarray,
    proba: np.ndarray,
    classes: list[Any],
    config: dict[str, Any],
    out: dict[str, float],
    figures: dict[str, Figure],
) -> None:
    """One-vs-rest: each class against the others, averaged as ``average`` says."""
    import numpy as np
    from sklearn import metrics as skm
    from sklearn.calibration import calibration_curve

    out["log_loss"] = float(skm.log_loss(y, proba, labels=classes))
    present = [i for i, c in enumerate(classes) if (y == c).any() and not (y == c).all()]
    if len(present) < len(classes):
        return  # a class missing from the targets: one-vs-rest AUCs are undefined
    average = config.get("average", "weighted")
    average = "macro" if average == "micro" else average
    out["roc_auc"] = float(skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes,
                                            average=average))  # fmt: skip
    roc, pr, calibration, pr_aucs = [], [], [], []
    for i, c in enumerate(classes):
        truth = y == c
        fpr, tpr, _ = skm.roc_curve(truth, proba[:, i])
        precision, recall, _ = skm.precision_recall_curve(truth, proba[:, i])
        pr_aucs.append(skm.auc(recall, precision))
        roc.append((f"class {c} (AUC={skm.auc(fpr, tpr):.3f})", fpr, tpr))
        pr.append((f"class {c} (AUC={pr_aucs[-1]:.3f})", recall, precision))
        prob_true, prob_pred = calibration_curve(truth, proba[:, i], n_bins=10)
        calibration.append((f"class {c}", prob_pred, prob_true))
    weights = None if average == "macro" else [float((y == c).sum()) for c in classes]
    out["precision_recall_auc"] = float(np.average(pr_aucs, weights=weights))
    figures["roc_curve_plot"] = _plots.curves(
        roc, "False positive rate", "True positive rate", "ROC curves (one vs rest)", True
    )
    figures["precision_recall_curve_plot"] = _plots.curves(
        pr, "Recall", "Precision", "Precision-recall curves (one vs rest)"
    )
    figures["calibration_curve_plot"] = _plots.curves(
        calibration, "Mean predicted probability", "Fraction of positives",
        "Calibration curves (one vs rest)", True,
    )  # fmt: skip
