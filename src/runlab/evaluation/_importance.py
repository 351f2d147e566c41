"""Which features the model leans on: permutation importance, and SHAP summaries when
the optional ``shap`` package is installed."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError
from runlab.evaluation import _plots

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

_log = logging.getLogger(__name__)
MAX_ROWS = 2000  # permutation cost is features × repeats predictions: cap the rows


def permutation_importance(
    features: pd.DataFrame,
    score: Callable[[pd.DataFrame], float],
    repeats: int,
) -> tuple[pd.DataFrame, Figure]:
    """How much ``score`` (higher is better) drops when each feature column is shuffled,
    averaged over ``repeats`` shuffles with a fixed seed (so reruns agree)."""
    import numpy as np
    import pandas as pd

    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise InvalidInputError(
            f"evaluator_config: permutation_importance_repeats must be a positive int, got "
            f"{repeats!r}"
        )
    rows = features.sample(MAX_ROWS, random_state=0) if len(features) > MAX_ROWS else features
    rows = rows.reset_index(drop=True)
    rng = np.random.default_rng(0)
    base = score(rows)
    means, stds = [], []
    for column in rows.columns:
        drops = []
        for _ in range(repeats):
            shuffled = rows.copy()
            shuffled[column] = rows[column].to_numpy()[rng.permutation(len(rows))]
            drops.append(base - score(shuffled))
        means.append(float(np.mean(drops)))
        stds.append(float(np.std(drops)))
    table = pd.DataFrame(
        {"feature": [str(c) for c in rows.columns], "importance_mean": means,
         "importance_std": stds}
    ).sort_values("importance_mean", ascending=False, ignore_index=True)  # fmt: skip
    figure = _plots.importance(list(table["feature"]), table["importance_mean"].to_numpy(),
                               table["importance_std"].to_numpy())  # fmt: skip
    return table, figure


def shap_installed() -> bool:
    return importlib.util.find_spec("shap") is not None


def shap_summaries(
    features: pd.DataFrame, output: Callable[[pd.DataFrame], np.ndarray]
) -> dict[str, Figure]:
    """SHAP's beeswarm and mean-|SHAP| bar plots of ``output`` (a number per row), from a
    model-agnostic explainer over a small background sample. SHAP is optional and its
    API moves between versions, so a failure is logged and the evaluation goes on."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import pandas as pd
        import shap
        from matplotlib import pyplot as plt

        def explain(x: Any) -> np.ndarray:
            return output(pd.DataFrame(x, columns=features.columns))

        rows = features.sample(min(len(features), 200), random_state=0)
        explainer = shap.Explainer(explain, rows.iloc[: min(len(rows), 100)])
        values = explainer(rows)
        figures: dict[str, Figure] = {}
        for name, plot in (("shap_beeswarm_plot", shap.plots.beeswarm),
                           ("shap_feature_importance_plot", shap.plots.bar)):  # fmt: skip
            plot(values, show=False)
            figures[name] = plt.gcf()
            plt.close(figures[name])
        return figures
    except Exception as exc:
        _log.warning("SHAP summaries were not logged: %s", exc)
        return {}
