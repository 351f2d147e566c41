"""The public surface is a decision: changing it must change this list."""

from __future__ import annotations

import runlab

EXPECTED = {
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
}


def test_public_api_is_pinned() -> None:
    assert set(runlab.__all__) == EXPECTED
    for name in runlab.__all__:
        assert hasattr(runlab, name), name


def test_errors_form_one_tree() -> None:
    from runlab import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.RunlabError)
        assert cls.error_code
        assert 400 <= cls.http_status < 600


def _exception_classes_outside_errors_module() -> list[str]:
    """Classes under src/runlab, other than in errors.py, that derive from an exception."""
    import ast
    from pathlib import Path

    import runlab

    root = Path(runlab.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases]
            if any(base.endswith(("Error", "Exception")) for base in bases):
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    return found


def test_every_exception_class_is_in_the_error_tree() -> None:
    """A user or client sees only errors from runlab.errors, drawn in its docstring."""
    from runlab import errors

    assert _exception_classes_outside_errors_module() == []
    for name in errors.__all__:
        if name != "RunlabError":
            assert f" {name} " in errors.__doc__, f"{name} is missing from the tree drawing"
