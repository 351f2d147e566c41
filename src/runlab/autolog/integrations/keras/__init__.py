"""Keras 3 autologging: ``keras.Model.fit``, on any backend, with MLflow's keys.

Params of ``fit`` (``epochs``, ``batch_size``...) and of the optimizer
(``optimizer_name``, ``optimizer_learning_rate``...), each epoch's logs (``loss``,
``val_loss``, every compiled metric) with the epoch as step, or every n-th batch's with
``log_every_n_steps``; early stopping's settings and ``stopped_epoch``/``restored_epoch``;
``model_summary.txt``; the model in the keras flavour, with a signature.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from runlab.autolog._integration import Integration
from runlab.autolog._registry import register
from runlab.errors import InvalidInputError

__all__ = ["INTEGRATION", "autolog"]


def _on_import(integration: Integration, module: ModuleType) -> None:
    if module.__name__ == "keras.src.models.model":
        from runlab.autolog.integrations.keras import _fit

        # Model inherits fit from its backend's trainer; the patch goes on Model, so
        # Sequential and functional models (and subclasses that keep fit) are covered.
        integration.patch_training(module.Model, "fit", _fit.fit_hook)


INTEGRATION = register(
    Integration(
        "keras",
        ("keras",),
        _on_import,
        options={
            "log_every_epoch": True,
            "log_every_n_steps": None,
            "registered_model_name": None,
            # A Checkpointing when runlab.tensorflow.autolog asks for checkpoints.
            "checkpoint": None,
        },
    )
)


def autolog(
    log_every_epoch: bool = True,
    log_every_n_steps: int | None = None,
    log_models: bool = True,
    log_model_signatures: bool = True,
    save_exported_model: bool = False,
    log_datasets: bool = True,
    log_input_examples: bool = False,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    save_model_kwargs: dict[str, Any] | None = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or undo, with ``disable=True``) Keras 3 autologging.

    ``log_every_epoch``: log each epoch's metrics (step: the epoch, from 0).
    ``log_every_n_steps``: instead, log the training metrics every n-th batch (step: the
    optimizer's iteration count); it needs ``log_every_epoch=False``. The model is saved
    in the ``.keras`` format (``save_exported_model`` and ``save_model_kwargs`` are not
    supported). The other keywords are those of :func:`runlab.autolog`.
    """
    arguments = {k: v for k, v in locals().items() if k != "disable_for_unsupported_versions"}
    configure(checkpoint=None, **arguments)


def configure(
    *,
    checkpoint: Any,
    log_every_epoch: bool,
    log_every_n_steps: int | None,
    save_exported_model: bool,
    save_model_kwargs: dict[str, Any] | None,
    **common: Any,
) -> None:
    """Check Keras's own keywords and enable (or disable) the integration; ``checkpoint``
    is a :class:`~runlab.autolog._checkpoints.Checkpointing` or None (no checkpoints)."""
    if not isinstance(log_every_epoch, bool):
        raise InvalidInputError(f"log_every_epoch: must be True or False, got {log_every_epoch!r}")
    if log_every_n_steps is not None and (
        isinstance(log_every_n_steps, bool)
        or not isinstance(log_every_n_steps, int)
        or log_every_n_steps < 1
    ):
        raise InvalidInputError(
            f"log_every_n_steps: must be a positive integer or None, got {log_every_n_steps!r}"
        )
    if log_every_epoch and log_every_n_steps is not None:
        raise InvalidInputError(
            "log_every_n_steps: must be None when log_every_epoch=True "
            "(pass log_every_epoch=False to log every n steps)"
        )
    if not log_every_epoch and log_every_n_steps is None:
        raise InvalidInputError("log_every_n_steps: must be given when log_every_epoch=False")
    if save_exported_model:
        raise InvalidInputError(
            "save_exported_model: must be False; runlab.keras saves models in the .keras format"
        )
    if save_model_kwargs:
        raise InvalidInputError(
            "save_model_kwargs: must be None; runlab.keras saves with keras.Model.save's defaults"
        )
    INTEGRATION.configure(
        **common,
        log_every_epoch=log_every_epoch,
        log_every_n_steps=log_every_n_steps,
        checkpoint=checkpoint,
    )
