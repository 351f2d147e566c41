"""What an autologged Lightning ``Trainer.fit`` records.

A callback added for the duration of ``fit`` logs the params when training starts
(epochs, the optimizer's name and its defaults such as ``lr``, the module's hparams,
early stopping's settings), the trainer's logged metrics at the end of each epoch with
the epoch as step, and keeps the weights of the best epoch of ``checkpoint_monitor``.
After ``fit``: early-stopping facts, the final module as ``model`` and the best one as
``best_model`` (pytorch flavour), the datasets of tensor dataloaders.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from runlab.autolog._session import Fit

__all__ = ["fit_hook"]

EXAMPLE_ROWS = 5


def _package(trainer: Any) -> Any:
    """``lightning.pytorch`` or ``pytorch_lightning``, whichever the trainer is from."""
    root = type(trainer).__module__.split(".trainer")[0]
    return sys.modules[root]


def fit_hook(
    fit: Fit, original: Callable[..., Any], trainer: Any, *args: Any, **kwargs: Any
) -> Any:
    pl = _package(trainer)
    recorder = _make_callback(pl.Callback)(fit)
    trainer.callbacks.append(recorder)
    try:
        result = original(trainer, *args, **kwargs)
    finally:
        if recorder in trainer.callbacks:
            trainer.callbacks.remove(recorder)
    try:
        module = args[0] if args else kwargs.get("model")
        fit.attempt("early stopping", _log_early_stopping, fit, trainer, pl)
        if fit.config.log_datasets:
            fit.attempt("the datasets", _log_datasets, fit, trainer)
        if fit.config.log_models and module is not None:
            fit.attempt("the model", _log_models, fit, trainer, module, recorder)
    finally:
        recorder.cleanup()
    return result


def _metrics(trainer: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in trainer.callback_metrics.items():
        try:
            number = float(value.item() if hasattr(value, "item") else value)
        except (TypeError, ValueError, RuntimeError):
            continue
        if math.isfinite(number):
            out[str(key)] = number
    return out


def _make_callback(base: type) -> Any:
    class RunlabCallback(base):  # type: ignore[misc]
        def __init__(self, fit: Fit) -> None:
            self.fit = fit
            options = fit.config.options
            self.every = options["log_every_n_epoch"]
            self.monitor = options["checkpoint_monitor"] if options["checkpoint"] else None
            self.mode = options["checkpoint_mode"]
            self.best_value: float | None = None
            self.best_epoch: int | None = None
            self.best_file: str | None = None
            self.example: Any = None

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.fit.attempt("the params", self.fit.log_params, _params(trainer, pl_module))

        def on_train_batch_start(
            self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
        ) -> None:
            if self.example is None and self.fit.config.log_models:
                self.example = self.fit.attempt("an input example", _example, batch)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            epoch = trainer.current_epoch
            metrics = _metrics(trainer)
            if (epoch + 1) % self.every == 0 or trainer.should_stop:
                self.fit.attempt("the epoch's metrics", self.fit.log_metrics, metrics, step=epoch)
            if self.monitor and self.monitor in metrics and self.fit.config.log_models:
                self.fit.attempt(
                    "a checkpoint", self._checkpoint, pl_module, epoch, metrics[self.monitor]
                )

        def _checkpoint(self, pl_module: Any, epoch: int, value: float) -> None:
            import torch

            from runlab.autolog.integrations.pytorch._checkpoints import improves

            if not improves(value, self.best_value, self.mode):
                return
            if self.best_file is None:
                handle, self.best_file = tempfile.mkstemp(prefix="runlab-best-", suffix=".pt")
                os.close(handle)
            torch.save(pl_module.state_dict(), self.best_file)
            self.best_value, self.best_epoch = value, epoch

        def cleanup(self) -> None:
            if self.best_file is not None and os.path.exists(self.best_file):
                os.remove(self.best_file)

    return RunlabCallback


def _params(trainer: Any, pl_module: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"epochs": trainer.max_epochs}
    optimizers = getattr(trainer, "optimizers", None) or []
    if optimizers:
        optimizer = optimizers[0]
        inner = getattr(optimizer, "optimizer", optimizer)  # Lightning's wrapper, if any
        params["optimizer_name"] = type(inner).__name__
        params.update(getattr(inner, "defaults", {}) or {})
    hparams = getattr(pl_module, "hparams", None)
    if hparams:
        params.update({k: v for k, v in dict(hparams).items() if k not in params})
    return params


def _example(batch: Any) -> Any:
    x = batch[0] if isinstance(batch, (list, tuple)) else batch
    if not hasattr(x, "detach"):
        return None
    return x[:EXAMPLE_ROWS].detach().cpu().numpy().copy()


def _log_early_stopping(fit: Fit, trainer: Any, pl: Any) -> None:
    stop = next((c for c in trainer.callbacks if isinstance(c, pl.callbacks.EarlyStopping)), None)
    if stop is None:
        return
    fit.log_params(
        {
            p: getattr(stop, p)
            for p in ("monitor", "mode", "patience", "min_delta")
            if hasattr(stop, p)
        }
    )
    fit.log_params({"stopped_epoch": stop.stopped_epoch})
    if stop.stopped_epoch:
        metrics = {
            "stopped_epoch": stop.stopped_epoch,
            "restored_epoch": stop.stopped_epoch - max(1, stop.patience),
            "wait_count": stop.wait_count,
        }
        best = getattr(stop, "best_score", None)
        if best is not None:
            metrics["best_score"] = float(best)
        fit.log_metrics(metrics)


def _tensor_dataset(loader: Any) -> Any:
    import torch

    from runlab import data

    dataset = getattr(loader, "dataset", None)
    if isinstance(dataset, torch.utils.data.TensorDataset):
        tensors = [t.detach().cpu().numpy() for t in dataset.tensors]
        return data.from_numpy(
            tensors[0],
            source=sys.argv[0] if sys.argv else "",
            name="dataset",
            targets=tensors[1] if len(tensors) > 1 else None,
        )
    return None


def _log_datasets(fit: Fit, trainer: Any) -> None:
    loaders = [("train", trainer.train_dataloader)]
    val = trainer.val_dataloaders
    for loader in val if isinstance(val, (list, tuple)) else [val]:
        loaders.append(("eval", loader))
    for context, loader in loaders:
        if loader is not None and (record := _tensor_dataset(loader)) is not None:
            fit.log_input(record, context=context)


def _log_models(fit: Fit, trainer: Any, module: Any, recorder: Any) -> None:
    import torch

    from runlab.models.flavors import pytorch as flavor

    signature = None
    example = recorder.example
    if example is not None and fit.config.log_model_signatures:
        signature = fit.attempt("the model signature", _signature, module, example)
    shown = example if fit.config.log_input_examples else None
    registered = fit.config.option("registered_model_name")
    flavor.log_model(
        module,
        name="model",
        signature=signature,
        input_example=shown,
        registered_model_name=registered,
    )
    if recorder.best_file is not None:
        best = copy.deepcopy(module)
        best.load_state_dict(torch.load(recorder.best_file, weights_only=True))
        flavor.log_model(best, name="best_model", signature=signature, input_example=shown)
    if recorder.best_epoch is not None:
        fit.log_metrics(
            {"best_epoch": recorder.best_epoch, "best_" + recorder.monitor: recorder.best_value}
        )


def _signature(module: Any, example: Any) -> Any:
    from runlab.models.flavors.pytorch import _Predictor
    from runlab.models.signature import infer_signature

    return infer_signature(example, _Predictor(module).predict(example))
