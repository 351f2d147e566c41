"""LightGBM autologging with real trainings on bundled datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.autolog._helpers import artifacts, history, only_run
from tests.autolog.test_autolog_xgboost import count_store_writes

import runlab


@pytest.fixture
def cancer() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True, as_frame=True)


def test_train_records_params_iterations_early_stopping_importances_and_model(
    cancer: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runlab.lightgbm.autolog(log_input_examples=True)
    import lightgbm as lgb

    writes = count_store_writes(monkeypatch)
    X, y = cancer
    train = lgb.Dataset(X[:400], y[:400])
    valid = lgb.Dataset(X[400:], y[400:], reference=train)
    params = {"objective": "binary", "num_leaves": 4, "learning_rate": 0.3, "verbose": -1}
    evals: dict[str, Any] = {}
    booster = lgb.train(
        {**params, "metric": ["binary_logloss", "auc"]},
        train,
        num_boost_round=80,
        valid_sets=[train, valid],
        valid_names=["train", "valid"],
        callbacks=[lgb.early_stopping(3, verbose=False), lgb.record_evaluation(evals)],
    )

    run = only_run()
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "lightgbm"
    p = run.data.params
    assert {k: p[k] for k in params} == {k: str(v) for k, v in params.items()}
    assert p["metric"] == "['binary_logloss', 'auc']"
    assert p["num_boost_round"] == "80"
    assert p["keep_training_booster"] == "False"
    assert not {"train_set", "valid_sets", "valid_names", "callbacks", "params"} & set(p)

    iterations = len(evals["valid"]["auc"])
    best = booster.best_iteration
    assert 0 < best < iterations < 80
    for key in ("train-binary_logloss", "train-auc", "valid-binary_logloss", "valid-auc"):
        name, metric = key.split("-")
        curve = evals[name][metric]
        points = history(run_id, key)
        assert [s for s, _ in points] == [*range(iterations), iterations]
        assert [v for _, v in points] == pytest.approx([*curve, curve[best - 1]])
    assert run.data.metrics["stopped_iteration"] == iterations
    assert run.data.metrics["best_iteration"] == best
    metric_writes = [n for n in writes if n]
    assert sum(metric_writes) == 4 * (iterations + 1) + 2
    assert len(metric_writes) <= 3, metric_writes

    assert {
        "model",
        "feature_importance_split.json",
        "feature_importance_split.png",
        "feature_importance_gain.json",
        "feature_importance_gain.png",
    } <= artifacts(run_id)
    local = Path(runlab.download_artifacts(run_id=run_id, dst_path=str(tmp_path)))
    split = json.loads((local / "feature_importance_split.json").read_text())
    assert list(split) == booster.feature_name()
    assert list(split.values()) == booster.feature_importance("split").tolist()
    assert (local / "feature_importance_gain.png").read_bytes()[:4] == b"\x89PNG"

    loaded = runlab.lightgbm.load_model(f"runs:/{run_id}/model")
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_allclose(loaded.predict(X), booster.predict(X))
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run_id}/model")
    assert pyfunc.metadata.signature.inputs.input_names() == list(X.columns)
    np.testing.assert_allclose(pyfunc.predict(X), booster.predict(X))
    assert "model/input_example.json" in artifacts(run_id, "model")
    contexts = sorted(
        ({t.key: t.value for t in d.tags}["mlflow.data.context"], d.dataset.name)
        for d in run.inputs.dataset_inputs
    )
    assert contexts == [("eval", "valid"), ("train", "dataset")]


def test_classifier_fit_logs_one_run_with_the_estimator_as_model() -> None:
    from sklearn.datasets import load_wine

    runlab.autolog(extra_tags={"team": "gbm"})
    import lightgbm as lgb

    X, y = load_wine(return_X_y=True, as_frame=True)
    model = lgb.LGBMClassifier(n_estimators=6, num_leaves=4, min_child_samples=5, verbose=-1)
    assert model.fit(X[::2], y[::2], eval_X=(X[1::2],), eval_y=(y[1::2],)) is model
    run = only_run()  # LGBMModel.fit and the train() inside it logged once
    assert run.data.tags["mlflow.autologging"] == "lightgbm"
    assert run.data.tags["team"] == "gbm"
    p = run.data.params
    assert p["num_leaves"] == "4"
    assert p["min_child_samples"] == "5"
    assert p["num_boost_round"] == "6"
    assert p["objective"] == "multiclass"
    curve = model.evals_result_["valid_0"]["multi_logloss"]
    points = history(run.info.run_id, "valid_0-multi_logloss")
    assert [s for s, _ in points] == list(range(6))
    assert [v for _, v in points] == pytest.approx(curve)
    assert {"model", "feature_importance_split.json"} <= artifacts(run.info.run_id)
    contexts = sorted(
        {t.key: t.value for t in d.tags}["mlflow.data.context"] for d in run.inputs.dataset_inputs
    )
    assert contexts == ["eval", "train"]

    loaded = runlab.lightgbm.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, lgb.LGBMClassifier)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert pyfunc.metadata.signature is not None
    np.testing.assert_array_equal(pyfunc.predict(X), model.predict(X))


def test_disable_and_exclusive(cancer: tuple[Any, Any]) -> None:
    import lightgbm as lgb

    original = lgb.train
    runlab.lightgbm.autolog(exclusive=True)
    X, y = cancer
    with runlab.start_run() as mine:
        lgb.train({"verbose": -1}, lgb.Dataset(X, y), num_boost_round=2)
    assert only_run().info.run_id == mine.info.run_id  # exclusive: the user's run untouched
    assert runlab.get_run(mine.info.run_id).data.params == {}
    runlab.lightgbm.autolog(disable=True)
    assert lgb.train is original
    lgb.train({"verbose": -1}, lgb.Dataset(X, y), num_boost_round=2)
    assert only_run().info.run_id == mine.info.run_id
