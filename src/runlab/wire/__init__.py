"""MLflow's JSON wire format (protobuf's JSON mapping), both ways, in one place.

The server writes answers with the ``*_json`` functions and the REST store reads them
back with the ``*_from_json`` ones, so the two cannot drift apart; the CLI's ``--json``
output writes numbers the same way.

Protobuf JSON writes int64 fields as numbers or as strings and non-finite doubles as
``"NaN"``, ``"Infinity"`` and ``"-Infinity"``; the readers accept every form, the
writers send numbers and those strings. Fields at their default value may be missing.
"""

from __future__ import annotations

from runlab.wire._scalars import double, key_values, number, optional_int, page, pairs, strings
from runlab.wire.logged_models import logged_model_from_json, logged_model_json
from runlab.wire.registry import (
    model_version_from_json,
    model_version_json,
    registered_model_from_json,
    registered_model_json,
)
from runlab.wire.tracking import (
    dataset_input_from_json,
    dataset_input_json,
    experiment_from_json,
    experiment_json,
    metric_from_json,
    metric_json,
    param_json,
    run_from_json,
    run_info_from_json,
    run_info_json,
    run_json,
    tag_json,
)

__all__ = [
    "dataset_input_from_json",
    "dataset_input_json",
    "double",
    "experiment_from_json",
    "experiment_json",
    "key_values",
    "logged_model_from_json",
    "logged_model_json",
    "metric_from_json",
    "metric_json",
    "model_version_from_json",
    "model_version_json",
    "number",
    "optional_int",
    "page",
    "pairs",
    "param_json",
    "registered_model_from_json",
    "registered_model_json",
    "run_from_json",
    "run_info_from_json",
    "run_info_json",
    "run_json",
    "strings",
    "tag_json",
]
