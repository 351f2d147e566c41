"""``runlab.tensorflow``: a tiny tf.keras model trained on tf.data datasets.

Keras picks its backend once per process and the other Keras tests use torch, so the
training runs in a child process with ``KERAS_BACKEND=tensorflow``; this process reads
what it logged from the store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.autolog._helpers import artifacts, history

import runlab
from runlab.errors import InvalidInputError

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    import runlab
    from runlab.autolog.integrations.keras._tfdata import tf_dataset

    runlab.set_tracking_uri(sys.argv[1])
    runlab.tensorflow.autolog()
    tf.keras.utils.set_random_seed(0)
    X = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = (X.sum(axis=1) > 2).astype("int32")
    train = tf.data.Dataset.from_tensor_slices((X[:48], y[:48])).batch(16)
    val = tf.data.Dataset.from_tensor_slices((X[48:], y[48:])).batch(16)
    model = tf.keras.Sequential(
        [tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"),
         tf.keras.layers.Dense(2)]
    )
    model.compile(
        optimizer=tf.keras.optimizers.Adam(0.01),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(train, validation_data=val, epochs=3, verbose=0)
    (run,) = runlab.search_runs(output_format="list")
    loaded = runlab.tensorflow.load_model(f"runs:/{run.info.run_id}/model")
    print(json.dumps({
        "run_id": run.info.run_id,
        "backend": tf.keras.backend.backend(),
        "same_predictions": bool(np.allclose(
            loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)),
        "train_digest": tf_dataset(train, "").digest,
        "val_digest": tf_dataset(val, "").digest,
    }))
    """
)


def test_tf_keras_fit_on_tf_data_records_params_epochs_datasets_and_the_model(
    tmp_path: Path,
) -> None:
    uri = f"sqlite:///{tmp_path / 'runlab.db'}"
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, str(script), uri],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backend"] == "tensorflow"
    assert out["same_predictions"]

    runlab.set_tracking_uri(uri)
    run = runlab.get_run(out["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "keras"
    p = run.data.params
    assert p["epochs"] == "3"
    assert p["optimizer_name"].startswith("adam")
    assert float(p["optimizer_learning_rate"]) == pytest.approx(0.01)
    for key in ("loss", "accuracy", "validation_loss", "validation_accuracy"):
        assert [s for s, _ in history(run.info.run_id, key)] == [0, 1, 2], key

    inputs = {d.context: d.dataset for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"train", "eval"}
    assert inputs["train"].digest == out["train_digest"]  # the same content, the same digest
    assert inputs["eval"].digest == out["val_digest"] != out["train_digest"]
    schema = json.loads(inputs["train"].schema or "[]")
    assert [(s["shape"], s["dtype"]) for s in schema] == [([-1, 4], "float32"), ([-1], "int32")]
    assert json.loads(inputs["train"].profile or "{}")["num_batches"] == 3

    assert "model/MLmodel" in artifacts(run.info.run_id, "model")
    mlmodel = Path(runlab.download_artifacts("model/MLmodel", run_id=run.info.run_id))
    assert "keras_backend: tensorflow" in mlmodel.read_text()
    requirements = runlab.download_artifacts("model/requirements.txt", run_id=run.info.run_id)
    assert "tensorflow" in Path(requirements).read_text()


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"saved_model_kwargs": {"signatures": None}}, "saved_model_kwargs"),
        ({"keras_model_kwargs": {"save_format": "h5"}}, "keras_model_kwargs"),
        ({"checkpoint": True}, "checkpoint"),
        ({"log_every_n_steps": 0, "log_every_epoch": False}, "log_every_n_steps"),
    ],
)
def test_autolog_refuses_what_it_does_not_do_naming_the_keyword(
    keywords: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError, match=f"^{field}: must"):
        runlab.tensorflow.autolog(**keywords)
    from runlab.autolog.integrations.keras import INTEGRATION

    assert not INTEGRATION.enabled  # refused before anything was patched
