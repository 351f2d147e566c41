"""scikit-learn autologging: ``fit``, ``fit_transform`` and ``fit_predict`` of every
estimator, searches with a child run per candidate, and post-training metrics.

Estimator classes are patched module by module as scikit-learn loads them, so enabling
it imports nothing of scikit-learn that the script does not import itself.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._registry import register
from runlab.errors import InvalidInputError

__all__ = ["INTEGRATION", "autolog"]

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "transform", "score")


def _on_import(integration: Integration, module: ModuleType) -> None:
    from runlab.autolog.integrations.sklearn import _fit, _post

    estimator = getattr(sys.modules.get("sklearn.base"), "BaseEstimator", None)
    if estimator is None:  # not defined yet: neither is any estimator
        return
    if module.__name__ == "sklearn.metrics":
        _post.patch_metrics(integration, module)
    for value in list(vars(module).values()):
        # Estimators, and the mixins whose score/fit_transform they inherit.
        if not (
            isinstance(value, type)
            and value.__module__ == module.__name__
            and (issubclass(value, estimator) or value.__name__.endswith("Mixin"))
        ):
            continue
        for name in FIT_METHODS:
            if name in vars(value):
                integration.patch_training(value, name, _fit.fit_hook)
        for name in PREDICT_METHODS:
            if name in vars(value):
                integration.patch(value, name, _post.predict_hook(name))


INTEGRATION = register(
    Integration(
        "sklearn",
        ("sklearn",),
        _on_import,
        options={
            "max_tuning_runs": 5,
            "log_post_training_metrics": True,
            "serialization_format": "cloudpickle",
            "registered_model_name": None,
            "pos_label": None,
        },
    )
)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or undo, with ``disable=True``) scikit-learn autologging.

    ``max_tuning_runs``: child runs of a parameter search, best candidates first
    (``None`` for all). ``pos_label``: the positive class of binary metrics (weighted
    averages otherwise). The other keywords are those of :func:`runlab.autolog`.
    """
    if max_tuning_runs is not None and (
        not isinstance(max_tuning_runs, int) or isinstance(max_tuning_runs, bool)
    ):
        raise InvalidInputError(
            f"max_tuning_runs: must be an integer or None, got {max_tuning_runs!r}"
        )
    if max_tuning_runs is not None and max_tuning_runs < 0:
        raise InvalidInputError(f"max_tuning_runs: must be 0 or more, got {max_tuning_runs}")
    if serialization_format not in ("cloudpickle", "pickle"):
        raise InvalidInputError(
            f"serialization_format: must be 'cloudpickle' or 'pickle', got {serialization_format!r}"
        )
    INTEGRATION.configure(
        disable=disable,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        exclusive=exclusive,
        silent=silent,
        extra_tags=extra_tags,
        max_tuning_runs=max_tuning_runs,
        log_post_training_metrics=log_post_training_metrics,
        serialization_format=serialization_format,
        registered_model_name=registered_model_name,
        pos_label=pos_label,
    )
