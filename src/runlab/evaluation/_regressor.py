"""Regressor metrics (MLflow's names, computed with scikit-learn) and plots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runlab.evaluation import _plots

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure


def regressor(y: np.ndarray, pred: np.ndarray) -> tuple[dict[str, float], dict[str, Figure]]:
    import numpy as np
    from sklearn import metrics as skm

    y, pred = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    mse = float(skm.mean_squared_error(y, pred))
    out = {
        "example_count": float(len(y)),
        "mean_absolute_error": float(skm.mean_absolute_error(y, pred)),
        "mean_squared_error": mse,
        "root_mean_squared_error": float(np.sqrt(mse)),
        "sum_on_target": float(y.sum()),
        "mean_on_target": float(y.mean()),
        "max_error": float(skm.max_error(y, pred)),
        "mean_absolute_percentage_error": float(skm.mean_absolute_percentage_error(y, pred)),
    }
    if len(y) > 1:  # R² needs two points
        out["r2_score"] = float(skm.r2_score(y, pred))
    figures = {
        "residuals_plot": _plots.residuals(pred, y - pred),
        "predicted_vs_actual_plot": _plots.predicted_vs_actual(y, pred),
    }
    return out, figures
