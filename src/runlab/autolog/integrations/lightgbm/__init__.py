"""LightGBM autologging: ``lightgbm.train`` and the scikit-learn API's ``fit``
(``LGBMClassifier``, ``LGBMRegressor``...), with MLflow's keys.

Params of the booster and of the call, each valid set's metrics per iteration
(``valid_0-binary_logloss``), early stopping's ``stopped_iteration``/``best_iteration``,
``feature_importance_{split,gain}.json``/``.png``, and the model in the lightgbm flavour.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._registry import register

__all__ = ["INTEGRATION", "autolog"]


def _on_import(integration: Integration, module: ModuleType) -> None:
    from runlab.autolog.integrations import _boosting
    from runlab.autolog.integrations.lightgbm import _train

    name = module.__name__
    if name == "lightgbm.basic":
        integration.patch(module.Dataset, "__init__", _train.dataset_init_hook)
    elif name == "lightgbm":
        integration.patch_training(module, "train", _train.train_hook)
    elif name == "lightgbm.sklearn":
        integration.patch(module, "train", _train.sklearn_train_hook)
        base = module.LGBMModel
        _boosting.patch_post_training(integration, module, base)
        for value in list(vars(module).values()):
            if isinstance(value, type) and issubclass(value, base) and "fit" in vars(value):
                integration.patch_training(value, "fit", _train.fit_hook)


INTEGRATION = register(
    Integration("lightgbm", ("lightgbm",), _on_import, options={"registered_model_name": None})
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
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or undo, with ``disable=True``) LightGBM autologging; the keywords are
    those of :func:`runlab.autolog`, and ``registered_model_name`` registers each model."""
    INTEGRATION.configure(
        disable=disable,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        exclusive=exclusive,
        silent=silent,
        extra_tags=extra_tags,
        registered_model_name=registered_model_name,
    )
