"""The runlab model format: saved-model folders, signatures, input examples, requirements.

Framework flavours live in ``runlab.sklearn``, ``runlab.pytorch`` and ``runlab.pyfunc``;
``runlab.models.serving`` serves any saved model over HTTP.
"""

from __future__ import annotations

from runlab.evaluation import (
    EvaluationArtifact,
    EvaluationMetric,
    EvaluationResult,
    MetricThreshold,
    evaluate,
    make_metric,
)
from runlab.models._warnings import RequirementsMismatchWarning, RunlabModelWarning
from runlab.models.model import Model, ModelInfo
from runlab.models.signature import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)

__all__ = [
    "ColSpec",
    "DataType",
    "EvaluationArtifact",
    "EvaluationMetric",
    "EvaluationResult",
    "MetricThreshold",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "RequirementsMismatchWarning",
    "RunlabModelWarning",
    "Schema",
    "TensorSpec",
    "evaluate",
    "infer_signature",
    "make_metric",
]
