"""The one JSON codec: every entity written by the server reads back the same in the
REST store, through strict JSON (no bare NaN), whatever its values."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from runlab import wire
from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunInputs,
)
from runlab.entities_logged_models import LoggedModel

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
ids = st.text("0123456789abcdef", min_size=1, max_size=32)
millis = st.integers(0, 2**53)
optional_millis = st.none() | millis
kv = st.dictionaries(text.filter(bool), text, max_size=4)
values = st.floats(allow_nan=True, allow_infinity=True)


def _through_json(obj: dict[str, Any]) -> Any:
    return json.loads(json.dumps(obj, allow_nan=False))


def _same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@given(
    st.builds(
        Experiment,
        experiment_id=ids,
        name=text,
        artifact_location=text,
        lifecycle_stage=st.sampled_from(["active", "deleted"]),
        tags=kv,
        creation_time=optional_millis,
        last_update_time=optional_millis,
    )
)
def test_experiment(e: Experiment) -> None:
    assert wire.experiment_from_json(_through_json(wire.experiment_json(e))) == e


metrics = st.builds(Metric, key=text.filter(bool), value=values, timestamp=millis, step=millis)
datasets = st.builds(
    DatasetInput,
    dataset=st.builds(
        Dataset,
        name=text,
        digest=text,
        source_type=text,
        source=text,
        schema=st.none() | text,
        profile=st.none() | text,
    ),
    tags=st.lists(st.builds(InputTag, key=text.filter(bool), value=text), max_size=2).map(tuple),
)


@given(
    info=st.builds(
        RunInfo,
        run_id=ids,
        experiment_id=ids,
        run_name=text,
        user_id=text,
        status=st.sampled_from(["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"]),
        start_time=optional_millis,
        end_time=optional_millis,
        artifact_uri=text,
        lifecycle_stage=st.sampled_from(["active", "deleted"]),
    ),
    points=st.lists(metrics, max_size=5),
    params=kv,
    tags=kv,
    inputs=st.lists(datasets, max_size=2),
)
def test_run(
    info: RunInfo,
    points: list[Metric],
    params: dict[str, str],
    tags: dict[str, str],
    inputs: list[DatasetInput],
) -> None:
    tags = {**tags, "mlflow.runName": info.run_name}  # as every store keeps it
    latest = {m.key: m.value for m in points}
    run = Run(info, RunData(latest, params, tags, tuple(points)), RunInputs(tuple(inputs)))
    back = wire.run_from_json(_through_json(wire.run_json(run)))
    assert back.info == run.info
    assert (back.data.params, back.data.tags) == (params, tags)
    assert back.inputs == run.inputs
    assert len(back.data.metric_objs) == len(points)
    for got, sent in zip(back.data.metric_objs, points, strict=True):
        assert (got.key, got.timestamp, got.step) == (sent.key, sent.timestamp, sent.step)
        assert _same_number(got.value, sent.value)


@given(metrics, ids)
def test_metric_with_its_run(m: Metric, run_id: str) -> None:
    obj = _through_json(wire.metric_json(m, run_id))
    assert obj["run_id"] == run_id
    back = wire.metric_from_json(obj, run_id)
    assert back.run_id == run_id
    assert _same_number(back.value, m.value)


def test_non_finite_values_travel_as_protobuf_strings() -> None:
    written = [wire.double(v) for v in (math.nan, math.inf, -math.inf, 1.5)]
    assert written == ["NaN", "Infinity", "-Infinity", 1.5]
    assert [wire.number(v) for v in ("1.5", 2, "-Infinity")] == [1.5, 2.0, -math.inf]


versions = st.builds(
    ModelVersion,
    name=text.filter(bool),
    version=st.integers(1, 10_000),
    creation_timestamp=millis,
    last_updated_timestamp=optional_millis,
    description=st.none() | text.filter(bool),
    user_id=st.none() | text.filter(bool),
    current_stage=st.sampled_from(["None", "Staging", "Production", "Archived"]),
    source=st.none() | text.filter(bool),
    run_id=st.none() | ids,
    run_link=st.none() | text.filter(bool),
    status=st.sampled_from(["READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION"]),
    status_message=st.none() | text.filter(bool),
    tags=kv,
    aliases=st.lists(text.filter(bool), max_size=3),
)


@given(versions)
def test_model_version(mv: ModelVersion) -> None:
    assert wire.model_version_from_json(_through_json(wire.model_version_json(mv))) == mv


@given(
    st.builds(
        RegisteredModel,
        name=text.filter(bool),
        creation_timestamp=millis,
        last_updated_timestamp=optional_millis,
        description=st.none() | text.filter(bool),  # "" and None are one on the wire
        latest_versions=st.lists(versions, max_size=2),
        tags=kv,
        aliases=st.dictionaries(text.filter(bool), st.integers(1, 99), max_size=3),
    )
)
def test_registered_model(model: RegisteredModel) -> None:
    back = wire.registered_model_from_json(_through_json(wire.registered_model_json(model)))
    assert back == model


@given(
    st.builds(
        LoggedModel,
        model_id=ids.map(lambda s: f"m-{s}"),
        experiment_id=ids,
        name=text,
        artifact_location=text,
        creation_timestamp=millis,
        last_updated_timestamp=millis,
        status=st.sampled_from(["PENDING", "READY", "FAILED"]),
        status_message=st.none() | text.filter(bool),
        model_type=st.none() | text.filter(bool),
        source_run_id=st.none() | ids,
        tags=kv,
        params=kv,
    )
)
def test_logged_model(model: LoggedModel) -> None:
    assert wire.logged_model_from_json(_through_json(wire.logged_model_json(model))) == model
