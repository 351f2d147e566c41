"""Every method of the store contracts has a contract test that calls it.

:data:`COVERAGE` maps each public method of TrackingStore, RegistryStore and
LoggedModelStore to the tests of this folder that state its contract. A method added
to a contract without a test here fails :func:`test_every_store_method_has_a_contract_test`;
a test named here must exist and call the method (itself, or through a helper
function of its module).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from runlab.store.base import TrackingStore
from runlab.store.logged_models_base import LoggedModelStore
from runlab.store.registry_base import RegistryStore

HERE = Path(__file__).parent

COVERAGE: dict[type, dict[str, list[str]]] = {
    TrackingStore: {
        "import_experiment": ["test_import_experiment_keeps_name_tags_and_stage"],
        "import_runs": ["test_import_runs_keeps_every_point_and_adds_nothing_the_second_time"],
        "create_experiment": [
            "test_create_and_get_experiment",
            "test_a_taken_name_is_refused_even_when_deleted",
            "test_a_blank_experiment_name_is_refused",
        ],
        "get_experiment": [
            "test_create_and_get_experiment",
            "test_a_missing_experiment_is_not_found",
            "test_an_experiment_id_past_int64_is_bad_input",
        ],
        "get_experiment_by_name": [
            "test_create_and_get_experiment",
            "test_the_default_experiment_exists",
        ],
        "search_experiments": [
            "test_search_experiments_by_view_filter_and_order",
            "test_search_experiments_pages_with_tokens",
            "test_search_experiments_refuses_bad_arguments",
        ],
        "rename_experiment": ["test_rename_experiment", "test_a_missing_experiment_is_not_found"],
        "delete_experiment": [
            "test_delete_and_restore_experiment_with_its_runs",
            "test_the_default_experiment_cannot_be_deleted",
        ],
        "restore_experiment": [
            "test_delete_and_restore_experiment_with_its_runs",
            "test_a_missing_experiment_is_not_found",
        ],
        "set_experiment_tag": [
            "test_experiment_tags",
            "test_delete_and_restore_experiment_with_its_runs",
        ],
        "delete_experiment_tag": ["test_experiment_tags", "test_a_missing_experiment_is_not_found"],
        "create_run": [
            "test_create_and_get_run",
            "test_a_run_in_a_missing_experiment_is_not_found",
            "test_client_chosen_run_ids",
            "test_a_run_without_a_name_gets_one",
        ],
        "get_run": ["test_create_and_get_run", "test_a_missing_run_is_not_found"],
        "update_run_info": ["test_update_run_info", "test_update_run_info_refuses_bad_values"],
        "delete_run": ["test_delete_and_restore_run", "test_a_missing_run_is_not_found"],
        "restore_run": ["test_delete_and_restore_run", "test_a_missing_run_is_not_found"],
        "log_batch": [
            "test_log_batch_writes_metrics_params_and_tags",
            "test_the_latest_value_and_special_floats",
            "test_history_is_ordered_and_identical_points_are_stored_once",
            "test_a_batch_larger_than_one_request",
            "test_a_refused_batch_writes_nothing",
        ],
        "delete_tag": ["test_delete_tag", "test_a_missing_run_is_not_found"],
        "log_inputs": [
            "test_log_inputs_keeps_the_dataset_and_its_tags",
            "test_a_dataset_logged_again_is_one_input",
            "test_log_inputs_to_a_missing_or_deleted_run",
        ],
        "get_metric_history": [
            "test_history_is_ordered_and_identical_points_are_stored_once",
            "test_metric_history_pages",
            "test_metric_history_of_a_missing_run_is_not_found",
        ],
        "search_runs": [
            "test_search_runs_filters",
            "test_search_runs_by_run_id_and_view",
            "test_search_runs_pages_with_tokens",
            "test_search_runs_refuses_bad_arguments",
            "test_search_runs_by_dataset",
        ],
        "get_metric_history_downsampled": [
            "test_downsampled_history_keeps_the_extremes",
            "test_downsampled_history_refuses_bad_arguments",
        ],
        "get_metric_history_interval": ["test_history_interval_lines_runs_up_on_shared_steps"],
        "get_metric_histories_downsampled": [
            "test_batch_of_downsampled_histories_equals_each_series_alone",
            "test_batch_refuses_bad_arguments",
        ],
        "get_metric_updates": [
            "test_updates_are_the_points_after_each_step_with_statuses",
            "test_updates_name_every_key_each_run_has_logged",
            "test_batch_refuses_bad_arguments",
        ],
        "count_runs_matching": [
            "test_search_runs_filters",
            "test_search_runs_by_run_id_and_view",
            "test_search_runs_refuses_bad_arguments",
        ],
        "group_runs": ["test_group_runs", "test_group_runs_refuses_bad_keys"],
        "record_heartbeat": ["test_record_heartbeat", "test_end_crashed_runs"],
        "end_crashed_runs": [
            "test_end_crashed_runs",
            "test_end_crashed_runs_of_silent_runs",
            "test_writes_are_a_sign_of_life_and_a_late_heartbeat_revives",
        ],
        "deleted_run_ids": ["test_deleted_run_ids_and_purge_run"],
        "purge_run": ["test_deleted_run_ids_and_purge_run"],
        "close": ["test_close_releases_one_store_and_keeps_the_data"],
        "log_metric": [
            "test_log_metric_convenience",
            "test_history_is_ordered_and_identical_points_are_stored_once",
        ],
        "log_param": ["test_params_are_immutable"],
        "set_tag": ["test_set_tag_convenience"],
    },
    RegistryStore: {
        "import_registered_model": [
            "test_import_registered_model_keeps_numbers_stages_and_aliases"
        ],
        "create_registered_model": [
            "test_create_and_get_registered_model",
            "test_bad_model_names_name_the_rule",
        ],
        "get_registered_model": [
            "test_create_and_get_registered_model",
            "test_a_missing_model_is_not_found",
        ],
        "rename_registered_model": [
            "test_rename_carries_everything",
            "test_rename_refuses_a_taken_or_bad_name",
        ],
        "update_registered_model": ["test_update_registered_model"],
        "delete_registered_model": [
            "test_delete_model_removes_everything",
            "test_a_missing_model_is_not_found",
        ],
        "search_registered_models": [
            "test_search_registered_models_filters",
            "test_search_registered_models_order_pages_and_entities",
            "test_search_registered_models_refuses_bad_arguments",
        ],
        "set_registered_model_tag": [
            "test_registered_model_tags",
            "test_rename_carries_everything",
        ],
        "delete_registered_model_tag": [
            "test_registered_model_tags",
            "test_a_missing_model_is_not_found",
        ],
        "create_model_version": [
            "test_create_and_get_model_version",
            "test_versions_are_numbered_per_model_and_never_reused",
            "test_missing_and_bad_versions",
        ],
        "get_model_version": ["test_create_and_get_model_version", "test_missing_and_bad_versions"],
        "update_model_version": [
            "test_update_and_delete_model_version",
            "test_missing_and_bad_versions",
        ],
        "delete_model_version": [
            "test_update_and_delete_model_version",
            "test_versions_are_numbered_per_model_and_never_reused",
        ],
        "search_model_versions": [
            "test_search_model_versions_filters",
            "test_search_model_versions_pages_and_refuses_bad_arguments",
        ],
        "set_model_version_tag": ["test_model_version_tags", "test_missing_and_bad_versions"],
        "delete_model_version_tag": ["test_model_version_tags", "test_missing_and_bad_versions"],
        "transition_model_version_stage": [
            "test_stages_archiving_and_history",
            "test_latest_versions",
        ],
        "get_model_version_stage_history": [
            "test_stages_archiving_and_history",
            "test_rename_carries_everything",
        ],
        "get_latest_versions": ["test_latest_versions", "test_a_missing_model_is_not_found"],
        "get_model_version_download_uri": [
            "test_create_and_get_model_version",
            "test_missing_and_bad_versions",
        ],
        "set_registered_model_alias": [
            "test_aliases_point_move_and_go",
            "test_bad_aliases_name_the_rule",
        ],
        "delete_registered_model_alias": [
            "test_aliases_point_move_and_go",
            "test_a_missing_model_is_not_found",
        ],
        "get_model_version_by_alias": [
            "test_aliases_point_move_and_go",
            "test_a_missing_model_is_not_found",
        ],
        "close": ["test_closing_a_registry_store_leaves_the_others_working"],
    },
    LoggedModelStore: {
        "import_logged_model": ["test_import_logged_model_keeps_its_id_tags_and_params"],
        "create_logged_model": [
            "test_create_get_and_finalize",
            "test_a_missing_logged_model_is_not_found",
            "test_bad_logged_model_input",
        ],
        "get_logged_model": [
            "test_create_get_and_finalize",
            "test_a_missing_logged_model_is_not_found",
        ],
        "finalize_logged_model": ["test_create_get_and_finalize", "test_bad_logged_model_input"],
        "delete_logged_model": [
            "test_delete_logged_model",
            "test_a_missing_logged_model_is_not_found",
        ],
        "set_logged_model_tags": ["test_logged_model_tags_and_params"],
        "delete_logged_model_tag": [
            "test_logged_model_tags_and_params",
            "test_a_missing_logged_model_is_not_found",
        ],
        "log_logged_model_params": ["test_logged_model_tags_and_params"],
        "log_logged_model_metrics": ["test_logged_model_metrics_come_back_with_run_and_dataset"],
        "link_run_models": ["test_runs_link_the_models_they_use_and_produce"],
        "search_logged_models": [
            "test_search_logged_models",
            "test_search_logged_models_refuses_bad_arguments",
        ],
    },
}


def contract_methods(cls: type) -> set[str]:
    """The public methods of a contract, and the public method behind each abstract hook
    (RegistryStore checks arguments in ``create_registered_model`` and leaves
    ``_create_registered_model`` to the backend)."""
    public = {
        name
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }
    for name in getattr(cls, "__abstractmethods__", ()):
        if name.startswith("_"):
            assert name[1:] in public, f"{cls.__name__}.{name} is a hook of no public method"
        else:
            public.add(name)
    return public


def _called_attributes() -> dict[str, set[str]]:
    """For each contract test, the attributes it uses: in its body, and in the body of
    the module's own helper functions it calls (``_found`` wrapping ``search_runs``)."""
    found: dict[str, set[str]] = {}
    for path in sorted(HERE.glob("test_contract_*.py")):
        functions = {
            node.name: node
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)
        }
        for name, node in functions.items():
            if not name.startswith("test_"):
                continue
            assert name not in found, f"two contract tests are named {name}"
            bodies = [node] + [
                functions[call.func.id]
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id.startswith("_")
                and call.func.id in functions
            ]
            found[name] = {
                n.attr for body in bodies for n in ast.walk(body) if isinstance(n, ast.Attribute)
            }
    return found


@pytest.mark.parametrize("contract", list(COVERAGE), ids=lambda c: c.__name__)
def test_every_store_method_has_a_contract_test(contract: type) -> None:
    methods = contract_methods(contract)
    mapped = set(COVERAGE[contract])
    assert methods - mapped == set(), f"{contract.__name__} methods without a contract test"
    assert mapped - methods == set(), f"COVERAGE names what {contract.__name__} does not have"


@pytest.mark.parametrize("contract", list(COVERAGE), ids=lambda c: c.__name__)
def test_each_named_test_exists_and_calls_its_method(contract: type) -> None:
    tests = _called_attributes()
    for method, names in COVERAGE[contract].items():
        assert names, f"{contract.__name__}.{method} has no test"
        for name in names:
            assert name in tests, f"COVERAGE names {name}, which is not a contract test"
            assert method in tests[name], f"{name} does not call {method}"
