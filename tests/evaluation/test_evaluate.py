"""runlab.evaluate on scikit-learn's bundled datasets, checked against scikit-learn's
own metric functions; what it logs; baselines and thresholds."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import runlab
from runlab.errors import InvalidInputError, ModelValidationFailedError
from runlab.models import MetricThreshold, make_metric


def _split(loader: Any) -> tuple[Any, Any, Any, Any]:
    from sklearn.model_selection import train_test_split

    X, y = loader(return_X_y=True, as_frame=True)
    return train_test_split(X, y, random_state=0)


def test_binary_classifier_metrics_match_sklearn_and_are_logged(tracking: str) -> None:
    from sklearn import metrics as skm
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, y_test = _split(load_breast_cancer)
    model = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    data = X_test.assign(label=y_test.values)
    with runlab.start_run() as run:
        result = runlab.evaluate(model, data, targets="label", model_type="classifier")
    pred, proba = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    expected = {
        "accuracy_score": skm.accuracy_score(y_test, pred),
        "precision_score": skm.precision_score(y_test, pred),
        "recall_score": skm.recall_score(y_test, pred),
        "f1_score": skm.f1_score(y_test, pred),
        "log_loss": skm.log_loss(y_test, model.predict_proba(X_test)),
        "roc_auc": skm.roc_auc_score(y_test, proba),
        "example_count": len(y_test),
    }
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value), name
    logged = runlab.get_run(run.info.run_id).data.metrics
    assert logged["roc_auc"] == pytest.approx(expected["roc_auc"])
    files = {f.path for f in runlab.RunlabClient().list_artifacts(run.info.run_id, "evaluation")}
    wanted = {"confusion_matrix.png", "roc_curve_plot.png", "evaluation.json",
              "eval_results_table.json"}  # fmt: skip
    assert {f"evaluation/{name}" for name in wanted} <= files
    tag = runlab.get_run(run.info.run_id).data.tags["runlab.evaluations"]
    assert json.loads(tag) == ["evaluation/evaluation.json"]
    table = runlab.load_table("evaluation/eval_results_table.json", run_ids=[run.info.run_id])
    assert len(table) == len(y_test)


def test_multiclass_averages_and_per_class_scores_match_sklearn(tracking: str) -> None:
    from sklearn import metrics as skm
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X_train, X_test, y_train, y_test = _split(load_iris)
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X_train, y_train)
    with runlab.start_run():
        result = runlab.evaluate(
            model, X_test, targets=y_test.values, model_type="classifier",
            evaluator_config={"permutation_importance": False},
        )  # fmt: skip
    pred = model.predict(X_test)
    for average in ("macro", "weighted"):
        assert result.metrics[f"f1_score_{average}"] == pytest.approx(
            skm.f1_score(y_test, pred, average=average)
        )
    per_class = skm.recall_score(y_test, pred, average=None)
    for label, value in enumerate(per_class):
        assert result.metrics[f"recall_score_class_{label}"] == pytest.approx(value)
    assert result.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(
            y_test, model.predict_proba(X_test), multi_class="ovr", average="weighted"
        )
    )


def test_regressor_metrics_match_sklearn(tracking: str) -> None:
    from sklearn import metrics as skm
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X_train, X_test, y_train, y_test = _split(load_diabetes)
    model = Ridge().fit(X_train, y_train)
    with runlab.start_run() as run:
        result = runlab.models.evaluate(model, X_test.assign(y=y_test.values), targets="y",
                                        model_type="regressor")  # fmt: skip
    pred = model.predict(X_test)
    assert result.metrics["mean_absolute_error"] == pytest.approx(
        skm.mean_absolute_error(y_test, pred)
    )
    assert result.metrics["root_mean_squared_error"] == pytest.approx(
        np.sqrt(skm.mean_squared_error(y_test, pred))
    )
    assert result.metrics["r2_score"] == pytest.approx(skm.r2_score(y_test, pred))
    assert result.metrics["max_error"] == pytest.approx(skm.max_error(y_test, pred))
    assert result.metrics["mean_absolute_percentage_error"] == pytest.approx(
        skm.mean_absolute_percentage_error(y_test, pred)
    )
    files = {f.path for f in runlab.RunlabClient().list_artifacts(run.info.run_id, "evaluation")}
    assert "evaluation/residuals_plot.png" in files


def test_a_model_uri_predictions_column_and_extra_metric(tracking: str) -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X_train, X_test, y_train, y_test = _split(load_diabetes)
    model = Ridge().fit(X_train, y_train)
    with runlab.start_run() as run:
        runlab.sklearn.log_model(model, name="model")
    mean_pred = make_metric(
        eval_fn=lambda predictions: float(np.mean(predictions)), greater_is_better=True,
        name="mean_prediction",
    )  # fmt: skip
    with runlab.start_run():
        by_uri = runlab.evaluate(
            f"runs:/{run.info.run_id}/model", X_test.assign(y=y_test.values), targets="y",
            model_type="regressor", extra_metrics=[mean_pred],
        )  # fmt: skip
    assert by_uri.metrics["mean_prediction"] == pytest.approx(np.mean(model.predict(X_test)))
    frame = X_test.assign(y=y_test.values, p=model.predict(X_test))
    with runlab.start_run():
        by_column = runlab.evaluate(None, frame, targets="y", predictions="p",
                                    model_type="regressor")  # fmt: skip
    assert by_column.metrics["r2_score"] == pytest.approx(by_uri.metrics["r2_score"])


def test_thresholds_against_a_baseline_pass_and_fail(tracking: str) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, y_test = _split(load_breast_cancer)
    good = LogisticRegression(max_iter=5000).fit(X_train, y_train)
    dummy = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
    data = X_test.assign(label=y_test.values)
    config = {"permutation_importance": False}
    passing = {"accuracy_score": MetricThreshold(threshold=0.8, min_absolute_change=0.05,
                                                 greater_is_better=True)}  # fmt: skip
    with runlab.start_run():
        result = runlab.evaluate(
            good, data, targets="label", model_type="classifier", baseline_model=dummy,
            validation_thresholds=passing, evaluator_config=config,
        )  # fmt: skip
    assert result.baseline_model_metrics is not None
    assert result.metrics["accuracy_score"] > result.baseline_model_metrics["accuracy_score"]
    failing = {
        "accuracy_score": MetricThreshold(threshold=0.99, greater_is_better=True),
        "log_loss": MetricThreshold(min_relative_change=0.5, greater_is_better=False),
    }
    with runlab.start_run(), pytest.raises(ModelValidationFailedError) as raised:
        runlab.evaluate(
            dummy, data, targets="label", model_type="classifier", baseline_model=good,
            validation_thresholds=failing, evaluator_config=config,
        )  # fmt: skip
    message = str(raised.value)
    assert "accuracy_score" in message
    assert "0.99" in message
    assert "log_loss" in message


def test_bad_arguments_are_named(tracking: str) -> None:
    with pytest.raises(InvalidInputError, match="model_type"):
        runlab.evaluate(lambda x: x, [[1.0]], targets=[1], model_type="ranker")
