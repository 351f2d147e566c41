"""``import runlab as mlflow``: every public name of MLflow's tracking, registry and
model modules exists in the matching runlab module, and every parameter an MLflow
function takes by name is accepted by runlab's.

A name missing from runlab fails here unless it is in ``EXCLUDED`` (out of scope, with
the reason; the same groups are listed in docs/mlflow-compat.md) or in ``NOT_YET``
(known gaps to close). A new MLflow release that adds a name therefore fails the test.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from pathlib import Path
from typing import Any

import pytest

MODULES = [
    "mlflow",
    "mlflow.tracking",
    "mlflow.client",
    "mlflow.entities",
    "mlflow.exceptions",
    "mlflow.models",
    "mlflow.pyfunc",
    "mlflow.sklearn",
    "mlflow.pytorch",
    "mlflow.data",
]

# Out of scope, one group per reason. Entries are "module.Name" or, for a parameter
# runlab does not take, "module.function:parameter".
EXCLUDED: dict[str, tuple[str, set[str]]] = {
    "Tracing": (
        "runlab tracks runs and models; LLM traces and spans are not stored",
        {
            *(
                f"mlflow.{n}"
                for n in (
                    "add_trace context delete_trace_tag flush_trace_async_logging "
                    "get_active_trace_id get_current_active_span get_last_active_trace_id "
                    "get_trace log_trace search_sessions search_traces set_trace_tag "
                    "start_span start_span_no_context trace update_current_trace"
                ).split()
            ),
            *(
                f"mlflow.entities.{n}"
                for n in (
                    "Span LiveSpan NoOpSpan SpanEvent SpanLogLevel SpanStatus SpanStatusCode "
                    "SpanType Trace TraceData TraceInfo TraceState Session TraceLocation "
                    "TraceLocationType MlflowExperimentLocation InferenceTableLocation "
                    "UCSchemaLocation UnityCatalog TraceArchivalConfig Link"
                ).split()
            ),
            *(
                f"mlflow.exceptions.{n}"
                for n in (
                    "MlflowTraceArchivalMalformedTrace MlflowTraceDataCorrupted "
                    "MlflowTraceDataException MlflowTraceDataNotFound MlflowTracingException"
                ).split()
            ),
            "mlflow.set_experiment:trace_location",
            "mlflow.create_experiment:trace_location",
            *(
                f"mlflow.MlflowClient.{n}"
                for n in (
                    "delete_trace_tag delete_traces end_span end_trace get_trace "
                    "link_traces_to_run search_traces set_trace_tag start_span start_trace "
                    "unlink_traces_from_run link_prompt_versions_to_trace"
                ).split()
            ),
        },
    ),
    "GenAI: prompts, assessments, agents, issues, evaluation datasets": (
        "LLM application features (prompt registry, feedback, chat agents) are not in scope",
        {
            *(
                f"mlflow.{n}"
                for n in (
                    "get_assessment delete_assessment log_assessment update_assessment "
                    "log_expectation log_feedback log_issue override_feedback search_prompts "
                    "load_prompt register_prompt set_prompt_alias delete_prompt_alias"
                ).split()
            ),
            *(
                f"mlflow.entities.{n}"
                for n in (
                    "Prompt ScorerVersion Issue IssueSeverity IssueStatus IssueReference "
                    "Document Assessment AssessmentError AssessmentSource AssessmentSourceType "
                    "Expectation Feedback DatasetRecord DatasetRecordSource "
                    "DatasetRecordSourceType EntityAssociationType"
                ).split()
            ),
            *(
                f"mlflow.pyfunc.{n}"
                for n in "ChatAgent ChatModel ResponsesAgent Context set_prediction_context".split()
            ),
            *(
                f"mlflow.models.{n}"
                for n in "set_retriever_schema ModelConfig set_model Resource ResourceType".split()
            ),
            *(f"mlflow.{where}evaluate:_called_from_genai_evaluate" for where in ("", "models.")),
            *(
                f"mlflow.pyfunc.{f}:{p}"
                for f in ("log_model", "save_model")
                for p in ("streamable", "resources", "auth_policy")
            ),
            "mlflow.pyfunc.log_model:prompts",
            *(
                f"mlflow.MlflowClient.{n}"
                for n in (
                    "create_prompt create_prompt_version delete_prompt delete_prompt_alias "
                    "delete_prompt_tag delete_prompt_version delete_prompt_version_tag "
                    "detach_prompt_from_run get_prompt get_prompt_version "
                    "get_prompt_version_by_alias link_prompt_version_to_model "
                    "link_prompt_version_to_run list_logged_prompts load_prompt "
                    "parse_prompt_uri register_prompt search_prompt_versions search_prompts "
                    "set_prompt_alias set_prompt_tag set_prompt_version_tag "
                    "add_dataset_to_experiments create_dataset delete_dataset "
                    "delete_dataset_tag get_dataset remove_dataset_from_experiments "
                    "search_datasets set_dataset_tags"
                ).split()
            ),
        },
    ),
    "AI gateway, MCP servers, webhooks": (
        "serving LLM endpoints and notifying webhooks are separate products",
        {
            "mlflow.gateway",
            *(
                f"mlflow.entities.{n}"
                for n in (
                    "BudgetAction BudgetDuration BudgetDurationUnit BudgetTargetScope BudgetUnit "
                    "FallbackConfig FallbackStrategy GatewayBudgetPolicy GatewayEndpoint "
                    "GatewayEndpointBinding GatewayEndpointModelConfig "
                    "GatewayEndpointModelMapping GatewayEndpointTag GatewayModelDefinition "
                    "GatewayResourceType GatewaySecretInfo GatewayModelLinkageType "
                    "RoutingStrategy GatewayGuardrail GatewayGuardrailConfig GuardrailAction "
                    "GuardrailStage MCPAccessEndpoint MCPRemoteTransportType MCPServer "
                    "ConnectOptionSettings MCPServerVersion MCPStatus MCPTool Webhook "
                    "WebhookEvent WebhookStatus WebhookTestResult"
                ).split()
            ),
            *(
                f"mlflow.MlflowClient.{n}"
                for n in (
                    "create_mcp_access_endpoint create_mcp_server create_mcp_server_version "
                    "delete_mcp_access_endpoint delete_mcp_server delete_mcp_server_alias "
                    "delete_mcp_server_tag delete_mcp_server_version "
                    "delete_mcp_server_version_tag get_latest_mcp_server_version "
                    "get_mcp_access_endpoint get_mcp_server get_mcp_server_version "
                    "get_mcp_server_version_by_alias refresh_mcp_server_version_tools "
                    "search_mcp_access_endpoints search_mcp_server_versions search_mcp_servers "
                    "set_mcp_server_alias set_mcp_server_tag set_mcp_server_version_tag "
                    "update_mcp_access_endpoint update_mcp_server update_mcp_server_version "
                    "create_webhook delete_webhook get_webhook list_webhooks test_webhook "
                    "update_webhook"
                ).split()
            ),
        },
    ),
    "Evaluator plug-ins": (
        "runlab.evaluate has the default evaluator only: no third-party evaluator registry, "
        "and no validation of results computed elsewhere",
        {"mlflow.validate_evaluation_results", "mlflow.models.list_evaluators"},
    ),
    "Workspaces, Databricks and Spark": (
        "hosted-platform features: runlab has one namespace and no Databricks or Spark tie-in",
        {
            *(
                f"mlflow.{n}"
                for n in (
                    "create_workspace delete_workspace get_workspace list_workspaces "
                    "set_workspace update_workspace login"
                ).split()
            ),
            "mlflow.entities.Workspace",
            "mlflow.entities.WorkspaceDeletionMode",
            *(
                f"mlflow.MlflowClient.{n}"
                for n in (
                    "create_workspace delete_workspace get_workspace get_workspace_store_uri "
                    "list_workspaces update_workspace"
                ).split()
            ),
            "mlflow.MlflowClient.create_registered_model:deployment_job_id",
            "mlflow.MlflowClient.update_registered_model:deployment_job_id",
            "mlflow.register_model:env_pack",
            "mlflow.pyfunc.spark_udf",
            "mlflow.pyfunc.DBConnectArtifactCache",
            "mlflow.data.from_spark",
            "mlflow.data.load_delta",
        },
    ),
    "Conda, Docker and deployment environments": (
        "runlab models record pip requirements and serve with runlab.models.serving; "
        "conda environments, Docker images and deployment backends are not built",
        {
            "mlflow.models.build_docker",
            "mlflow.models.FlavorBackend",
            "mlflow.pyfunc.build_model_env",
            "mlflow.pyfunc.EnvType",
            *(f"mlflow.{m}.get_default_conda_env" for m in ("pyfunc", "sklearn", "pytorch")),
            *(
                f"mlflow.{m}.{f}:conda_env"
                for m in ("pyfunc", "sklearn", "pytorch")
                for f in ("log_model", "save_model")
            ),
            *(
                f"mlflow.pyfunc.{f}:{p}"
                for f in ("log_model", "save_model")
                for p in ("uv_project_path", "uv_groups", "uv_extras")
            ),
            *(
                f"mlflow.models.infer_pip_requirements:{p}"
                for p in ("uv_project_dir", "uv_groups", "uv_extras")
            ),
        },
    ),
    "Other frameworks' datasets": (
        "Hugging Face and TensorFlow datasets: runlab.data reads pandas and NumPy",
        {"mlflow.data.from_huggingface", "mlflow.data.from_tensorflow"},
    ),
    "MLflow internals and tools": (
        "private helpers, MLflow's own diagnostics and its pytest plugin",
        {
            "mlflow.tracking._get_artifact_repo",
            "mlflow.tracking._get_store",
            "mlflow.entities._DatasetSummary",
            "mlflow.pyfunc.archive_directory",
            "mlflow.pyfunc.extract_archive_to_dir",
            "mlflow.doctor",
            "mlflow.test",
        },
    ),
}

# Known gaps, in scope and not implemented yet: each is to be closed, not excluded.
NOT_YET: set[str] = {
    # System metrics of one node of a multi-node training.
    "mlflow.set_system_metrics_node_id",
    # Streams and the Image media object as run artifacts.
    "mlflow.log_stream",
    "mlflow.Image",
    # Fluent parameters: artifacts to a named run, metrics linked to models and datasets.
    "mlflow.log_artifact:run_id",
    "mlflow.log_artifacts:run_id",
    "mlflow.log_dict:run_id",
    "mlflow.log_text:run_id",
    "mlflow.log_image:timestamp",
    "mlflow.log_image:synchronous",
    "mlflow.log_input:model",
    "mlflow.log_metric:model_id",
    "mlflow.log_metric:dataset",
    "mlflow.log_metrics:model_id",
    "mlflow.log_metrics:dataset",
    "mlflow.register_model:await_registration_for",
    # The same on the client.
    *(
        f"mlflow.MlflowClient.{n}"
        for n in (
            "log_image:synchronous log_image:timestamp "
            "log_inputs:models log_metric:dataset_digest log_metric:dataset_name "
            "log_metric:model_id log_stream"
        ).split()
    ),
    # Entities not yet shaped like MLflow's.
    *(
        f"mlflow.entities.{n}"
        for n in "FileInfo SourceType RunOutputs LoggedModelTag LoggedModelParameter".split()
    ),
    "mlflow.data.get_source",
    "mlflow.data.from_pandas:digest",
    "mlflow.data.from_pandas:predictions",
    "mlflow.data.from_numpy:digest",
}


def _public_names(module: Any) -> list[str]:
    """``__all__``, or the classes and functions the module (or its package) defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and (getattr(obj, "__module__", "") or "").startswith(module.__name__)
    ]


def _named_params(fn: Any) -> list[str] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in sig.parameters.values() if p.kind in kinds]


def _accepts(fn: Any, param: str) -> bool:
    sig = inspect.signature(fn)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return True
    return param in sig.parameters


def _gaps() -> tuple[set[str], set[str]]:
    """(every MLflow entry checked, the ones runlab lacks)."""
    checked: set[str] = set()
    missing: set[str] = set()
    for mlflow_name in MODULES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLflow's own import-time warnings
            theirs = importlib.import_module(mlflow_name)
        ours = importlib.import_module("runlab" + mlflow_name[len("mlflow") :])
        for name in _public_names(theirs):
            entry = f"{mlflow_name}.{name}"
            checked.add(entry)
            obj = getattr(theirs, name, None)
            if not hasattr(ours, name):
                missing.add(entry)
                continue
            if inspect.isclass(obj) or not callable(obj):
                continue
            for param in _named_params(obj) or ():
                checked.add(f"{entry}:{param}")
                if not _accepts(getattr(ours, name), param):
                    missing.add(f"{entry}:{param}")
    return checked, missing


def _methods_gaps() -> tuple[set[str], set[str]]:
    """MlflowClient's public methods against runlab's client."""
    import mlflow

    import runlab

    checked: set[str] = set()
    missing: set[str] = set()
    for name, fn in inspect.getmembers(mlflow.MlflowClient, inspect.isfunction):
        if name.startswith("_"):
            continue
        entry = f"mlflow.MlflowClient.{name}"
        checked.add(entry)
        ours = getattr(runlab.MlflowClient, name, None)
        if ours is None:
            missing.add(entry)
            continue
        for param in _named_params(fn) or ():
            if param == "self":
                continue
            checked.add(f"{entry}:{param}")
            if not _accepts(ours, param):
                missing.add(f"{entry}:{param}")
    return checked, missing


def _excluded() -> set[str]:
    return set().union(*(names for _reason, names in EXCLUDED.values()))


@pytest.fixture(scope="module")
def surface() -> tuple[set[str], set[str]]:
    checked, missing = _gaps()
    more_checked, more_missing = _methods_gaps()
    return checked | more_checked, missing | more_missing


def test_every_mlflow_name_exists_in_runlab_with_its_parameters(
    surface: tuple[set[str], set[str]],
) -> None:
    _checked, missing = surface
    unlisted = sorted(missing - _excluded() - NOT_YET)
    assert not unlisted, (
        "MLflow names runlab lacks: implement them, or list them in EXCLUDED (out of "
        "scope, with the docs) or NOT_YET (a known gap): " + ", ".join(unlisted)
    )


def test_lists_name_only_real_gaps(surface: tuple[set[str], set[str]]) -> None:
    """An entry MLflow no longer has, or one runlab now implements, leaves the lists."""
    checked, missing = surface
    for listed in (_excluded(), NOT_YET):
        assert not sorted(listed - checked), "not an MLflow name"
        assert not sorted(listed - missing), "implemented now: remove from the list"
    assert not _excluded() & NOT_YET


def test_exclusions_are_documented() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "mlflow-compat.md").read_text()
    for group, (reason, _names) in EXCLUDED.items():
        assert f"### {group}" in page, group
        assert reason in page, reason


@pytest.mark.parametrize(
    ("mlflow_name", "runlab_name"),
    [
        ("MlflowClient", "runlab.tracking.client.RunlabClient"),
        ("tracking.MlflowClient", "runlab.tracking.client.RunlabClient"),
        ("client.MlflowClient", "runlab.tracking.client.RunlabClient"),
        ("exceptions.MlflowException", "runlab.errors.RunlabError"),
        ("MlflowException", "runlab.errors.RunlabError"),
    ],
)
def test_mlflow_class_names_are_runlabs_own_classes(mlflow_name: str, runlab_name: str) -> None:
    import runlab

    obj: Any = runlab
    for part in mlflow_name.split("."):
        obj = getattr(obj, part)
    module, _, name = runlab_name.rpartition(".")
    assert obj is getattr(importlib.import_module(module), name)


def test_mlflow_exception_catches_runlab_errors(tmp_path: Path) -> None:
    import runlab as mlflow

    client = mlflow.tracking.MlflowClient(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(mlflow.exceptions.MlflowException) as caught:
        client.get_run("0" * 32)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert mlflow.exceptions.get_error_code(404) == 1001
