"""Hugging Face Trainer autologging: a 2-layer BERT with hidden size 32 built here from a
config, a vocabulary written by the test, a few steps on CPU (nothing reaches the hub)."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch.utils.data
from tests.autolog._helpers import artifacts, history, only_run

import runlab
from runlab.autolog import AutologgingWarning
from runlab.autolog._params import TRUNCATION_MARK
from runlab.autolog.integrations.transformers._data import dataset_record
from runlab.models.input_example import EXAMPLE_FILE

os.environ["HF_HUB_OFFLINE"] = "1"

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "film", "was"]
WORDS += ["good", "great", "bad", "awful", "a", "very", "not", "fine", "boring"]
TEXTS = [
    "the movie was good",
    "a very bad film",
    "not great",
    "awful",
    "a great film",
    "the film was boring",
    "very good",
    "not fine",
]
LABELS = [1, 0, 0, 0, 1, 0, 1, 0]


@pytest.fixture
def tokenizer(tmp_path: Path) -> Any:
    import transformers

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(WORDS) + "\n")
    return transformers.BertTokenizer(vocab=str(vocab))


def bert() -> Any:
    import torch
    import transformers

    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=16,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(config)


def hf_dataset(tokenizer: Any, texts: list[str], labels: list[int]) -> Any:
    import datasets

    raw = datasets.Dataset.from_dict({"text": texts, "label": labels})
    return raw.map(
        lambda batch: tokenizer(batch["text"], padding="max_length", max_length=8),
        batched=True,
    )


class Pairs(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """A map-style torch dataset of tokenized texts."""

    def __init__(self, tokenizer: Any, texts: list[str], labels: list[int]) -> None:
        import torch

        encoded = tokenizer(texts, padding="max_length", max_length=8, return_tensors="pt")
        self.items = [
            {"input_ids": encoded["input_ids"][i], "labels": torch.tensor(labels[i])}
            for i in range(len(texts))
        ]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index]


def accuracy(prediction: Any) -> dict[str, float]:
    logits, labels = prediction
    return {"accuracy": float((np.argmax(logits, axis=-1) == labels).mean())}


def arguments(tmp_path: Path, **overrides: Any) -> Any:
    import transformers

    settings: dict[str, Any] = {
        "output_dir": str(tmp_path / "out"),
        "num_train_epochs": 2,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 4,
        "learning_rate": 5e-3,
        "logging_steps": 1,
        "eval_strategy": "epoch",
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "dataloader_pin_memory": False,
        "disable_tqdm": True,
        "seed": 0,
    }
    settings.update(overrides)
    return transformers.TrainingArguments(**settings)


def trainer_for(tmp_path: Path, tokenizer: Any, train: Any, evaluation: Any, **args: Any) -> Any:
    import torch
    import transformers

    torch.manual_seed(0)
    return transformers.Trainer(
        model=bert(),
        args=arguments(tmp_path, **args),
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=tokenizer,
        compute_metrics=accuracy,
    )


def test_train_records_args_config_steps_evals_datasets_and_a_loadable_model(
    tmp_path: Path, tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Trainer's own MLflow callback is asked for too: the run must still be logged once.
    mlflow_store = tmp_path / "mlflow-store"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_store.as_uri())
    runlab.transformers.autolog(log_input_examples=True)
    train = hf_dataset(tokenizer, TEXTS, LABELS)
    evaluation = hf_dataset(tokenizer, TEXTS[:4], LABELS[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # mlflow's import-time notes
        trainer = trainer_for(
            tmp_path, tokenizer, train, evaluation, report_to=["mlflow"], run_name="r" * 7000
        )
    output = trainer.train()
    assert output.global_step == 4  # 8 texts, batches of 4, 2 epochs
    final_eval = trainer.evaluate()  # after the run: logged into it all the same

    run = only_run()
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "transformers"
    p = run.data.params
    assert float(p["learning_rate"]) == pytest.approx(5e-3)
    assert (p["num_train_epochs"], p["per_device_train_batch_size"]) == ("2", "4")
    assert (p["eval_strategy"], p["seed"]) == ("epoch", "0")
    assert (p["hidden_size"], p["num_hidden_layers"], p["model_type"]) == ("32", "2", "bert")
    assert (p["id2label.0"], p["label2id.POSITIVE"]) == ("NEGATIVE", "1")
    assert p["run_name"].endswith(TRUNCATION_MARK)
    assert len(p["run_name"]) == 6000

    steps = [1, 2, 3, 4]
    for key in ("loss", "learning_rate", "grad_norm"):
        assert [s for s, _ in history(run_id, key)] == steps, key
    # epoch comes with every log, the evaluations' too: one value per step all the same
    assert set(history(run_id, "epoch")) == {(1, 0.5), (2, 1.0), (3, 1.5), (4, 2.0)}
    lr = [v for _, v in history(run_id, "learning_rate")]
    assert lr == pytest.approx([5e-3, 3.75e-3, 2.5e-3, 1.25e-3])  # the linear decay
    # An eval at each epoch's end, and the evaluate() after training, at the last step.
    evals = history(run_id, "eval_loss")
    assert [s for s, _ in evals] == [2, 4, 4]
    assert evals[-1][1] == pytest.approx(final_eval["eval_loss"])
    accuracies = history(run_id, "eval_accuracy")
    assert len(accuracies) == 3
    assert all(0.0 <= v <= 1.0 for _, v in accuracies)
    assert run.data.metrics["train_loss"] == pytest.approx(output.training_loss)
    assert "train_runtime" in run.data.metrics

    inputs = {d.context: d.dataset for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"train", "eval"}
    assert inputs["train"].digest == dataset_record(train).digest  # the fingerprint's
    assert inputs["train"].digest != inputs["eval"].digest
    assert '"name": "text"' in (inputs["train"].schema or "")
    assert '"num_rows": 8' in (inputs["train"].profile or "")

    # The model, with its tokenizer, predicts as the trained one does.
    import transformers

    trainer.model.eval()
    expected = transformers.pipeline(
        "text-classification", model=trainer.model, tokenizer=tokenizer
    )(TEXTS)
    loaded = runlab.transformers.load_model(f"runs:/{run_id}/model")
    got = loaded(TEXTS)
    assert [g["label"] for g in got] == [e["label"] for e in expected]
    assert [g["score"] for g in got] == pytest.approx([e["score"] for e in expected], abs=1e-5)
    predicted = runlab.pyfunc.load_model(f"runs:/{run_id}/model").predict(TEXTS)
    assert list(predicted["label"]) == [e["label"] for e in expected]

    saved = artifacts(run_id, "model")
    assert {"model/MLmodel", "model/model", "model/components"} <= saved
    example = json.loads(
        Path(runlab.download_artifacts(f"model/{EXAMPLE_FILE}", run_id=run_id)).read_text()
    )
    assert TEXTS[0] in json.dumps(example)  # the eval set's first texts

    # MLflow's callback logged nothing: no run appeared in its store.
    assert not mlflow_store.exists() or not any(mlflow_store.rglob("meta.yaml"))
    callbacks = [type(c).__name__ for c in trainer.callback_handler.callbacks]
    assert "MLflowCallback" not in callbacks


def test_torch_datasets_inside_the_users_run_and_a_model_it_cannot_log_is_a_warning(
    tmp_path: Path, tokenizer: Any
) -> None:
    runlab.autolog()  # every framework, transformers among them
    trainer = trainer_for(
        tmp_path,
        tokenizer,
        Pairs(tokenizer, TEXTS, LABELS),
        {"heldout": Pairs(tokenizer, TEXTS[:4], LABELS[:4])},
        eval_strategy="no",
        max_steps=2,
    )
    trainer.processing_class = None  # nothing to rebuild a pipeline with
    with runlab.start_run() as run:
        with pytest.warns(AutologgingWarning, match="could not log the model"):
            output = trainer.train()
    assert output.global_step == 2  # training went on

    done = runlab.get_run(run.info.run_id)
    assert done.info.status == "FINISHED"
    assert "mlflow.autologging" not in done.data.tags  # the user's run, not a new one
    assert [s for s, _ in history(run.info.run_id, "loss")] == [1, 2]
    inputs = {d.context: d.dataset for d in done.inputs.dataset_inputs}
    assert inputs["train"].name == "Pairs"
    assert '"num_rows": 8' in (inputs["train"].profile or "")
    assert inputs["eval"].name == "heldout"

    # the same data gives the same digest
    assert dataset_record(Pairs(tokenizer, TEXTS, LABELS)).digest == inputs["train"].digest
    assert not runlab.list_artifacts(run_id=run.info.run_id)  # no model


def test_disable_puts_train_back_and_training_logs_nothing(tmp_path: Path, tokenizer: Any) -> None:
    import transformers

    original = transformers.Trainer.train
    runlab.transformers.autolog()
    assert transformers.Trainer.train is not original
    runlab.transformers.autolog(disable=True)
    assert transformers.Trainer.train is original
    trainer = trainer_for(
        tmp_path, tokenizer, Pairs(tokenizer, TEXTS, LABELS), None, eval_strategy="no", max_steps=1
    )
    trainer.train()
    assert runlab.search_runs(output_format="list") == []
