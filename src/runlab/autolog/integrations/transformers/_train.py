"""What an autologged ``Trainer.train`` records."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from runlab.autolog._session import Fit, in_training
from runlab.autolog.integrations.transformers import _data

__all__ = ["evaluate_hook", "model_task", "train_hook"]

# A model class's name suffix → the pipeline task its logged model answers.
TASKS = (
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("ForCausalLM", "text-generation"),
    ("ForConditionalGeneration", "text2text-generation"),
    ("ForSeq2SeqLM", "text2text-generation"),
    ("ForImageClassification", "image-classification"),
)
INPUT_EXAMPLE_ROWS = 5
# The run each autologged trainer logged into, for a later trainer.evaluate().
_TRAINER_RUNS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def train_hook(
    fit: Fit, original: Callable[..., Any], trainer: Any, *args: Any, **kwargs: Any
) -> Any:
    """``Trainer.train``: params and datasets first, a callback for every log, the model."""
    fit.attempt("the params", fit.log_params, training_params(trainer))
    if fit.config.log_datasets:
        fit.attempt("the datasets", _data.log_datasets, fit, trainer)
    if fit.attempt("report_to='mlflow'", _drop_mlflow_callbacks, trainer):
        fit.integration.note("runlab logs this trainer: its MLflowCallback is removed")
    recorder = _recorder_class()(fit)
    trainer.add_callback(recorder)
    try:
        result = original(trainer, *args, **kwargs)
    finally:
        trainer.remove_callback(recorder)
    try:
        _TRAINER_RUNS[trainer] = fit.run_id
    except TypeError:
        pass  # not weak-referenceable: a later evaluate() is not recorded
    if fit.config.log_models:
        fit.attempt("the model", _log_model, fit, trainer)
    return result


def evaluate_hook(original: Callable[..., Any], trainer: Any, *args: Any, **kwargs: Any) -> Any:
    """``trainer.evaluate()`` after an autologged ``train``: its metrics go to that run, at
    the trainer's last step (during ``train`` the callback records them)."""
    metrics = original(trainer, *args, **kwargs)
    run_id = None if in_training() else _TRAINER_RUNS.get(trainer)
    if run_id is not None and isinstance(metrics, Mapping):
        from runlab.tracking import fluent

        numbers = numeric(metrics)
        if numbers:
            fluent.log_metrics(numbers, step=int(trainer.state.global_step), run_id=run_id)
    return metrics


def training_params(trainer: Any) -> dict[str, Any]:
    """The model's config and the TrainingArguments (which win a clash), as MLflow's
    callback logs them."""
    params: dict[str, Any] = {}
    config = getattr(getattr(trainer, "model", None), "config", None)
    if config is not None and hasattr(config, "to_dict"):
        params.update(config.to_dict())
    params.update(trainer.args.to_dict())
    return params


def numeric(logs: Mapping[str, Any]) -> dict[str, float]:
    """The finite-or-not numbers of a log dict (strings and lists are not metrics)."""
    out = {}
    for key, value in logs.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) or getattr(value, "ndim", None) == 0:
            number = float(value)
            if not math.isnan(number) or isinstance(value, float):
                out[str(key)] = number
    return out


def _drop_mlflow_callbacks(trainer: Any) -> int:
    """Trainer's ``MLflowCallback`` would log the same training (and later evaluations)
    again, to MLflow: it leaves the trainer for good, so every run is logged once."""
    from transformers.integrations import MLflowCallback

    found = [c for c in trainer.callback_handler.callbacks if isinstance(c, MLflowCallback)]
    for callback in found:
        trainer.remove_callback(callback)
    return len(found)


@lru_cache(maxsize=1)
def _recorder_class() -> type:
    from transformers import TrainerCallback

    class _Recorder(TrainerCallback):  # type: ignore[misc]
        """Every ``Trainer.log`` call's numbers, at the global step."""

        def __init__(self, fit: Fit) -> None:
            self.fit = fit
            self.failed = False

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if self.failed or not logs or not state.is_world_process_zero:
                return
            try:  # queued by the fluent batcher: a call per logging step is cheap
                self.fit.log_metrics(numeric(logs), step=int(state.global_step))
            except Exception as e:  # once: a broken store must not warn every step
                self.failed = True
                self.fit.integration.warn(f"could not log the metrics: {e!r}")

    return _Recorder


def model_task(model: Any) -> str | None:
    """The pipeline task of a model class (``BertForSequenceClassification`` →
    ``text-classification``), or None when its name tells none."""
    name = type(model).__name__
    return next((task for suffix, task in TASKS if name.endswith(suffix)), None)


def _log_model(fit: Fit, trainer: Any) -> None:
    from runlab.models._flavor import LogOptions, log_model
    from runlab.models.flavors import transformers as flavor

    model = trainer.model
    task = model_task(model)
    processor = getattr(trainer, "processing_class", None)
    if task is None:
        raise ValueError(f"no pipeline task is known for {type(model).__name__}")
    if processor is None:
        raise ValueError("the trainer has no processing_class (tokenizer) to save with it")
    kind = "image_processor" if task.startswith("image") else "tokenizer"
    config = fit.config
    example = None
    if config.log_input_examples:
        example = fit.attempt("an input example", _data.text_example, trainer, INPUT_EXAMPLE_ROWS)

    def save(path: str, meta: Any) -> Any:
        saved = flavor.save_model(
            {"model": model, kind: processor},
            path,
            task=task,
            input_example=example,
            mlflow_model=meta,
        )
        if not config.log_model_signatures and saved.signature is not None:
            # The flavour gives every model a signature (the task's, or one inferred
            # from the example); log_model_signatures=False asks for none at all.
            saved.signature = None
            saved.save(path)
        return saved

    was_training = model.training
    model.eval()  # the pipeline predicts; train() mode would keep dropout on
    try:
        log_model(
            save,
            LogOptions(name="model", registered_model_name=config.option("registered_model_name")),
        )
    finally:
        model.train(was_training)
