"""PyTorch autologging: PyTorch Lightning's ``Trainer.fit`` (``lightning`` and
``pytorch_lightning``), and a plain loop's ``torch.utils.tensorboard.SummaryWriter``."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._registry import register
from runlab.errors import InvalidInputError

__all__ = ["INTEGRATION", "autolog"]

TRAINER_MODULES = ("lightning.pytorch.trainer.trainer", "pytorch_lightning.trainer.trainer")
WRITER_MODULE = "torch.utils.tensorboard.writer"


def _on_import(integration: Integration, module: ModuleType) -> None:
    if module.__name__ in TRAINER_MODULES:
        from runlab.autolog.integrations.pytorch import _lightning

        integration.patch_training(module.Trainer, "fit", _lightning.fit_hook)
    elif module.__name__ == WRITER_MODULE:
        from runlab.autolog.integrations.pytorch import _tensorboard

        _tensorboard.patch_writer(integration, module.SummaryWriter)


INTEGRATION = register(
    Integration(
        "pytorch",
        ("lightning", "pytorch_lightning", "torch"),
        _on_import,
        options={
            "log_every_n_epoch": 1,
            "log_every_n_step": None,
            "registered_model_name": None,
            "checkpoint": True,
            "checkpoint_monitor": "val_loss",
            "checkpoint_mode": "min",
            "checkpoint_save_best_only": True,
            "checkpoint_save_weights_only": False,
            "checkpoint_save_freq": "epoch",
        },
    )
)


def autolog(
    log_every_n_epoch: int = 1,
    log_every_n_step: int | None = None,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
    checkpoint: bool = True,
    checkpoint_monitor: str | None = "val_loss",
    checkpoint_mode: str = "min",
    checkpoint_save_best_only: bool = True,
    checkpoint_save_weights_only: bool = False,
    checkpoint_save_freq: str | int = "epoch",
    log_model_signatures: bool = True,
    log_input_examples: bool = False,
) -> None:
    """Enable (or undo, with ``disable=True``) PyTorch autologging.

    Lightning: metrics every ``log_every_n_epoch`` epochs; with ``checkpoint``, the
    module at its best ``checkpoint_monitor`` value (``checkpoint_mode`` ``min`` or
    ``max``) is logged as ``best_model`` beside the final ``model``. SummaryWriter:
    ``log_every_n_step`` keeps every n-th step of ``add_scalar`` (all by default).
    """
    for name, value in (
        ("log_every_n_epoch", log_every_n_epoch),
        ("log_every_n_step", log_every_n_step),
    ):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise InvalidInputError(f"{name}: must be a positive integer, got {value!r}")
    if log_every_n_epoch is None:
        raise InvalidInputError("log_every_n_epoch: must be a positive integer, got None")
    if checkpoint_mode not in ("min", "max"):
        raise InvalidInputError(f"checkpoint_mode: must be 'min' or 'max', got {checkpoint_mode!r}")
    INTEGRATION.configure(
        disable=disable,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        exclusive=exclusive,
        silent=silent,
        extra_tags=extra_tags,
        log_every_n_epoch=log_every_n_epoch,
        log_every_n_step=log_every_n_step,
        registered_model_name=registered_model_name,
        checkpoint=checkpoint,
        checkpoint_monitor=checkpoint_monitor,
        checkpoint_mode=checkpoint_mode,
        checkpoint_save_best_only=checkpoint_save_best_only,
        checkpoint_save_weights_only=checkpoint_save_weights_only,
        checkpoint_save_freq=checkpoint_save_freq,
    )
