"""Hugging Face ``Trainer`` autologging: ``Trainer.train``, with MLflow's keys.

Params: the ``TrainingArguments`` and the model's config, flattened (``id2label.0``);
metrics: each ``Trainer.log`` call (``loss``, ``learning_rate``, ``grad_norm``, ``epoch``,
``eval_loss`` and every ``eval_*`` of ``compute_metrics``, the final ``train_*``) with the
global step as step, and a later ``trainer.evaluate()`` into the same run; the training
and eval datasets as run inputs; the model with its tokenizer in the transformers flavour.

Trainer's own ``MLflowCallback`` (``report_to="mlflow"`` or ``"all"``) is removed from a
trainer whose ``train`` is autologged, so a training is logged once, by runlab, into
runlab's tracking URI (with the callback, it would be logged a second time by MLflow).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._registry import register

__all__ = ["INTEGRATION", "autolog"]


def _on_import(integration: Integration, module: ModuleType) -> None:
    if module.__name__ == "transformers.trainer":
        from runlab.autolog.integrations.transformers import _train

        # Subclasses that keep train (Seq2SeqTrainer, most task trainers) are covered.
        integration.patch_training(module.Trainer, "train", _train.train_hook)
        integration.patch(module.Trainer, "evaluate", _train.evaluate_hook)


INTEGRATION = register(
    Integration(
        "transformers",
        ("transformers",),
        _on_import,
        options={"registered_model_name": None},
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
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or undo, with ``disable=True``) autologging of Hugging Face ``Trainer``.

    ``registered_model_name``: register each logged model under this name. The other
    keywords are those of :func:`runlab.autolog`.
    """
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
