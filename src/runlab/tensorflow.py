"""TensorFlow's Keras (``runlab.tensorflow``, like ``mlflow.tensorflow``).

Since TensorFlow 2.16, ``tf.keras`` is Keras 3, so these are the Keras integration and
flavour under TensorFlow's names: ``autolog()`` records ``tf.keras.Model.fit`` (a
``tf.data.Dataset`` given to it becomes a run input), and models are saved in the keras
flavour (``.keras`` format), loadable by ``runlab.keras`` as well::

    runlab.tensorflow.autolog()
    model.fit(train_ds, validation_data=val_ds, epochs=5)

    info = runlab.tensorflow.log_model(model, name="model")
    model = runlab.tensorflow.load_model(info.model_uri)

With ``checkpoint=True`` (the default, as in MLflow) the model is also logged while it
trains, under ``checkpoints/`` (see :mod:`runlab.autolog._checkpoints`), and
:func:`load_checkpoint` reads it back. TensorFlow's SavedModel format
(``saved_model_kwargs``) is not supported: it is refused with an error naming the keyword.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from runlab.autolog._checkpoints import Checkpointing
from runlab.autolog.integrations import keras as _integration
from runlab.autolog.integrations.keras._checkpoints import load_checkpoint
from runlab.errors import InvalidInputError
from runlab.models.flavors import keras as _flavor
from runlab.models.flavors.keras import FLAVOR_NAME, _load_pyfunc
from runlab.models.model import Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = [
    "FLAVOR_NAME",
    "MlflowModelCheckpointCallback",  # noqa: F822 (built by __getattr__ on first use)
    "_load_pyfunc",
    "autolog",
    "load_checkpoint",
    "load_model",
    "log_model",
    "save_model",
]


def __getattr__(name: str) -> Any:
    # The callback class is built on keras.callbacks.Callback, so Keras loads on first use.
    if name == "MlflowModelCheckpointCallback":
        from runlab.autolog.integrations.keras._checkpoints import callback_class

        return callback_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _refuse(name: str, value: Any, why: str) -> None:
    if value:
        raise InvalidInputError(f"{name}: must be None; {why}")


_SAVED_MODEL = "runlab saves TensorFlow's Keras models in the .keras format, not as a SavedModel"
_KERAS_KWARGS = "runlab saves with keras.Model.save's defaults"


def autolog(
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    saved_model_kwargs: dict[str, Any] | None = None,
    keras_model_kwargs: dict[str, Any] | None = None,
    extra_tags: dict[str, Any] | None = None,
    log_every_epoch: bool = True,
    log_every_n_steps: int | None = None,
    checkpoint: bool = True,
    checkpoint_monitor: str | None = "val_loss",
    checkpoint_mode: str = "min",
    checkpoint_save_best_only: bool = True,
    checkpoint_save_weights_only: bool = False,
    checkpoint_save_freq: str | int = "epoch",
) -> None:
    """Enable (or undo, with ``disable=True``) autologging of ``tf.keras.Model.fit``:
    :func:`runlab.keras.autolog` with TensorFlow's keywords (runs are tagged
    ``mlflow.autologging=keras``). With ``checkpoint``, the model (or with
    ``checkpoint_save_weights_only`` its weights) is logged under ``checkpoints/`` at
    each epoch's end or every ``checkpoint_save_freq`` batches; with
    ``checkpoint_save_best_only`` only when ``checkpoint_monitor`` improved
    (``checkpoint_mode`` ``min`` or ``max``)."""
    _refuse("saved_model_kwargs", saved_model_kwargs, _SAVED_MODEL)
    _refuse("keras_model_kwargs", keras_model_kwargs, _KERAS_KWARGS)
    if not isinstance(checkpoint, bool):
        raise InvalidInputError(f"checkpoint: must be True or False, got {checkpoint!r}")
    settings = None
    if checkpoint and not disable:
        settings = Checkpointing(
            monitor=checkpoint_monitor,
            mode=checkpoint_mode,
            save_best_only=checkpoint_save_best_only,
            save_weights_only=checkpoint_save_weights_only,
            save_freq=checkpoint_save_freq,
            prefix="checkpoint_",
        )
    _integration.configure(
        checkpoint=settings,
        save_exported_model=False,
        save_model_kwargs=None,
        log_every_epoch=log_every_epoch,
        log_every_n_steps=log_every_n_steps,
        log_models=log_models,
        log_model_signatures=log_model_signatures,
        log_datasets=log_datasets,
        log_input_examples=log_input_examples,
        disable=disable,
        exclusive=exclusive,
        silent=silent,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
    )


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    saved_model_kwargs: dict[str, Any] | None = None,
    keras_model_kwargs: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Model:
    """Save a ``tf.keras.Model`` at ``path`` in the keras flavour (see
    :func:`runlab.keras.save_model`)."""
    _refuse("saved_model_kwargs", saved_model_kwargs, _SAVED_MODEL)
    _refuse("keras_model_kwargs", keras_model_kwargs, _KERAS_KWARGS)
    return _flavor.save_model(
        model,
        path,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        code_paths=code_paths,
        metadata=metadata,
    )


def log_model(
    model: Any,
    artifact_path: str | None = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    saved_model_kwargs: dict[str, Any] | None = None,
    keras_model_kwargs: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
) -> ModelInfo:
    """Log a ``tf.keras.Model`` into the active run (see :func:`runlab.keras.log_model`)."""
    _refuse("saved_model_kwargs", saved_model_kwargs, _SAVED_MODEL)
    _refuse("keras_model_kwargs", keras_model_kwargs, _KERAS_KWARGS)
    return _flavor.log_model(
        model,
        artifact_path,
        signature=signature,
        input_example=input_example,
        registered_model_name=registered_model_name,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        code_paths=code_paths,
        metadata=metadata,
        name=name,
    )


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    saved_model_kwargs: dict[str, Any] | None = None,
    keras_model_kwargs: dict[str, Any] | None = None,
) -> Any:
    """The ``tf.keras.Model`` saved at ``model_uri``; ``keras_model_kwargs`` go to
    ``keras.saving.load_model``."""
    _refuse("saved_model_kwargs", saved_model_kwargs, _SAVED_MODEL)
    return _flavor.load_model(model_uri, dst_path, load_model_kwargs=keras_model_kwargs)
