"""Response shapes, for the OpenAPI document only (handlers return dicts from ``_wire``).

Fields that MLflow omits when unset are optional here too.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Empty(BaseModel):
    pass


class KeyValueOut(BaseModel):
    key: str
    value: str


class ExperimentOut(BaseModel):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: list[KeyValueOut]
    creation_time: int | None = None
    last_update_time: int | None = None


class CreateExperimentOut(BaseModel):
    experiment_id: str


class GetExperimentOut(BaseModel):
    experiment: ExperimentOut


class SearchExperimentsOut(BaseModel):
    experiments: list[ExperimentOut]
    next_page_token: str | None = None


class RunInfoOut(BaseModel):
    run_id: str
    run_uuid: str
    run_name: str
    experiment_id: str
    user_id: str
    status: str
    start_time: int | None = None
    end_time: int | None = None
    artifact_uri: str
    lifecycle_stage: str


class MetricOut(BaseModel):
    key: str
    value: float | str  # "NaN", "Infinity", "-Infinity" for non-finite values
    timestamp: int
    step: int


class RunMetricOut(MetricOut):
    run_id: str


class RunDataOut(BaseModel):
    metrics: list[MetricOut]
    params: list[KeyValueOut]
    tags: list[KeyValueOut]


class DatasetOut(BaseModel):
    name: str
    digest: str
    source_type: str
    source: str
    schema_: str | None = Field(None, alias="schema")  # "schema" would shadow BaseModel's
    profile: str | None = None


class DatasetInputOut(BaseModel):
    tags: list[KeyValueOut]
    dataset: DatasetOut


class ModelInputOut(BaseModel):
    model_id: str


class ModelOutputOut(BaseModel):
    model_id: str
    step: int


class RunInputsOut(BaseModel):
    dataset_inputs: list[DatasetInputOut]
    model_inputs: list[ModelInputOut] | None = None


class RunOutputsOut(BaseModel):
    model_outputs: list[ModelOutputOut]


class RunOut(BaseModel):
    info: RunInfoOut
    data: RunDataOut
    inputs: RunInputsOut
    outputs: RunOutputsOut | None = None


class GetRunOut(BaseModel):
    run: RunOut


class UpdateRunOut(BaseModel):
    run_info: RunInfoOut


class SearchRunsOut(BaseModel):
    runs: list[RunOut]
    next_page_token: str | None = None


class MetricHistoryOut(BaseModel):
    metrics: list[MetricOut]
    next_page_token: str | None = None


class BulkMetricsOut(BaseModel):
    metrics: list[RunMetricOut]


class FileInfoOut(BaseModel):
    path: str
    is_dir: bool
    file_size: int | None = None


class ListArtifactsOut(BaseModel):
    root_uri: str
    files: list[FileInfoOut]


class ProxyListOut(BaseModel):
    files: list[FileInfoOut]


class PartCredentialOut(BaseModel):
    part_number: int
    url: str
    headers: dict[str, str]


class CreateMultipartOut(BaseModel):
    upload_id: str
    credentials: list[PartCredentialOut]


class SearchLoggedModelsOut(BaseModel):
    models: list[dict[str, object]]
