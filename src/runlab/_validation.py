"""Boundary checks with MLflow's limits. Every message names the field and the rule.

These run on the caller's thread before anything is queued or written, so a bad
value is raised at the call that made it and never reaches the store.
"""

from __future__ import annotations

import math
import numbers
import posixpath
import re
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_RESULTS_SEARCH_RUNS = 50_000
MAX_RESULTS_SEARCH_EXPERIMENTS = 50_000
# A logged dataset (MLflow's column sizes): name, digest, source type; its input tags.
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_KEY_RE = re.compile(r"^[/\w.\- ]*$")
_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID_RE = re.compile(r"^[0-9]{1,19}$")
_valid_keys: set[str] = set()  # keys already checked; a training loop re-logs the same few


def key(kind: str, value: Any) -> str:
    """Check a metric/param/tag key: the charset, the length, a normalized path."""
    if value in _valid_keys:
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str):
        raise InvalidInputError(f"{kind} key must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidInputError(f"{kind} key must not be empty")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} key {value[:40]!r}... is {len(value)} characters; the limit is "
            f"{MAX_KEY_LENGTH}"
        )
    if not _KEY_RE.match(value):
        raise InvalidInputError(
            f"{kind} key {value!r} has characters outside letters, digits, underscores, "
            "dashes, periods, spaces and slashes"
        )
    if posixpath.normpath(value) != value or value.startswith("/") or ".." in value.split("/"):
        raise InvalidInputError(
            f"{kind} key {value!r} must be a normalized relative path (no '..', no leading "
            "'/', no '//' or trailing '/')"
        )
    if len(_valid_keys) < 100_000:
        _valid_keys.add(value)
    return value


def metric_value(name: str, value: Any) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        # numpy scalars are Numbers; strings and None are not
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            return metric_value(name, value.item())
        raise InvalidInputError(
            f"metric {name!r}: value must be a number, got {type(value).__name__} {value!r}"
        )
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"metric {name!r}: value {value!r} is not a float") from None


def int64(field: str, value: Any) -> int:
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value  # the common case, without the slow ABC checks below
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif hasattr(value, "item") and not isinstance(value, (str, bytes)):
            return int64(field, value.item())
        else:
            raise InvalidInputError(f"{field} must be an integer, got {value!r}")
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise InvalidInputError(f"{field} {number} is outside the int64 range")
    return number


def param_value(name: str, value: Any) -> str:
    text = str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidInputError(
            f"param {name!r}: value is {len(text)} characters; the limit is "
            f"{MAX_PARAM_VALUE_LENGTH}"
        )
    return text


def tag_value(name: str, value: Any, limit: int = MAX_TAG_VALUE_LENGTH) -> str:
    text = "" if value is None else str(value)
    if len(text) > limit:
        raise InvalidInputError(
            f"tag {name!r}: value is {len(text)} characters; the limit is {limit}"
        )
    return text


def experiment_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError("experiment name must be a non-empty string")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidInputError(
            f"experiment name is {len(name)} characters; the limit is {MAX_EXPERIMENT_NAME_LENGTH}"
        )
    return name


def run_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidInputError(f"run_name must be a string, got {type(name).__name__}")
    if len(name) > MAX_RUN_NAME_LENGTH:
        raise InvalidInputError(
            f"run_name is {len(name)} characters; the limit is {MAX_RUN_NAME_LENGTH}"
        )
    return name


def run_id(value: Any) -> str:
    if not isinstance(value, str) or not _RUN_ID_RE.match(value):
        raise InvalidInputError(
            f"run_id {value!r} is not a valid run id (letters, digits, '_' and '-', "
            "starting with a letter or digit, at most 256 characters)"
        )
    return value


def experiment_id(value: Any) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _EXPERIMENT_ID_RE.match(text):
        raise InvalidInputError(f"experiment_id {value!r} is not a valid experiment id")
    if int(text) > INT64_MAX:  # 19 digits reach past int64, which the id column holds
        raise InvalidInputError(
            f"experiment_id {value!r} is not a valid experiment id (at most 2^63-1)"
        )
    return text


def max_results(value: Any, limit: int) -> int:
    n = int64("max_results", value)
    if n < 1 or n > limit:
        raise InvalidInputError(f"max_results must be between 1 and {limit}, got {n}")
    return n


def batch_sizes(metrics: Sequence[Any], params: Sequence[Any], tags: Sequence[Any]) -> None:
    if len(metrics) > MAX_METRICS_PER_BATCH:
        raise InvalidInputError(
            f"log_batch: {len(metrics)} metrics; the limit is {MAX_METRICS_PER_BATCH} per batch"
        )
    if len(params) > MAX_PARAMS_PER_BATCH:
        raise InvalidInputError(
            f"log_batch: {len(params)} params; the limit is {MAX_PARAMS_PER_BATCH} per batch"
        )
    if len(tags) > MAX_TAGS_PER_BATCH:
        raise InvalidInputError(
            f"log_batch: {len(tags)} tags; the limit is {MAX_TAGS_PER_BATCH} per batch"
        )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidInputError(
            f"log_batch: {total} entities; the limit is {MAX_ENTITIES_PER_BATCH} per batch"
        )


def dataset_input(index: int, item: Any) -> None:
    """A dataset input of ``log_inputs``: a name and a digest, every field within its size."""
    where = f"datasets[{index}]"
    ds = item.dataset
    for field, value, limit, required in (
        ("name", ds.name, MAX_DATASET_NAME_LENGTH, True),
        ("digest", ds.digest, MAX_DATASET_DIGEST_LENGTH, True),
        ("source_type", ds.source_type, MAX_DATASET_SOURCE_TYPE_LENGTH, False),
    ):
        if not isinstance(value, str) or (required and not value):
            raise InvalidInputError(f"{where}.dataset.{field}: must be a non-empty string")
        if len(value) > limit:
            raise InvalidInputError(
                f"{where}.dataset.{field} is {len(value)} characters; the limit is {limit}"
            )
    for tag in item.tags:
        for field, value, limit in (
            ("key", tag.key, MAX_INPUT_TAG_KEY_LENGTH),
            ("value", tag.value, MAX_INPUT_TAG_VALUE_LENGTH),
        ):
            if len(value) > limit:
                raise InvalidInputError(
                    f"{where}.tags[{tag.key[:40]!r}].{field} is {len(value)} characters; "
                    f"the limit is {limit}"
                )


def is_nan(value: float) -> bool:
    return math.isnan(value)


def metric_links(
    model_id: Any, dataset_name: Any, dataset_digest: Any
) -> tuple[str | None, str | None, str | None]:
    """A metric's MLflow 3 links: an optional model id, and a dataset named by both its
    name and its digest (or neither)."""
    for field, value, limit in (
        ("model_id", model_id, 36),
        ("dataset_name", dataset_name, 500),
        ("dataset_digest", dataset_digest, 36),
    ):
        if value is not None and (not isinstance(value, str) or not value or len(value) > limit):
            raise InvalidInputError(
                f"{field}: must be a non-empty string of at most {limit} characters, got {value!r}"
            )
    if (dataset_name is None) != (dataset_digest is None):
        raise InvalidInputError(
            "dataset_name and dataset_digest: give both (the dataset a metric was computed "
            "on) or neither"
        )
    return model_id, dataset_name, dataset_digest
