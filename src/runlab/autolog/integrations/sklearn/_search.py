"""Parameter searches (GridSearchCV, RandomizedSearchCV, Halving*): the best candidate
on the parent run, and a child run for each of the best ``max_tuning_runs`` candidates."""

from __future__ import annotations

import numbers
from typing import Any

from runlab.autolog._session import Fit

__all__ = ["is_search", "log_search"]

SKIPPED_COLUMNS = ("param_", "split", "params")


def is_search(estimator: Any) -> bool:
    from sklearn.model_selection._search import BaseSearchCV

    return isinstance(estimator, BaseSearchCV)


def log_search(fit: Fit, search: Any, example: Any) -> None:
    from runlab.autolog.integrations.sklearn import _fit

    best_params = getattr(search, "best_params_", None)
    if best_params:
        fit.log_params({f"best_{k}": v for k, v in best_params.items()})
    if hasattr(search, "best_score_"):
        fit.log_metrics({"best_cv_score": search.best_score_})
    if fit.config.log_models and hasattr(search, "best_estimator_"):
        fit.attempt(
            "the best estimator",
            _fit._log_model,
            fit,
            search.best_estimator_,
            example,
            "best_estimator",
        )
    fit.attempt("cv_results.csv", _log_results_table, search)
    fit.attempt("the candidates' child runs", _log_children, fit, search)


def _log_results_table(search: Any) -> None:
    import csv
    import io

    from runlab.tracking import fluent

    results = search.cv_results_
    columns = list(results)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for i in range(len(results[columns[0]])):
        writer.writerow([results[c][i] for c in columns])
    fluent.log_text(out.getvalue(), "cv_results.csv")


def _ranked(search: Any) -> list[int]:
    results = search.cv_results_
    rank_key = "rank_test_score"
    if rank_key not in results:
        rank_key = next((k for k in results if k.startswith("rank_test_")), "")
    count = len(results["params"])
    if not rank_key:
        return list(range(count))
    ranks = results[rank_key]
    return sorted(range(count), key=lambda i: (ranks[i], i))


def _log_children(fit: Fit, search: Any) -> None:
    from runlab.autolog._params import loggable_params
    from runlab.tracking import fluent

    order = _ranked(search)
    limit = fit.config.option("max_tuning_runs")
    chosen = order if limit is None else order[:limit]
    if len(chosen) < len(order):
        fit.integration.note(
            "logging the best %d of %d candidates as child runs (max_tuning_runs)",
            len(chosen),
            len(order),
        )
    results = search.cv_results_
    base = search.estimator.get_params(deep=True)
    cls = type(search.estimator)
    tags = {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}
    for i in chosen:
        params = {**base, **results["params"][i]}
        metrics = {
            key: float(values[i])
            for key, values in results.items()
            if not key.startswith(SKIPPED_COLUMNS) and isinstance(values[i], numbers.Number)
        }
        with fluent.start_run(nested=True, tags=tags):
            fluent.log_params(loggable_params(params))
            fluent.log_metrics(metrics)
