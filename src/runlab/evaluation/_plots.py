"""The evaluation plots, drawn on bare matplotlib Figures: no pyplot, so no GUI backend
and no global figure state (the Agg canvas renders them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure(width: float = 6.0, height: float = 5.0) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def confusion_matrix(matrix: np.ndarray, labels: Sequence[Any]) -> Figure:
    fig, ax = _figure()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ticks = range(len(labels))
    ax.set_xticks(ticks, [str(v) for v in labels], rotation=45, ha="right")
    ax.set_yticks(ticks, [str(v) for v in labels])
    limit = matrix.max() / 2 if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            colour = "white" if matrix[i, j] > limit else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=colour)
    ax.set(xlabel="Predicted label", ylabel="True label", title="Confusion matrix")
    return fig


def curves(
    series: Sequence[tuple[str, np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
    title: str,
    diagonal: bool = False,
) -> Figure:
    """One line per ``(label, x, y)``; ``diagonal`` draws the chance (or perfect) line."""
    fig, ax = _figure()
    for label, x, y in series:
        ax.plot(x, y, label=label, marker="o" if len(x) <= 12 else None)
    if diagonal:
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    ax.legend(loc="best", fontsize="small")
    return fig


def residuals(predicted: np.ndarray, residual: np.ndarray) -> Figure:
    fig, ax = _figure()
    ax.scatter(predicted, residual, s=10, alpha=0.6)
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel="Predicted value", ylabel="Residual (actual - predicted)", title="Residuals")
    return fig


def predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray) -> Figure:
    fig, ax = _figure()
    ax.scatter(actual, predicted, s=10, alpha=0.6)
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel="Actual value", ylabel="Predicted value", title="Predicted vs actual")
    return fig


def importance(names: Sequence[str], means: np.ndarray, stds: np.ndarray) -> Figure:
    """Horizontal bars, most important feature on top (at most 20 shown)."""
    order = list(reversed(means.argsort()[::-1][:20]))
    fig, ax = _figure(6.0, max(2.5, 0.3 * len(order) + 1))
    ax.barh([str(names[i]) for i in order], means[order], xerr=stds[order], color="tab:blue")
    ax.set(xlabel="Score drop when the feature is shuffled", title="Permutation importance")
    return fig
