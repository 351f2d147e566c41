"""Model evaluation (``runlab.evaluate``, as ``mlflow.evaluate``): metrics, plots and a
per-row table for classifiers and regressors, logged to a run.

Importing this package is light: scikit-learn, pandas and matplotlib load when
``evaluate`` runs.
"""

from __future__ import annotations

from runlab.errors import ModelValidationFailedError
from runlab.evaluation._api import evaluate
from runlab.evaluation.metrics import EvaluationMetric, MetricThreshold, make_metric
from runlab.evaluation.results import EvaluationArtifact, EvaluationResult

# MLflow's name for the same error.
ModelValidationFailedException = ModelValidationFailedError

__all__ = [
    "EvaluationArtifact",
    "EvaluationMetric",
    "EvaluationResult",
    "MetricThreshold",
    "ModelValidationFailedError",
    "ModelValidationFailedException",
    "evaluate",
    "make_metric",
]
