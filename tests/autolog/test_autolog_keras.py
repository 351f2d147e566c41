"""Keras 3 autologging with real trainings (torch backend) on a slice of load_digits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.autolog._helpers import artifacts, history, only_run

import runlab
from runlab.errors import InvalidInputError

os.environ["KERAS_BACKEND"] = "torch"  # before keras is first imported

# Keras 3.15 converts torch tensors with np.array(tensor), which numpy 2 flags: not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture(scope="module")
def digits() -> tuple[Any, Any]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16).astype("float32"), y[:300]


def network(learning_rate: float = 0.01) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def test_fit_records_params_epochs_summary_datasets_and_a_loadable_model(
    digits: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    runlab.keras.autolog(log_input_examples=True)
    from tests.autolog.test_autolog_xgboost import count_store_writes

    writes = count_store_writes(monkeypatch)
    X, y = digits
    model = network()
    user_callbacks: list[Any] = []
    fitted = model.fit(
        X[:200],
        y[:200],
        batch_size=50,
        epochs=3,
        validation_data=(X[200:], y[200:]),
        callbacks=user_callbacks,
        verbose=0,
    )
    assert user_callbacks == []  # the user's list is not changed

    run = only_run()
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "keras"
    p = run.data.params
    assert (p["epochs"], p["batch_size"], p["shuffle"], p["validation_split"]) == (
        "3",
        "50",
        "True",
        "0.0",
    )
    assert p["optimizer_name"].startswith("adam")  # keras numbers repeats: adam_2...
    assert float(p["optimizer_learning_rate"]) == pytest.approx(0.01)
    assert p["optimizer_beta_1"] == "0.9"
    assert not {"x", "y", "callbacks", "validation_data", "verbose", "self"} & set(p)

    # Each epoch's logs, the epoch as step, as keras' History has them.
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        points = history(run_id, key)
        assert [s for s, _ in points] == [0, 1, 2], key
        assert [v for _, v in points] == pytest.approx(fitted.history[key]), key
    assert [v for _, v in history(run_id, "validation_loss")] == pytest.approx(
        fitted.history["val_loss"]
    )
    assert "stopped_epoch" not in run.data.metrics  # no EarlyStopping
    # 3 epochs x 6 values were queued, then written together: far fewer writes than calls.
    assert sum(writes) == 18, writes
    assert len([w for w in writes if w]) <= 2, writes

    assert artifacts(run_id) == {"model", "model_summary.txt"}
    summary = runlab.artifacts.load_text(f"runs:/{run_id}/model_summary.txt")
    assert "Total params" in summary
    assert "dense" in summary.lower()
    inputs = runlab.get_run(run_id).inputs.dataset_inputs
    assert sorted(d.context or "" for d in inputs) == ["eval", "train"]

    loaded = runlab.keras.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(
        loaded.predict(X[200:], verbose=0), model.predict(X[200:], verbose=0), rtol=1e-5
    )
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run_id}/model")
    assert pyfunc.predict(X[:4]).shape == (4, 10)
    signature = pyfunc.metadata.signature
    assert signature.inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 64]}}
    ]
    assert signature.outputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 10]}}
    ]
    assert pyfunc.metadata.saved_input_example_info is not None


def test_early_stopping_records_its_settings_and_the_restored_epoch(
    digits: tuple[Any, Any],
) -> None:
    import keras

    runlab.autolog()  # the keras integration is among every framework's
    X, y = digits
    # A learning rate this high makes val_loss worse after the first epochs: it stops.
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=1, restore_best_weights=True, min_delta=0.5
    )
    fitted = network(learning_rate=0.05).fit(
        X[:200], y[:200], epochs=20, validation_data=(X[200:], y[200:]), callbacks=[stop], verbose=0
    )
    epochs = len(fitted.epoch)
    assert epochs < 20, fitted.history

    run = only_run()
    run_id = run.info.run_id
    p = run.data.params
    assert (p["monitor"], p["patience"], p["min_delta"], p["restore_best_weights"]) == (
        "val_loss",
        "1",
        "0.5",
        "True",
    )
    assert p["baseline"] == "None"
    m = run.data.metrics
    assert m["stopped_epoch"] == stop.stopped_epoch == epochs - 1
    best = fitted.history["val_loss"].index(stop.best)
    assert m["restored_epoch"] == best
    # The restored epoch's metrics again, at the step after the last epoch.
    points = history(run_id, "val_loss")
    assert points[-1] == (stop.stopped_epoch + 1, pytest.approx(fitted.history["val_loss"][best]))
    assert [s for s, _ in points[:-1]] == list(range(epochs))


def test_log_every_n_steps_logs_batches_with_the_iteration_as_step(
    digits: tuple[Any, Any],
) -> None:
    runlab.keras.autolog(log_every_epoch=False, log_every_n_steps=2, log_models=False)
    X, y = digits
    network().fit(X[:200], y[:200], batch_size=25, epochs=2, verbose=0)  # 8 batches an epoch

    run = only_run()
    assert [s for s, _ in history(run.info.run_id, "loss")] == [2, 4, 6, 8, 10, 12, 14, 16]
    assert artifacts(run.info.run_id) == {"model_summary.txt"}  # log_models=False


def test_a_failing_fit_fails_its_run(digits: tuple[Any, Any]) -> None:
    runlab.keras.autolog()
    X, _y = digits
    with pytest.raises(Exception, match="(?i)shape|size|target"):
        network().fit(X[:50], np.zeros((50, 3, 7)), epochs=1, verbose=0)
    assert only_run().info.status == "FAILED"


def test_fit_inside_a_user_run_logs_into_it_and_leaves_it_open(digits: tuple[Any, Any]) -> None:
    runlab.keras.autolog(extra_tags={"team": "vision"}, log_models=False)
    X, y = digits
    with runlab.start_run() as run:
        network().fit(X[:100], y[:100], epochs=2, verbose=0)
        assert runlab.active_run() is not None
    logged = runlab.get_run(run.info.run_id)
    assert logged.data.tags["team"] == "vision"
    assert [s for s, _ in history(run.info.run_id, "loss")] == [0, 1]


def test_disable_puts_fit_back_and_nothing_is_logged(digits: tuple[Any, Any]) -> None:
    import keras

    runlab.keras.autolog()
    runlab.keras.autolog(disable=True)
    assert "fit" not in vars(keras.Model)  # the inherited trainer's fit again
    X, y = digits
    network().fit(X[:50], y[:50], epochs=1, verbose=0)
    assert runlab.search_runs(output_format="list") == []


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"log_every_n_steps": 5}, "log_every_n_steps"),  # with log_every_epoch=True
        ({"log_every_epoch": False}, "log_every_n_steps"),
        ({"log_every_epoch": False, "log_every_n_steps": 0}, "log_every_n_steps"),
        ({"log_every_epoch": "yes"}, "log_every_epoch"),
        ({"save_exported_model": True}, "save_exported_model"),
        ({"save_model_kwargs": {"zipped": False}}, "save_model_kwargs"),
        ({"log_models": "yes"}, "log_models"),
    ],
)
def test_bad_keywords_name_the_field(keywords: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        runlab.keras.autolog(**keywords)


def test_fit_against_a_live_server(digits: tuple[Any, Any], tmp_path: Path) -> None:
    """The same records over HTTP: epochs batched into REST log-batch calls, the model
    uploaded and read back through the server."""
    from tests._servers import start_runlab_server

    X, y = digits
    with start_runlab_server(tmp_path) as (base_url, _process):
        runlab.set_tracking_uri(base_url)
        runlab.keras.autolog()
        model = network()
        fitted = model.fit(X[:200], y[:200], epochs=2, verbose=0)
        run = only_run()
        assert run.data.params["optimizer_name"].startswith("adam")
        points = history(run.info.run_id, "accuracy")
        assert [v for _, v in points] == pytest.approx(fitted.history["accuracy"])
        loaded = runlab.keras.load_model(f"runs:/{run.info.run_id}/model")
        np.testing.assert_allclose(
            loaded.predict(X[:10], verbose=0), model.predict(X[:10], verbose=0), rtol=1e-5
        )
