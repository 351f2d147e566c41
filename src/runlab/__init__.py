"""runlab: a fast, reliable ML experiment tracker that speaks MLflow's language.

``import runlab`` stays light: databases, pandas and plotting libraries load on
first use, never at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab import entities, errors
from runlab._version import __version__
from runlab.autolog import autolog
from runlab.entities import RunStatus, ViewType
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
from runlab.tracking.system_metrics import (
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
)

if TYPE_CHECKING:
    from runlab import artifacts as artifacts
    from runlab import keras as keras
    from runlab import lightgbm as lightgbm
    from runlab import models as models
    from runlab import projects as projects
    from runlab import pyfunc as pyfunc
    from runlab import pytorch as pytorch
    from runlab import registry as registry
    from runlab import sklearn as sklearn
    from runlab import transformers as transformers
    from runlab import xgboost as xgboost

__all__ = [
    "ActiveRun",
    "RunStatus",
    "RunlabClient",
    "ViewType",
    "__version__",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "download_artifacts",
    "enable_system_metrics_logging",
    "end_run",
    "entities",
    "errors",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

# Loaded on first attribute access: the flavours (runlab.sklearn...) import their
# frameworks' helpers, and none of these is needed to log a metric.
_LAZY_SUBMODULES = (
    "artifacts",
    "keras",
    "lightgbm",
    "models",
    "projects",
    "pyfunc",
    "pytorch",
    "registry",
    "sklearn",
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
