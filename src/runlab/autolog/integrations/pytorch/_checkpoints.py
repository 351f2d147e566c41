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

import os
import posixpath
import sys
import tempfile
import warnings
from typing import Any

from runlab.errors import InvalidInputError, NotFoundError

__all__ = ["checkpoint_callback_class", "improves", "load_checkpoint"]

LATEST_TAG = "mlflow.latest_checkpoint_artifact"
CHECKPOINT_DIR = "checkpoints"
SUFFIX = ".pth"


def improves(value: float, best: float | None, mode: str) -> bool:
    """Whether ``value`` beats ``best`` (None: nothing yet) when ``mode`` is min or max."""
    return best is None or (value < best if mode == "min" else value > best)


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
            if save_best_only and not monitor:
                raise InvalidInputError("monitor: save_best_only=True needs a metric to monitor")
            if mode not in ("min", "max"):
                raise InvalidInputError(f"mode: must be 'min' or 'max', got {mode!r}")
            if save_freq != "epoch" and (
                isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0
            ):
                raise InvalidInputError(
                    f"save_freq: must be 'epoch' or a positive number of batches, got {save_freq!r}"
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
            if self.save_best_only:
                assert self.monitor is not None
                if self.monitor not in metrics:
                    warnings.warn(
                        f"no checkpoint was logged: the monitored metric {self.monitor!r} "
                        "was not logged by the trainer",
                        stacklevel=2,
                    )
                    return
                if not improves(metrics[self.monitor], self.best, self.mode):
                    return
                self.best = metrics[self.monitor]
            self._save(trainer, metrics)

        def _save(self, trainer: Any, metrics: dict[str, float]) -> None:
            from runlab.tracking import fluent

            weights = ".weights" if self.save_weights_only else ""
            if self.save_best_only:
                folder = CHECKPOINT_DIR
                file, info = f"latest_checkpoint{weights}{SUFFIX}", "latest_checkpoint_metrics.json"
            else:
                sub = (
                    f"epoch_{trainer.current_epoch}"
                    if self.save_freq == "epoch"
                    else f"global_step_{trainer.global_step}"
                )
                folder = f"{CHECKPOINT_DIR}/{sub}"
                file, info = f"checkpoint{weights}{SUFFIX}", "checkpoint_metrics.json"
            state = {
                **metrics,
                "epoch": trainer.current_epoch,
                "global_step": trainer.global_step,
            }
            with tempfile.TemporaryDirectory(prefix="runlab-checkpoint-") as tmp:
                local = os.path.join(tmp, file)
                trainer.save_checkpoint(local, weights_only=self.save_weights_only)
                fluent.log_artifact(local, folder)
            fluent.log_dict(state, f"{folder}/{info}")
            fluent.set_tag(LATEST_TAG, f"{folder}/{file}")

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
    from runlab.tracking import fluent
    from runlab.tracking.client import RunlabClient

    if epoch is not None and global_step is not None:
        raise InvalidInputError("pass epoch or global_step, not both")
    client = RunlabClient()
    if run_id is None:
        active = fluent.active_run()
        if active is None:
            raise InvalidInputError("run_id: no run given and no run is active")
        run_id = active.info.run_id
    latest = client.get_run(run_id).data.tags.get(LATEST_TAG)
    if not latest:
        raise NotFoundError(f"run {run_id} has no logged checkpoint (no {LATEST_TAG} tag)")
    name = posixpath.basename(latest)
    if epoch is not None:
        path = f"{CHECKPOINT_DIR}/epoch_{int(epoch)}/{name}"
    elif global_step is not None:
        path = f"{CHECKPOINT_DIR}/global_step_{int(global_step)}/{name}"
    else:
        path = latest
    if not callable(getattr(model_class, "load_from_checkpoint", None)):
        raise InvalidInputError(
            f"model_class: {model_class!r} has no load_from_checkpoint (a LightningModule class)"
        )
    with tempfile.TemporaryDirectory(prefix="runlab-checkpoint-") as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except NotFoundError:
            raise NotFoundError(f"run {run_id} has no checkpoint at {path!r}") from None
        return model_class.load_from_checkpoint(local, **(kwargs or {}))
