"""Hugging Face Trainer autologging and ``log_model_signatures``: the model is logged
with the flavour's signature by default, and with none when it is turned off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.autolog import test_autolog_transformers as base
from tests.autolog._helpers import artifacts, only_run
from tests.autolog.test_autolog_transformers import LABELS, TEXTS, hf_dataset, trainer_for

import runlab
from runlab.models.input_example import EXAMPLE_FILE

tokenizer = base.tokenizer  # the fixture, shared with the Trainer tests


def mlmodel(run_id: str) -> dict[str, Any]:
    path = runlab.download_artifacts("model/MLmodel", run_id=run_id)
    return dict(yaml.safe_load(Path(path).read_text()))


@pytest.mark.parametrize(
    ("examples", "signatures"),
    [(True, True), (True, False), (False, True), (False, False)],
    ids=["example-signature", "example-only", "task-signature", "neither"],
)
def test_log_model_signatures_decides_whether_the_model_has_one(
    tmp_path: Path, tokenizer: Any, examples: bool, signatures: bool
) -> None:
    runlab.transformers.autolog(log_input_examples=examples, log_model_signatures=signatures)
    trainer = trainer_for(
        tmp_path,
        tokenizer,
        hf_dataset(tokenizer, TEXTS, LABELS),
        hf_dataset(tokenizer, TEXTS[:4], LABELS[:4]),
        eval_strategy="no",
        max_steps=1,
    )
    trainer.train()
    run_id = only_run().info.run_id
    descriptor = mlmodel(run_id)
    if signatures:
        # Inferred from the example (with the pipeline's outputs), or the task's own.
        assert "inputs" in descriptor["signature"]
        assert "outputs" in descriptor["signature"]
    else:
        assert "signature" not in descriptor
    # The input example is kept (or left out) independently of the signature.
    assert (f"model/{EXAMPLE_FILE}" in artifacts(run_id, "model")) is examples
    assert ("saved_input_example_info" in descriptor) is examples
    predicted = runlab.pyfunc.load_model(f"runs:/{run_id}/model").predict(TEXTS[:2])
    assert set(predicted["label"]) <= {"NEGATIVE", "POSITIVE"}
