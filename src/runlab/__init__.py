"""runlab: a fast, reliable ML experiment tracker that speaks MLflow's language.

``import runlab`` stays light: databases, pandas and plotting libraries load on
first use, never at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab import entities, errors
from runlab._version import __version__
from runlab.entities import RunStatus, ViewType
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

if TYPE_CHECKING:
    from runlab import models as models
    from runlab import pyfunc as pyfunc
    from runlab import pytorch as pytorch
    from runlab import sklearn as sklearn

# Flavour modules import their frameworks' helpers; they load on first attribute access.
_LAZY_SUBMODULES = frozenset({"models", "pyfunc", "pytorch", "sklearn"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"runlab.{name}")
    raise AttributeError(f"module 'runlab' has no attribute {name!r}")


__all__ = [
    "ActiveRun",
    "RunStatus",
    "RunlabClient",
    "ViewType",
    "__version__",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "download_artifacts",
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
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
