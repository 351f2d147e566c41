"""XGBoost autologging: ``xgboost.train`` and the scikit-learn API's ``fit``
(``XGBClassifier``, ``XGBRegressor``...), with MLflow's keys.

Params of the booster and of the call, each eval set's metrics per iteration
(``validation_0-logloss``), early stopping's ``stopped_iteration``/``best_iteration``,
``feature_importance_{type}.json``/``.png``, and the model in the xgboost flavour.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._registry import register
from runlab.errors import InvalidInputError

__all__ = ["INTEGRATION", "autolog"]

IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


def _on_import(integration: Integration, module: ModuleType) -> None:
    from runlab.autolog.integrations import _boosting
    from runlab.autolog.integrations.xgboost import _train

    name = module.__name__
    if name == "xgboost.core":
        integration.patch(module.DMatrix, "__init__", _train.dmatrix_init_hook)
    elif name == "xgboost":
        integration.patch_training(module, "train", _train.train_hook)
    elif name == "xgboost.sklearn":
        integration.patch(module, "train", _train.sklearn_train_hook)
        base = module.XGBModel
        _boosting.patch_post_training(integration, module, base)
        for value in list(vars(module).values()):
            if isinstance(value, type) and issubclass(value, base) and "fit" in vars(value):
                integration.patch_training(value, "fit", _train.fit_hook)


INTEGRATION = register(
    Integration(
        "xgboost",
        ("xgboost",),
        _on_import,
        options={
            "importance_types": ["weight"],
            "registered_model_name": None,
            "model_format": "ubj",
        },
    )
)


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or undo, with ``disable=True``) XGBoost autologging.

    ``importance_types``: the feature importances to log (default ``["weight"]``; also
    ``gain``, ``cover``, ``total_gain``, ``total_cover``). ``model_format``: ``ubj`` or
    ``json``. The other keywords are those of :func:`runlab.autolog`.
    """
    types = ["weight"] if importance_types is None else importance_types
    if isinstance(types, str) or not all(t in IMPORTANCE_TYPES for t in types):
        raise InvalidInputError(
            f"importance_types: must be a list of {', '.join(IMPORTANCE_TYPES)}, "
            f"got {importance_types!r}"
        )
    if model_format not in ("ubj", "json"):
        raise InvalidInputError(f"model_format: must be 'ubj' or 'json', got {model_format!r}")
    INTEGRATION.configure(
        disable=disable,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        exclusive=exclusive,
        silent=silent,
        extra_tags=extra_tags,
        importance_types=list(types),
        registered_model_name=registered_model_name,
        model_format=model_format,
    )
