"""What an autologged ``keras.Model.fit`` records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from runlab.autolog._session import Fit
from runlab.autolog.integrations import _boosting as boosting

__all__ = ["fit_hook", "model_signature"]

# Arguments of fit that are data, code or output settings rather than training settings.
UNLOGGED = ("self", "x", "y", "callbacks", "validation_data", "verbose", "sample_weight")


def fit_hook(fit: Fit, original: Callable[..., Any], model: Any, *args: Any, **kwargs: Any) -> Any:
    """``Model.fit``: its params, a callback logging each epoch, early stopping, the model."""
    import keras

    bound = boosting.bind(original, (model, *args), kwargs)
    arguments = bound.arguments
    x, y = arguments.get("x"), arguments.get("y")
    params = boosting.call_params(bound, UNLOGGED)
    if params.get("batch_size") is None:
        params["batch_size"] = _batch_size(x)  # a DataLoader or dataset knows its own
    fit.attempt("the params", fit.log_params, params)

    callbacks = list(arguments.get("callbacks") or ())  # the user's list is left alone
    stop = next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None)
    if stop is not None:
        fit.attempt("the early stopping params", fit.log_params, _stop_params(stop))
    if fit.config.log_datasets and x is not None:
        fit.attempt("the datasets", _log_datasets, fit, x, y, arguments.get("validation_data"))
    example = boosting.head(x) if _is_array(x) else None

    options = fit.config.options
    recorder = _callback_class()(fit, options["log_every_epoch"], options["log_every_n_steps"])
    arguments["callbacks"] = [*callbacks, recorder]
    if options.get("checkpoint") is not None:  # runlab.tensorflow.autolog(checkpoint=True)
        from runlab.autolog.integrations.keras import _checkpoints

        saver = _checkpoints.callback_class()(settings=options["checkpoint"])
        arguments["callbacks"].append(saver)
    history = original(*bound.args, **bound.kwargs)

    if stop is not None:
        fit.attempt("the early stopping metrics", _log_early_stopping, fit, stop, history)
    if fit.config.log_models:
        fit.attempt("the model", _log_model, fit, model, example)
    return history


@lru_cache(maxsize=1)
def _callback_class() -> type:
    import keras

    class _Recorder(keras.callbacks.Callback):  # type: ignore[misc]
        """Logs the optimizer and summary when training begins, then the metrics."""

        def __init__(self, fit: Fit, every_epoch: bool, every_n_steps: int | None) -> None:
            super().__init__()
            self.fit = fit
            self.every_epoch = every_epoch
            self.every_n_steps = every_n_steps
            self.epoch = 0
            self.failed = False

        def on_train_begin(self, logs: Any = None) -> None:
            self.fit.attempt("the optimizer params", self.fit.log_params, _optimizer(self.model))
            self.fit.attempt("the model summary", _log_summary, self.model)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if self.every_epoch and logs:
                self._log(logs, epoch)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if self.every_n_steps is None or not logs:
                return
            iteration = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
            if iteration % self.every_n_steps == 0:
                self._log(logs, iteration)

        def on_test_end(self, logs: Any = None) -> None:
            # The validation pass of an epoch (MLflow's keys; the epoch is the step).
            if logs:
                self._log({f"validation_{k}": v for k, v in logs.items()}, self.epoch)

        def _log(self, logs: Mapping[str, Any], step: int) -> None:
            if self.failed:
                return
            try:  # queued by the fluent batcher: a call per epoch or batch is cheap
                self.fit.log_metrics({k: _number(v) for k, v in logs.items()}, step=step)
            except Exception as e:  # once: a broken store must not warn every epoch
                self.failed = True
                self.fit.integration.warn(f"could not log the metrics: {e!r}")

    return _Recorder


def _number(value: Any) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(value))


def _optimizer(model: Any) -> dict[str, Any]:
    """``optimizer_{key}`` for each entry of the optimizer's config (``optimizer_name``,
    ``optimizer_learning_rate``...); a schedule's config is flattened under its key."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {}
    return {f"optimizer_{k}": v for k, v in optimizer.get_config().items()}


def _log_summary(model: Any) -> None:
    from runlab.tracking import fluent

    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    fluent.log_text("\n".join(lines), "model_summary.txt")


def _stop_params(stop: Any) -> dict[str, Any]:
    return {
        "monitor": stop.monitor,
        "min_delta": stop.min_delta,
        "patience": stop.patience,
        "baseline": stop.baseline,
        "restore_best_weights": stop.restore_best_weights,
    }


def _log_early_stopping(fit: Fit, stop: Any, history: Any) -> None:
    """When the training stopped early: ``stopped_epoch``; when it also restored the
    best weights, ``restored_epoch`` and that epoch's metrics again at the step after
    the one it stopped at."""
    if not getattr(stop.model, "stop_training", False):
        return
    fit.log_metrics({"stopped_epoch": stop.stopped_epoch})
    monitored = history.history.get(stop.monitor) if history is not None else None
    if not stop.restore_best_weights or stop.best_weights is None or not monitored:
        return
    restored = history.epoch[0] + monitored.index(stop.best)
    fit.log_metrics({"restored_epoch": restored})
    index = history.epoch.index(restored)
    best = {k: values[index] for k, values in history.history.items()}
    fit.log_metrics(best, step=stop.stopped_epoch + 1)


def _is_array(data: Any) -> bool:
    import numpy as np

    return isinstance(data, np.ndarray)


def _batch_size(data: Any) -> Any:
    size = getattr(data, "batch_size", None)
    return size if isinstance(size, int) else None


def _log_datasets(fit: Fit, x: Any, y: Any, validation: Any) -> None:
    from runlab.autolog.integrations.keras import _tfdata

    if _tfdata.is_tf_dataset(x):  # TensorFlow's input pipelines (runlab.tensorflow)
        fit.log_input(_tfdata.tf_dataset(x, boosting.script_source()), context="train")
        if _tfdata.is_tf_dataset(validation):
            fit.log_input(_tfdata.tf_dataset(validation, boosting.script_source()), "eval")
        return
    fit.log_input(_dataset(x, y), context="train")
    if isinstance(validation, (tuple, list)) and validation:
        val_y = validation[1] if len(validation) > 1 else None
        fit.log_input(_dataset(validation[0], val_y), context="eval")
    elif validation is not None and _is_array(validation):
        fit.log_input(_dataset(validation, None), context="eval")


def _dataset(x: Any, y: Any) -> Any:
    import numpy as np

    from runlab import data

    if not _is_array(x):
        raise TypeError(f"only numpy arrays are recorded as datasets, not {type(x).__name__}")
    targets = np.asarray(y) if y is not None else None
    return data.from_numpy(x, source=boosting.script_source(), targets=targets)


def model_signature(model: Any) -> Any:
    """The model's own input and output tensor specs (``None`` dimensions as -1), as
    MLflow builds them: no data needed."""
    import numpy as np

    from runlab.models.signature import ModelSignature, Schema, TensorSpec

    def specs(shapes: Any, dtype: Any) -> Schema:
        shapes = shapes if isinstance(shapes, list) else [shapes]
        return Schema(
            [TensorSpec(np.dtype(dtype), tuple(-1 if d is None else d for d in s)) for s in shapes]
        )

    return ModelSignature(
        inputs=specs(model.input_shape, model.input_dtype),
        outputs=specs(model.output_shape, model.compute_dtype),
    )


def _log_model(fit: Fit, model: Any, example: Any) -> None:
    from runlab.models.flavors import keras as flavor

    config = fit.config
    signature = None
    if config.log_model_signatures:
        signature = fit.attempt("the model signature", model_signature, model)
    flavor.log_model(
        model,
        name="model",
        signature=signature,
        input_example=example if config.log_input_examples else None,
        registered_model_name=config.option("registered_model_name"),
    )
