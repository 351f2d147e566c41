"""XGBoost autologging with real trainings on bundled datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.autolog._helpers import artifacts, history, only_run

import runlab
from runlab.errors import InvalidInputError


@pytest.fixture
def cancer() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True, as_frame=True)


def count_store_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of metric points in each write the store receives. The batcher's timer
    is slowed down so that the count does not depend on how busy the machine is: what
    is queued is written when the run ends (or something flushes)."""
    from runlab.tracking import fluent

    client = fluent._client()
    monkeypatch.setattr(client.batcher, "_interval", 60.0)
    store = client.store
    writes: list[int] = []
    real = store.log_batch

    def counted(run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> Any:
        writes.append(len(metrics))
        return real(run_id, metrics=metrics, params=params, tags=tags)

    monkeypatch.setattr(store, "log_batch", counted)
    return writes


def test_train_records_params_iterations_early_stopping_importances_and_model(
    cancer: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runlab.xgboost.autolog(importance_types=["weight", "gain"], log_input_examples=True)
    import xgboost as xgb

    writes = count_store_writes(monkeypatch)
    X, y = cancer
    dtrain, dvalid = xgb.DMatrix(X[:400], y[:400]), xgb.DMatrix(X[400:], y[400:])
    params = {"objective": "binary:logistic", "max_depth": 2, "eta": 0.3, "eval_metric": "logloss"}
    user_callbacks: list[Any] = []
    evals_result: dict[str, Any] = {}
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=60,
        evals=[(dtrain, "train"), (dvalid, "validation")],
        early_stopping_rounds=3,
        evals_result=evals_result,
        verbose_eval=False,
        callbacks=user_callbacks,
    )
    assert user_callbacks == []  # the user's list is not changed

    run = only_run()
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "xgboost"
    p = run.data.params
    assert {k: p[k] for k in params} == {k: str(v) for k, v in params.items()}
    assert p["num_boost_round"] == "60"
    assert p["early_stopping_rounds"] == "3"
    assert p["verbose_eval"] == "False"
    assert p["maximize"] == "None"  # defaults of train() are params too
    assert not {"dtrain", "evals", "callbacks", "evals_result", "params"} & set(p)

    iterations = len(evals_result["validation"]["logloss"])
    assert iterations < 60  # it stopped early
    best = booster.best_iteration
    for name in ("train", "validation"):
        points = history(run_id, f"{name}-logloss")
        expected = list(enumerate(evals_result[name]["logloss"]))
        expected.append((iterations, evals_result[name]["logloss"][best]))  # the best, again
        assert [s for s, _ in points] == [s for s, _ in expected]
        assert [v for _, v in points] == pytest.approx([v for _, v in expected])
    assert run.data.metrics["stopped_iteration"] == iterations - 1
    assert run.data.metrics["best_iteration"] == best
    # Each iteration's points were queued and written together, not one write each.
    metric_writes = [n for n in writes if n]
    assert sum(metric_writes) == 2 * (iterations + 1) + 2
    assert len(metric_writes) <= 3, metric_writes

    files = artifacts(run_id)
    assert {
        "model",
        "feature_importance_weight.json",
        "feature_importance_weight.png",
        "feature_importance_gain.json",
        "feature_importance_gain.png",
    } <= files
    local = Path(runlab.download_artifacts(run_id=run_id, dst_path=str(tmp_path)))
    weight = json.loads((local / "feature_importance_weight.json").read_text())
    assert weight == booster.get_score(importance_type="weight")
    assert set(weight) <= set(X.columns)
    assert (local / "feature_importance_gain.png").read_bytes()[:4] == b"\x89PNG"

    loaded = runlab.xgboost.load_model(f"runs:/{run_id}/model")
    assert isinstance(loaded, xgb.Booster)
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(X)), booster.predict(xgb.DMatrix(X)))
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run_id}/model")
    assert pyfunc.metadata.signature.inputs.input_names() == list(X.columns)
    np.testing.assert_allclose(pyfunc.predict(X), booster.predict(xgb.DMatrix(X)), rtol=1e-6)
    assert "model/input_example.json" in artifacts(run_id, "model")

    contexts = [
        ({t.key: t.value for t in d.tags}["mlflow.data.context"], d.dataset.name)
        for d in run.inputs.dataset_inputs
    ]
    assert sorted(contexts) == [("eval", "validation"), ("train", "dataset")]


def test_classifier_fit_logs_into_one_run_with_the_estimator_as_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sklearn.datasets import load_wine

    runlab.autolog()  # reaches xgboost without naming it
    import xgboost as xgb

    X, y = load_wine(return_X_y=True, as_frame=True)
    model = xgb.XGBClassifier(n_estimators=8, max_depth=2, learning_rate=0.5)
    with runlab.start_run() as active:
        assert model.fit(X[::2], y[::2], eval_set=[(X[1::2], y[1::2])], verbose=False) is model
    run = only_run()  # the fit's inner train() started no run of its own
    assert run.info.run_id == active.info.run_id
    p = run.data.params
    assert p["max_depth"] == "2"
    assert p["learning_rate"] == "0.5"
    assert p["num_boost_round"] == "8"
    assert p["objective"] == "multi:softprob"
    curve = model.evals_result()["validation_0"]["mlogloss"]
    points = history(run.info.run_id, "validation_0-mlogloss")
    assert [s for s, _ in points] == list(range(8))
    assert [v for _, v in points] == pytest.approx(curve)
    assert "stopped_iteration" not in run.data.metrics  # no early stopping asked
    assert {"model", "feature_importance_weight.json"} <= artifacts(run.info.run_id)

    loaded = runlab.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, xgb.XGBClassifier)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert pyfunc.metadata.signature is not None
    np.testing.assert_array_equal(pyfunc.predict(X), model.predict(X))
    contexts = sorted(
        {t.key: t.value for t in d.tags}["mlflow.data.context"] for d in run.inputs.dataset_inputs
    )
    assert contexts == ["eval", "train"]


def test_keywords_disable_and_bad_values(cancer: tuple[Any, Any]) -> None:
    import xgboost as xgb

    original = xgb.train
    runlab.xgboost.autolog(log_models=False, log_datasets=False, extra_tags={"team": "a"})
    assert xgb.train is not original
    X, y = cancer
    xgb.train({"max_depth": 1}, xgb.DMatrix(X, y), num_boost_round=2)
    run = only_run()
    assert run.data.tags["team"] == "a"
    assert "model" not in artifacts(run.info.run_id)
    assert not run.inputs.dataset_inputs
    assert run.data.metrics == {}  # no eval sets: nothing per iteration

    runlab.xgboost.autolog(disable=True)
    assert xgb.train is original
    with pytest.raises(InvalidInputError, match="importance_types"):
        runlab.xgboost.autolog(importance_types=["weights"])
    with pytest.raises(InvalidInputError, match="model_format"):
        runlab.xgboost.autolog(model_format="pickle")


def test_a_failing_training_fails_its_run(cancer: tuple[Any, Any]) -> None:
    runlab.xgboost.autolog()
    import xgboost as xgb

    X, y = cancer
    with pytest.raises(xgb.core.XGBoostError):
        xgb.train({"objective": "no:such"}, xgb.DMatrix(X, y), num_boost_round=2)
    assert only_run().info.status == "FAILED"


def test_train_against_a_live_server(cancer: tuple[Any, Any], tmp_path: Path) -> None:
    """The same records over HTTP: iterations batched into REST log-batch calls, the
    model uploaded and read back through the server."""
    import xgboost as xgb
    from tests._servers import start_runlab_server

    X, y = cancer
    with start_runlab_server(tmp_path) as (base_url, _process):
        runlab.set_tracking_uri(base_url)
        runlab.autolog()
        dtrain, dvalid = xgb.DMatrix(X[:400], y[:400]), xgb.DMatrix(X[400:], y[400:])
        evals_result: dict[str, Any] = {}
        booster = xgb.train(
            {"max_depth": 2, "objective": "binary:logistic", "eval_metric": "auc"},
            dtrain,
            num_boost_round=15,
            evals=[(dvalid, "validation")],
            evals_result=evals_result,
            verbose_eval=False,
        )
        run = only_run()
        assert run.data.params["max_depth"] == "2"
        points = history(run.info.run_id, "validation-auc")
        assert [s for s, _ in points] == list(range(15))
        assert [v for _, v in points] == pytest.approx(evals_result["validation"]["auc"])
        loaded = runlab.xgboost.load_model(f"runs:/{run.info.run_id}/model")
        np.testing.assert_allclose(loaded.predict(dvalid), booster.predict(dvalid))
