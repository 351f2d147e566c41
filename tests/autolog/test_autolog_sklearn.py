"""scikit-learn autologging on bundled datasets, with real trainings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.autolog._helpers import artifacts, only_run

import runlab
from runlab.autolog import AutologgingWarning


@pytest.fixture
def wine() -> tuple[Any, Any]:
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True, as_frame=True)


def test_classifier_fit_records_params_metrics_model_dataset_and_artifacts(
    wine: tuple[Any, Any], tmp_path: Path
) -> None:
    from sklearn.ensemble import RandomForestClassifier

    runlab.sklearn.autolog(log_input_examples=True)
    X, y = wine
    model = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0)
    assert model.fit(X, y) is model

    run = only_run()
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    assert run.data.tags["estimator_name"] == "RandomForestClassifier"
    assert run.data.tags["estimator_class"] == "sklearn.ensemble._forest.RandomForestClassifier"
    params = run.data.params
    assert params["n_estimators"] == "20"
    assert params["max_depth"] == "4"
    assert params["criterion"] == "gini"
    assert set(model.get_params(deep=True)) <= set(params)
    metrics = run.data.metrics
    for key in (
        "training_score",
        "training_accuracy_score",
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
        "training_log_loss",
        "training_roc_auc",
    ):
        assert key in metrics, key
    assert metrics["training_accuracy_score"] == pytest.approx(model.score(X, y))
    assert metrics["training_score"] == metrics["training_accuracy_score"]

    files = artifacts(run.info.run_id)
    assert {
        "model",
        "feature_importances.json",
        "training_confusion_matrix.png",
        "training_classification_report.json",
    } <= files
    assert "model/input_example.json" in artifacts(run.info.run_id, "model")
    local = Path(runlab.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path)))
    assert (local / "training_confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    importances = json.loads((local / "feature_importances.json").read_text())
    assert list(importances) == list(X.columns)
    assert sum(importances.values()) == pytest.approx(1.0)
    report = json.loads((local / "training_classification_report.json").read_text())
    assert {"0", "1", "2", "accuracy", "weighted avg"} <= set(report)

    loaded = runlab.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert pyfunc.metadata.signature is not None
    np.testing.assert_array_equal(pyfunc.predict(X), model.predict(X))

    (dataset_input,) = run.inputs.dataset_inputs
    assert dataset_input.dataset.name == "dataset"
    assert {t.key: t.value for t in dataset_input.tags} == {"mlflow.data.context": "train"}
    schema = json.loads(dataset_input.dataset.schema)
    assert [c["name"] for c in schema] == [*X.columns, "target"]
    assert json.loads(dataset_input.dataset.profile)["num_rows"] == len(X)
    assert (
        dataset_input.dataset.digest
        == runlab.data.from_pandas(X.assign(target=y.to_numpy()), targets="target").digest
    )


def test_regressor_metrics_and_coefficients(tmp_path: Path) -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error, r2_score

    runlab.autolog()
    X, y = load_diabetes(return_X_y=True)
    with runlab.start_run() as run:  # an active run: the fit logs into it
        model = Ridge(alpha=0.5).fit(X, y)
    assert only_run().info.run_id == run.info.run_id
    metrics = runlab.get_run(run.info.run_id).data.metrics
    pred = model.predict(X)
    assert metrics["training_mean_squared_error"] == pytest.approx(mean_squared_error(y, pred))
    assert metrics["training_root_mean_squared_error"] == pytest.approx(
        mean_squared_error(y, pred) ** 0.5
    )
    assert metrics["training_r2_score"] == pytest.approx(r2_score(y, pred))
    assert metrics["training_score"] == pytest.approx(r2_score(y, pred))
    assert "training_mean_absolute_error" in metrics
    local = runlab.download_artifacts("coefficients.json", run.info.run_id, str(tmp_path))
    coefficients = json.loads(Path(local).read_text())
    assert list(coefficients.values()) == pytest.approx(list(model.coef_))
    # A numpy training set is recorded with its shapes.
    (dataset_input,) = runlab.get_run(run.info.run_id).inputs.dataset_inputs
    assert json.loads(dataset_input.dataset.schema)["features"]["shape"] == list(X.shape)


def test_pipeline_logs_once_with_nested_params(wine: tuple[Any, Any]) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    runlab.autolog()
    X, y = wine
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=500)).fit(X, y)
    run = only_run()  # the steps' own fits did not start runs
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["logisticregression__C"] == "0.5"
    assert run.data.params["standardscaler__with_mean"] == "True"
    assert "training_accuracy_score" in run.data.metrics
    loaded = runlab.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert "coefficients.json" in artifacts(run.info.run_id)


def test_grid_search_child_runs_and_best_candidate(wine: tuple[Any, Any]) -> None:
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    runlab.sklearn.autolog(max_tuning_runs=3)
    X, y = wine
    grid = {"max_depth": [1, 2, 3, 4], "min_samples_leaf": [1, 5]}
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), grid, cv=3).fit(X, y)

    runs = runlab.search_runs(output_format="list")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    (parent,) = parents
    assert len(children) == 3  # capped at max_tuning_runs, of 8 candidates
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert parent.data.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert parent.data.params["cv"] == "3"
    assert "estimator__max_depth" not in parent.data.params  # the seed's params: not tuned
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    ranks = sorted(c.data.metrics["rank_test_score"] for c in children)
    assert ranks[0] == 1
    (best_child,) = [
        c
        for c in children
        if all(c.data.params[k] == str(v) for k, v in search.best_params_.items())
    ]
    assert best_child.data.metrics["rank_test_score"] == 1
    assert best_child.data.metrics["mean_test_score"] == pytest.approx(search.best_score_)
    assert best_child.data.params["criterion"] == "gini"  # the base estimator's too
    assert {"model", "best_estimator", "cv_results.csv"} <= artifacts(parent.info.run_id)
    best = runlab.sklearn.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    np.testing.assert_array_equal(best.predict(X), search.best_estimator_.predict(X))
    assert all(c.info.status == "FINISHED" for c in runs)


def test_post_training_metrics_go_to_the_models_run(wine: tuple[Any, Any]) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    runlab.autolog()
    # Metric functions imported after autolog() are the patched ones (as with MLflow).
    from sklearn.metrics import accuracy_score, f1_score

    X, y = wine
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
    run_id = only_run().info.run_id

    accuracy = accuracy_score(y_test, model.predict(X_test))
    again = accuracy_score(y_test, model.predict(X_test))
    f1 = f1_score(y_test, model.predict(X_test), average="macro")
    score = model.score(X_test, y_test)
    accuracy_score(y_test, y_test)  # not a prediction of the model: not logged
    runlab.flush()

    metrics = runlab.get_run(run_id).data.metrics
    assert metrics["accuracy_score_X_test"] == pytest.approx(accuracy)
    assert metrics["accuracy_score-2_X_test"] == pytest.approx(again)
    assert metrics["f1_score_X_test"] == pytest.approx(f1)
    assert metrics["RandomForestClassifier_score_X_test"] == pytest.approx(score)
    post = {k for k in metrics if not k.startswith("training_")}
    assert post == {
        "accuracy_score_X_test",
        "accuracy_score-2_X_test",
        "f1_score_X_test",
        "RandomForestClassifier_score_X_test",
    }


def test_a_fit_that_raises_ends_its_run_failed() -> None:
    from sklearn.linear_model import LogisticRegression

    runlab.autolog()
    with pytest.raises(ValueError, match="NaN|nan"):
        LogisticRegression().fit([[0.0], [float("nan")]], [0, 1])
    assert only_run().info.status == "FAILED"
    assert runlab.active_run() is None


def test_a_store_failure_is_a_warning_and_fit_returns(
    wine: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.ensemble import RandomForestClassifier

    from runlab.errors import StorageError
    from runlab.tracking import fluent

    def broken(*args: Any, **kwargs: Any) -> None:
        raise StorageError("the store is down")

    monkeypatch.setattr(fluent, "log_params", broken)
    monkeypatch.setattr(fluent, "log_metrics", broken)
    runlab.autolog()
    X, y = wine
    model = RandomForestClassifier(n_estimators=5, random_state=0)
    with pytest.warns(AutologgingWarning, match="the store is down"):
        fitted = model.fit(X, y)
    assert fitted is model
    assert model.predict(X).shape == (len(X),)
    assert only_run().info.status == "FINISHED"  # the model and the rest were still logged
    assert "model" in artifacts(only_run().info.run_id)


def test_disable_undoes_the_patches(wine: tuple[Any, Any]) -> None:
    import sklearn.metrics
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score

    before = (RandomForestClassifier.fit, sklearn.metrics.accuracy_score)
    from sklearn.ensemble._forest import BaseForest

    original = BaseForest.__dict__["fit"]
    runlab.autolog()
    assert BaseForest.__dict__["fit"] is not original
    runlab.autolog(disable=True)
    assert BaseForest.__dict__["fit"] is original
    assert (RandomForestClassifier.fit, sklearn.metrics.accuracy_score) == before
    X, y = wine
    RandomForestClassifier(n_estimators=3).fit(X, y)
    accuracy_score(y, y)
    assert runlab.search_runs(output_format="list") == []


def test_exclusive_leaves_the_users_run_alone(wine: tuple[Any, Any]) -> None:
    from sklearn.tree import DecisionTreeClassifier

    runlab.autolog(exclusive=True)
    X, y = wine
    with runlab.start_run() as run:
        DecisionTreeClassifier().fit(X, y)
    assert runlab.get_run(run.info.run_id).data.params == {}
    DecisionTreeClassifier().fit(X, y)  # outside a run, it logs to its own
    assert len(runlab.search_runs(output_format="list")) == 2


def test_bad_keywords_are_named() -> None:
    from runlab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="max_tuning_runs"):
        runlab.sklearn.autolog(max_tuning_runs=-1)
    with pytest.raises(InvalidInputError, match="log_models"):
        runlab.autolog(log_models="yes")  # type: ignore[arg-type]
