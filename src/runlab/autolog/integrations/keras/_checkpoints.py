"""Keras checkpoints during ``fit`` as run artifacts, and loading them back.

The layout is :mod:`runlab.autolog._checkpoints`'s: the whole model as
``latest_checkpoint.keras`` (or ``checkpoints/epoch_<n>/checkpoint.keras``), or with
``save_weights_only`` the weights as ``.weights.h5``, the two formats Keras 3 writes
natively (MLflow's TensorFlow callback names both ``.h5``; Keras 3 saves a whole model
there only in its legacy format).
"""

from __future__ import annotations

import tempfile
import warnings
from functools import lru_cache
from typing import Any

from runlab.autolog._checkpoints import (
    Checkpointing,
    download_checkpoint,
    log_checkpoint,
    metric_values,
)
from runlab.errors import InvalidInputError

__all__ = ["callback_class", "load_checkpoint"]

MODEL_SUFFIX = ".keras"
WEIGHTS_SUFFIX = ".h5"  # with ".weights" before it: Keras 3's save_weights name


@lru_cache(maxsize=1)
def callback_class() -> type:
    """``MlflowModelCheckpointCallback``, built on ``keras.callbacks.Callback`` once."""
    import keras

    class MlflowModelCheckpointCallback(keras.callbacks.Callback):  # type: ignore[misc]
        """Log the model (or its weights) into the active run while it trains: at each
        epoch's end, or every ``save_freq`` batches; with ``save_best_only`` only when
        ``monitor`` improved (see the module doc)."""

        def __init__(
            self,
            monitor: str | None = "val_loss",
            mode: str = "min",
            save_best_only: bool = True,
            save_weights_only: bool = False,
            save_freq: str | int = "epoch",
            *,
            settings: Checkpointing | None = None,
        ) -> None:
            super().__init__()
            self.settings = settings or Checkpointing(
                monitor, mode, save_best_only, save_weights_only, save_freq
            )
            self.best: float | None = None
            self.epoch = 0
            self.global_step = 0
            self.last_batch = -1
            self.warned = False

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            # The batch index restarts each epoch, and with steps_per_execution the
            # callback sees every n-th batch only: count the batches passed since.
            passed = batch + 1 if batch <= self.last_batch else batch - self.last_batch
            self.last_batch = batch
            before = self.global_step
            self.global_step += passed
            freq = self.settings.save_freq
            if isinstance(freq, int) and self.global_step // freq > before // freq:
                self._maybe_save(logs)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.last_batch = -1
            if self.settings.save_freq == "epoch":
                self._maybe_save(logs)

        def _maybe_save(self, logs: Any) -> None:
            metrics = metric_values(logs)
            due = self.settings.saves_now(metrics, self.best)
            if due is None:
                if not self.warned:  # once per fit, not at every epoch
                    self.warned = True
                    warnings.warn(
                        f"no checkpoint was logged: the monitored metric "
                        f"{self.settings.monitor!r} is not among the logged ones "
                        f"({', '.join(sorted(metrics)) or 'none'})",
                        stacklevel=2,
                    )
                return
            if not due:
                return
            if self.settings.save_best_only:
                self.best = metrics[str(self.settings.monitor)]
            weights = self.settings.save_weights_only
            log_checkpoint(
                self.settings,
                self._write,
                suffix=WEIGHTS_SUFFIX if weights else MODEL_SUFFIX,
                epoch=self.epoch,
                global_step=self.global_step,
                metrics=metrics,
            )

        def _write(self, local: str) -> None:
            if self.settings.save_weights_only:
                self.model.save_weights(local, overwrite=True)
            else:
                self.model.save(local, overwrite=True)

    return MlflowModelCheckpointCallback


def load_checkpoint(
    model: Any = None,
    run_id: str | None = None,
    epoch: int | None = None,
    global_step: int | None = None,
) -> Any:
    """A checkpoint the callback logged to run ``run_id`` (default: the active run): the
    newest, or the one of ``epoch`` or ``global_step``. Without ``model`` the saved model
    is loaded (a whole-model checkpoint); with it, the checkpoint's weights are loaded
    into ``model``, which is returned."""
    import keras

    with tempfile.TemporaryDirectory(prefix="runlab-checkpoint-") as tmp:
        local = download_checkpoint(run_id, epoch, global_step, tmp)
        if model is None:
            if local.endswith(".weights.h5"):
                raise InvalidInputError(
                    "model: this checkpoint holds weights only (save_weights_only=True); "
                    "pass the model to load them into"
                )
            return keras.models.load_model(local)
        model.load_weights(local)
        return model
