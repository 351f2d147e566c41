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
from runlab.models._dependencies import add_libraries_to_model, infer_pip_requirements
from runlab.models._predict import predict, validate_serving_input
from runlab.models._tools import (
    ModelInputExample,
    convert_input_example_to_serving_input,
    get_model_info,
    set_signature,
    update_model_requirements,
    validate_schema,
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
    "ModelInputExample",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "RequirementsMismatchWarning",
    "RunlabModelWarning",
    "Schema",
    "TensorSpec",
    "add_libraries_to_model",
    "convert_input_example_to_serving_input",
    "evaluate",
    "get_model_info",
    "infer_pip_requirements",
    "infer_signature",
    "make_metric",
    "predict",
    "set_signature",
    "update_model_requirements",
    "validate_schema",
    "validate_serving_input",
]
