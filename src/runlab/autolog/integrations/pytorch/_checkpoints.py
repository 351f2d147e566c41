"""Lightning checkpoints as run artifacts, in MLflow's layout, and loading them back.

``MlflowModelCheckpointCallback`` writes ``trainer.save_checkpoint`` files into the
active run under ``checkpoints/``: with ``save_best_only`` one
``latest_checkpoint.pth`` replaced whenever the monitored metric improves, otherwise
``checkpoints/epoch_<n>/checkpoint.pth`` (or ``global_step_<n>/`` when saving every
``save_freq`` batches). Beside each file a JSON of the metrics it was saved at; the tag
``mlflow.latest_checkpoint_artifact`` names the newest, which :func:`load_checkpoint`
loads unless an epoch or step is asked for.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from typing import Any

from runlab.autolog._checkpoints import (
    CHECKPOINT_DIR,
    LATEST_TAG,
    Checkpointing,
    download_checkpoint,
    improves,
    log_checkpoint,
)
from runlab.errors import InvalidInputError

__all__ = [
    "CHECKPOINT_DIR",
    "LATEST_TAG",
    "checkpoint_callback_class",
    "improves",
    "load_checkpoint",
]

SUFFIX = ".pth"


def _lightning_callback_base() -> type:
    import importlib

    for name in ("lightning.pytorch", "pytorch_lightning"):
        if name in sys.modules:
            return sys.modules[name].Callback  # type: ignore[no-any-return]
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return importlib.import_module(name).Callback  # type: ignore[no-any-return]
        except ImportError:
            continue
    raise InvalidInputError(
        "MlflowModelCheckpointCallback needs PyTorch Lightning: pip install 'runlab[lightning]'"
    )


_CLASS: type | None = None


def checkpoint_callback_class() -> type:
    """The callback class, built on the installed Lightning's ``Callback`` once."""
    global _CLASS
    if _CLASS is None:
        _CLASS = _build(_lightning_callback_base())
    return _CLASS


def _build(base: type) -> type:
    from runlab.autolog.integrations.pytorch._lightning import _metrics

    class MlflowModelCheckpointCallback(base):  # type: ignore[misc]
        """Log Lightning checkpoints to the active run (see the module doc)."""

        def __init__(
            self,
            monitor: str | None = "val_loss",
            mode: str = "min",
            save_best_only: bool = True,
            save_weights_only: bool = False,
            save_freq: str | int = "epoch",
        ) -> None:
            super().__init__()
            self.settings = Checkpointing(
                monitor, mode, save_best_only, save_weights_only, save_freq
            )
            self.monitor, self.mode = monitor, mode
            self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
            self.save_freq = save_freq
            self.best: float | None = None

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if self.save_freq == "epoch":
                self._maybe_save(trainer)

        def on_train_batch_end(
            self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            if isinstance(self.save_freq, int) and trainer.global_step % self.save_freq == 0:
                self._maybe_save(trainer)

        def _maybe_save(self, trainer: Any) -> None:
            if not trainer.is_global_zero:
                return
            metrics = _metrics(trainer)
            due = self.settings.saves_now(metrics, self.best)
            if due is None:
                warnings.warn(
                    f"no checkpoint was logged: the monitored metric {self.monitor!r} "
                    "was not logged by the trainer",
                    stacklevel=2,
                )
                return
            if not due:
                return
            if self.save_best_only:
                self.best = metrics[str(self.monitor)]
            log_checkpoint(
                self.settings,
                lambda local: trainer.save_checkpoint(local, weights_only=self.save_weights_only),
                suffix=SUFFIX,
                epoch=trainer.current_epoch,
                global_step=trainer.global_step,
                metrics=metrics,
            )

    return MlflowModelCheckpointCallback


def load_checkpoint(
    model_class: Any,
    run_id: str | None = None,
    epoch: int | None = None,
    global_step: int | None = None,
    kwargs: dict[str, Any] | None = None,
) -> Any:
    """``model_class.load_from_checkpoint`` on a checkpoint the callback logged to run
    ``run_id`` (default: the active run): the newest, or the one of ``epoch`` or
    ``global_step`` (saved with ``save_best_only=False``)."""
    if not callable(getattr(model_class, "load_from_checkpoint", None)):
        raise InvalidInputError(
            f"model_class: {model_class!r} has no load_from_checkpoint (a LightningModule class)"
        )
    with tempfile.TemporaryDirectory(prefix="runlab-checkpoint-") as tmp:
        local = download_checkpoint(run_id, epoch, global_step, tmp)
        return model_class.load_from_checkpoint(local, **(kwargs or {}))
