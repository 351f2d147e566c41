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


def _train_in_child(tmp_path: Path, script_text: str) -> tuple[str, dict[str, Any]]:
    """Run ``script_text`` with Keras on TensorFlow in a fresh interpreter, logging to a
    SQLite store in ``tmp_path``; the store's URI and the JSON the script printed last."""
    uri = f"sqlite:///{tmp_path / 'runlab.db'}"
    script = tmp_path / "train.py"
    script.write_text(script_text)
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
    return uri, json.loads(done.stdout.strip().splitlines()[-1])


def test_tf_keras_fit_on_tf_data_records_params_epochs_datasets_and_the_model(
    tmp_path: Path,
) -> None:
    uri, out = _train_in_child(tmp_path, SCRIPT)
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
        ({"checkpoint": "yes"}, "checkpoint"),
        ({"checkpoint_mode": "lowest"}, "checkpoint_mode"),
        ({"checkpoint_monitor": None}, "checkpoint_monitor"),
        ({"checkpoint_save_freq": 0}, "checkpoint_save_freq"),
        ({"checkpoint_save_weights_only": 1}, "checkpoint_save_weights_only"),
        ({"log_every_n_steps": 0, "log_every_epoch": False}, "log_every_n_steps"),
    ],
)
def test_autolog_refuses_what_it_does_not_do_naming_the_keyword(
    keywords: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError, match=f"^{field}: (must|save_best_only=True needs)"):
        runlab.tensorflow.autolog(**keywords)
    from runlab.autolog.integrations.keras import INTEGRATION

    assert not INTEGRATION.enabled  # refused before anything was patched


CHECKPOINT_SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    import tensorflow as tf
    import runlab

    runlab.set_tracking_uri(sys.argv[1])
    tf.keras.utils.set_random_seed(0)
    X = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = (X.sum(axis=1) > 2).astype("int32")
    train = tf.data.Dataset.from_tensor_slices((X[:48], y[:48])).batch(16)  # 3 batches
    val = tf.data.Dataset.from_tensor_slices((X[48:], y[48:])).batch(16)

    def build():
        model = tf.keras.Sequential(
            [tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"),
             tf.keras.layers.Dense(2)]
        )
        model.compile(
            optimizer=tf.keras.optimizers.Adam(0.05),
            loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return model

    class Snapshot(tf.keras.callbacks.Callback):
        # The weights after the 4th batch of the whole fit.
        def on_train_begin(self, logs=None):
            self.seen, self.weights = 0, None
        def on_train_batch_end(self, batch, logs=None):
            self.seen += 1
            if self.seen == 4:
                self.weights = [w.copy() for w in self.model.get_weights()]

    out = {}
    # 1. The defaults: the best epoch of val_loss, the whole model.
    runlab.tensorflow.autolog()
    model = build()
    history = model.fit(train, validation_data=val, epochs=4, verbose=0)
    run_id = runlab.last_active_run().info.run_id
    best = runlab.tensorflow.load_checkpoint(run_id=run_id)
    out["best"] = {
        "run_id": run_id,
        "val_loss": history.history["val_loss"],
        "reloaded_val_loss": float(best.evaluate(val, verbose=0)),
    }

    # 2. Every 2 batches, weights only, each kept.
    runlab.tensorflow.autolog(
        checkpoint_save_best_only=False, checkpoint_save_weights_only=True,
        checkpoint_save_freq=2,
    )
    model, snapshot = build(), Snapshot()
    model.fit(train, epochs=3, verbose=0, callbacks=[snapshot])
    run_id = runlab.last_active_run().info.run_id
    fresh = build()
    loaded = runlab.tensorflow.load_checkpoint(fresh, run_id=run_id, global_step=4)
    latest = runlab.tensorflow.load_checkpoint(build(), run_id=run_id)
    try:
        runlab.tensorflow.load_checkpoint(run_id=run_id)
        refused = None
    except runlab.errors.InvalidInputError as e:
        refused = str(e)
    out["steps"] = {
        "run_id": run_id,
        "same_object": loaded is fresh,
        "step_4_weights": all(
            np.allclose(a, b) for a, b in zip(loaded.get_weights(), snapshot.weights)
        ),
        "latest_weights": all(
            np.allclose(a, b) for a, b in zip(latest.get_weights(), model.get_weights())
        ),
        "refused": refused,
    }

    # 3. Best only, but the monitored metric is never logged: one warning, no checkpoint.
    runlab.tensorflow.autolog(checkpoint_monitor="val_accuracy")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build().fit(train, validation_data=val, epochs=3, verbose=0)
    out["missing"] = {
        "run_id": runlab.last_active_run().info.run_id,
        "warnings": [str(w.message) for w in caught if "no checkpoint" in str(w.message)],
    }

    # 4. checkpoint=False: none at all.
    runlab.tensorflow.autolog(checkpoint=False)
    build().fit(train, validation_data=val, epochs=2, verbose=0)
    out["off"] = runlab.last_active_run().info.run_id
    print(json.dumps(out))
    """
)


def test_checkpoints_during_fit_are_logged_and_load_back(tmp_path: Path) -> None:
    uri, out = _train_in_child(tmp_path, CHECKPOINT_SCRIPT)
    runlab.set_tracking_uri(uri)
    latest_tag = "mlflow.latest_checkpoint_artifact"

    # 1. One file, replaced at each improvement: it holds the best epoch's model.
    best = out["best"]
    run = runlab.get_run(best["run_id"])
    assert run.data.tags[latest_tag] == "checkpoints/latest_checkpoint.keras"
    assert artifacts(best["run_id"], "checkpoints") == {
        "checkpoints/latest_checkpoint.keras",
        "checkpoints/latest_checkpoint_metrics.json",
    }
    losses = best["val_loss"]
    best_epoch = losses.index(min(losses))
    saved = runlab.artifacts.load_dict(
        f"runs:/{best['run_id']}/checkpoints/latest_checkpoint_metrics.json"
    )
    assert saved["epoch"] == best_epoch
    assert saved["global_step"] == 3 * (best_epoch + 1)
    assert saved["val_loss"] == pytest.approx(min(losses), rel=1e-5)
    assert best["reloaded_val_loss"] == pytest.approx(min(losses), rel=1e-4)

    # 2. Every second batch of 9: steps 2, 4, 6, 8, each in its own folder.
    steps = out["steps"]
    folders = {f"checkpoints/global_step_{n}" for n in (2, 4, 6, 8)}
    assert artifacts(steps["run_id"], "checkpoints") == folders
    assert artifacts(steps["run_id"], "checkpoints/global_step_4") == {
        "checkpoints/global_step_4/checkpoint.weights.h5",
        "checkpoints/global_step_4/checkpoint_metrics.json",
    }
    tags = runlab.get_run(steps["run_id"]).data.tags
    assert tags[latest_tag] == "checkpoints/global_step_8/checkpoint.weights.h5"
    assert steps["same_object"]
    assert steps["step_4_weights"]  # the weights as they were after batch 4
    assert not steps["latest_weights"]  # step 8, not the final step 9
    assert steps["refused"].startswith("model: this checkpoint holds weights only")

    # 3. A monitored metric that is never logged: said once, nothing saved.
    missing = out["missing"]
    assert len(missing["warnings"]) == 1
    assert "'val_accuracy'" in missing["warnings"][0]
    assert artifacts(missing["run_id"], "checkpoints") == set()
    assert latest_tag not in runlab.get_run(missing["run_id"]).data.tags

    # 4. Turned off.
    assert artifacts(out["off"], "checkpoints") == set()
    assert "model/MLmodel" in artifacts(out["off"], "model")
