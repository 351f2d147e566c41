"""runlab: a fast, reliable ML experiment tracker that speaks MLflow's language.

``import runlab`` stays light: databases, pandas and plotting libraries load on
first use, never at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab import entities, errors, exceptions
from runlab._fluent_more import create_external_model, import_checkpoints, run
from runlab._version import __version__
from runlab.autolog import autolog
from runlab.client import MlflowClient
from runlab.entities import RunStatus, ViewType
from runlab.evaluation import evaluate
from runlab.exceptions import MlflowException
from runlab.registry._fluent import register_model
from runlab.tracking.client import RunlabClient
from runlab.tracking.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_run,
    delete_tag,
    download_artifacts,
    end_run,
    flush,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_run,
    get_tracking_uri,
    last_active_run,
    list_artifacts,
    log_artifact,
    log_artifacts,
    log_batch,
    log_dict,
    log_figure,
    log_image,
    log_input,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    search_experiments,
    search_runs,
    set_experiment,
    set_experiment_tag,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from runlab.tracking.fluent_models import (
    ActiveModel,
    clear_active_model,
    delete_experiment_tag,
    delete_logged_model_tag,
    finalize_logged_model,
    flush_artifact_async_logging,
    flush_async_logging,
    get_active_model_id,
    get_logged_model,
    get_parent_run,
    get_registry_uri,
    initialize_logged_model,
    is_tracking_uri_set,
    last_logged_model,
    log_inputs,
    log_model_params,
    log_outputs,
    restore_experiment,
    restore_run,
    search_logged_models,
    search_model_versions,
    search_registered_models,
    set_active_model,
    set_experiment_tags,
    set_logged_model_tags,
    set_model_version_tag,
    set_registry_uri,
)
from runlab.tracking.fluent_tables import load_table, log_table
from runlab.tracking.system_metrics import (
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
)

if TYPE_CHECKING:
    from runlab import artifacts as artifacts
    from runlab import data as data
    from runlab import keras as keras
    from runlab import lightgbm as lightgbm
    from runlab import models as models
    from runlab import projects as projects
    from runlab import pyfunc as pyfunc
    from runlab import pytorch as pytorch
    from runlab import registry as registry
    from runlab import sklearn as sklearn
    from runlab import tensorflow as tensorflow
    from runlab import transformers as transformers
    from runlab import xgboost as xgboost

__all__ = [
    "ActiveModel",
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "RunStatus",
    "RunlabClient",
    "ViewType",
    "__version__",
    "active_run",
    "autolog",
    "clear_active_model",
    "client",
    "create_experiment",
    "create_external_model",
    "data",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_logged_model_tag",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "download_artifacts",
    "enable_system_metrics_logging",
    "end_run",
    "entities",
    "errors",
    "evaluate",
    "exceptions",
    "finalize_logged_model",
    "flush",
    "flush_artifact_async_logging",
    "flush_async_logging",
    "get_active_model_id",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "import_checkpoints",
    "initialize_logged_model",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "list_artifacts",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_model_params",
    "log_outputs",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "restore_experiment",
    "restore_run",
    "run",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_active_model",
    "set_experiment",
    "set_experiment_tag",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_model_version_tag",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "tracking",
]

# Loaded on first attribute access: the flavours (runlab.sklearn...) import their
# frameworks' helpers, and none of these is needed to log a metric.
_LAZY_SUBMODULES = (
    "artifacts",
    "data",
    "keras",
    "lightgbm",
    "models",
    "projects",
    "pyfunc",
    "pytorch",
    "registry",
    "sklearn",
    "tensorflow",
    "transformers",
    "xgboost",
)


def __getattr__(name: str) -> Any:
    """``runlab.artifacts.download_artifacts(...)`` or ``runlab.sklearn.log_model(...)``
    work after a bare ``import runlab``; the submodule loads on first use."""
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"runlab.{name}")
    raise AttributeError(f"module 'runlab' has no attribute {name!r}")
