"""Post-training metrics for XGBoost's and LightGBM's scikit-learn API: a metric of a
fitted model's predictions goes to that model's run, as for scikit-learn's estimators."""

from __future__ import annotations

from typing import Any

import pytest
from tests.autolog._helpers import only_run

import runlab


@pytest.mark.parametrize("framework", ["xgboost", "lightgbm"])
def test_a_metric_of_the_models_predictions_goes_to_its_run(framework: str) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    runlab.autolog(log_models=False, log_datasets=False)
    from sklearn.metrics import accuracy_score, f1_score

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model: Any
    if framework == "xgboost":
        from xgboost import XGBClassifier

        model = XGBClassifier(n_estimators=20, max_depth=2)
    else:
        from lightgbm import LGBMClassifier

        model = LGBMClassifier(n_estimators=20, num_leaves=4, verbose=-1)
    model.fit(X_train, y_train)
    run_id = only_run().info.run_id

    accuracy = accuracy_score(y_test, model.predict(X_test))
    f1 = f1_score(y_test, model.predict(X_test))
    accuracy_score(y_test, y_test)  # not a prediction of the model: not logged
    runlab.flush()

    metrics = runlab.get_run(run_id).data.metrics
    assert metrics["accuracy_score_X_test"] == pytest.approx(accuracy)
    assert metrics["f1_score_X_test"] == pytest.approx(f1)
    post = {k for k in metrics if k.endswith("_X_test")}
    assert post == {"accuracy_score_X_test", "f1_score_X_test"}
