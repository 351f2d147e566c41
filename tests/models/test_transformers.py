"""Hugging Face transformers: a tiny BERT built here from a config and a local vocabulary."""

from __future__ import annotations

import os
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import runlab
from runlab.errors import InvalidInputError
from runlab.models import ColSpec, DataType

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here may reach the hub

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "film", "was"]
WORDS += ["good", "great", "bad", "awful", "a", "very", "not"]
TEXTS = ["the movie was good", "a very bad film", "not great", "awful"]


@pytest.fixture(scope="module")
def mlflow() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own import-time deprecations
        import mlflow.pyfunc
        import mlflow.transformers
    return mlflow


@pytest.fixture
def parts(tmp_path: Path) -> dict[str, Any]:
    import torch
    import transformers

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(WORDS) + "\n")
    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config).eval()
    return {"model": model, "tokenizer": transformers.BertTokenizer(vocab=str(vocab))}


@pytest.fixture
def classifier(parts: dict[str, Any]) -> Any:
    import transformers

    return transformers.pipeline("text-classification", **parts)


def _frame(out: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"label": o["label"], "score": o["score"]} for o in out])


def test_pipeline_logs_registers_and_loads_back(
    tracking: str, classifier: Any, fresh_process: Any
) -> None:
    import transformers

    with runlab.start_run() as run:
        info = runlab.transformers.log_model(
            classifier, name="clf", input_example=TEXTS[:2], registered_model_name="tiny-bert"
        )
    assert info.registered_model_version == 1
    sig = info.signature
    assert sig is not None
    assert sig.inputs is not None
    assert sig.inputs.inputs == [ColSpec(DataType.string)]
    assert sig.outputs is not None
    assert sig.outputs.inputs == [
        ColSpec(DataType.string, "label"),
        ColSpec(DataType.double, "score"),
    ]

    local = Path(runlab.download_artifacts("clf", run_id=run.info.run_id))
    assert (local / "model" / "config.json").is_file()
    assert (local / "model" / "model.safetensors").is_file()
    assert (local / "components" / "tokenizer" / "tokenizer_config.json").is_file()
    conf = yaml.safe_load((local / "MLmodel").read_text())["flavors"]
    assert conf["transformers"] == {
        "code": None,
        "components": ["tokenizer"],
        "instance_type": "TextClassificationPipeline",
        "model_binary": "model",
        "pipeline_model_type": "BertForSequenceClassification",
        "source_model_name": "",
        "task": "text-classification",
        "tokenizer_type": "BertTokenizer",
        "transformers_version": transformers.__version__,
    }
    assert conf["python_function"]["loader_module"] == "runlab.transformers"
    reqs = (local / "requirements.txt").read_text().splitlines()
    assert f"transformers=={transformers.__version__}" in reqs
    assert f"torch=={metadata.version('torch').split('+')[0]}" in reqs

    expected = _frame(classifier(TEXTS))
    for uri in (info.model_uri, "models:/tiny-bert/1"):
        model = runlab.pyfunc.load_model(uri)
        pd.testing.assert_frame_equal(model.predict(TEXTS), expected, rtol=1e-5)
    pd.testing.assert_frame_equal(model.predict(pd.DataFrame({"text": TEXTS})), expected)
    pd.testing.assert_frame_equal(model.predict(TEXTS[0]), expected.head(1))

    pipe = runlab.transformers.load_model(info.model_uri)
    assert isinstance(pipe, transformers.TextClassificationPipeline)
    pd.testing.assert_frame_equal(_frame(pipe(TEXTS)), expected, rtol=1e-5)
    parts = runlab.transformers.load_model(info.model_uri, return_type="components")
    assert parts["task"] == "text-classification"
    assert isinstance(parts["model"], transformers.BertForSequenceClassification)
    assert isinstance(parts["tokenizer"], transformers.BertTokenizer)

    runlab.flush()
    out = fresh_process(
        f"""
        import json, os
        os.environ["HF_HUB_OFFLINE"] = "1"
        import runlab.pyfunc
        model = runlab.pyfunc.load_model("models:/tiny-bert/1")
        print(model.predict({TEXTS!r}).to_json(orient="records"))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    pd.testing.assert_frame_equal(pd.DataFrame(out), expected, rtol=1e-5)


def test_model_and_tokenizer_with_a_task(
    tmp_path: Path, parts: dict[str, Any], classifier: Any
) -> None:
    runlab.transformers.save_model(
        parts, tmp_path / "m", task="text-classification", model_config={"top_k": 2}
    )
    model = runlab.pyfunc.load_model(tmp_path / "m")
    sig = model.metadata.signature  # the task's usual one, without an input example
    assert sig is not None
    assert sig.outputs is not None
    assert sig.outputs.input_names() == ["label", "score"]
    out = model.predict(TEXTS[:2])  # both labels of each input, top_k from model_config
    assert out.index.tolist() == [0, 0, 1, 1]
    assert sorted(out["label"].iloc[:2]) == ["NEGATIVE", "POSITIVE"]
    np.testing.assert_allclose(out.groupby(level=0)["score"].sum(), [1.0, 1.0], rtol=1e-5)


def test_text_generation_returns_strings(tmp_path: Path, parts: dict[str, Any]) -> None:
    import torch
    import transformers

    config = transformers.GPT2Config(
        vocab_size=len(WORDS), n_positions=32, n_embd=16, n_layer=1, n_head=2, pad_token_id=0
    )
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config).eval()
    pipe = transformers.pipeline("text-generation", model=model, tokenizer=parts["tokenizer"])
    # greedy, three new tokens, no [CLS]/[SEP] around the prompt (a BERT vocabulary)
    kwargs = {"max_new_tokens": 3, "min_new_tokens": 3, "do_sample": False}
    kwargs["add_special_tokens"] = False
    runlab.transformers.save_model(pipe, tmp_path / "m", model_config=kwargs)
    model_config = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"][
        "python_function"
    ]["model_config"]
    assert model_config == kwargs
    out = runlab.pyfunc.load_model(tmp_path / "m").predict(TEXTS[:2])
    assert out == [pipe(t, **kwargs)[0]["generated_text"] for t in TEXTS[:2]]
    assert out[0].startswith(TEXTS[0])
    assert len(out[0]) > len(TEXTS[0])


def test_bad_input_is_refused_with_the_rule(tmp_path: Path, parts: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError, match="task is required"):
        runlab.transformers.save_model(parts, tmp_path / "a")
    with pytest.raises(InvalidInputError, match=r"unknown component\(s\) \['vocab'\]"):
        runlab.transformers.save_model({**parts, "vocab": 1}, tmp_path / "b", task="fill-mask")
    with pytest.raises(InvalidInputError, match="must be a transformers.Pipeline .* got str"):
        runlab.transformers.save_model("bert-base-uncased", tmp_path / "c")
    with pytest.raises(InvalidInputError, match="return_type 'model' is not supported"):
        runlab.transformers.load_model(tmp_path / "c", return_type="model")
    runlab.transformers.save_model(parts, tmp_path / "d", task="text-classification")
    model = runlab.pyfunc.load_model(tmp_path / "d")
    with pytest.raises(InvalidInputError, match=r"has 2 column\(s\) but the model takes 1"):
        model.predict(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(InvalidInputError, match="column '#0': expected string"):
        model.predict([1, 2])


def test_mlflow_loads_a_runlab_model(tmp_path: Path, classifier: Any, mlflow: Any) -> None:
    runlab.transformers.save_model(classifier, tmp_path / "m", input_example=TEXTS[:2])
    expected = _frame(classifier(TEXTS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own deprecations
        pipe = mlflow.transformers.load_model(str(tmp_path / "m"))
    pd.testing.assert_frame_equal(_frame(pipe(TEXTS)), expected, rtol=1e-5)
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    pd.testing.assert_frame_equal(model.predict(TEXTS), expected, rtol=1e-5)


def test_runlab_loads_an_mlflow_model(tmp_path: Path, classifier: Any, mlflow: Any) -> None:
    import transformers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own deprecations
        mlflow.transformers.save_model(
            classifier, str(tmp_path / "m"), pip_requirements=["transformers"]
        )
    expected = _frame(classifier(TEXTS))
    pipe = runlab.transformers.load_model(tmp_path / "m")
    assert isinstance(pipe, transformers.TextClassificationPipeline)
    pd.testing.assert_frame_equal(_frame(pipe(TEXTS)), expected, rtol=1e-5)
