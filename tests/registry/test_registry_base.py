"""RegistryStore checks the arguments of every backend once, before the backend's hook
runs, and hands the hook clean values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runlab.errors import InvalidInputError
from runlab.store.registry_base import RegistryStore


class Recording:
    """A backend whose every hook records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

        def hook(name: str) -> Callable[..., Any]:
            def method(_self: RegistryStore, *args: Any) -> Any:
                self.calls.append((name, args))
                return args

            return method

        methods = {name: hook(name) for name in RegistryStore.__abstractmethods__}
        self.store: RegistryStore = type("RecordingStore", (RegistryStore,), methods)()


@pytest.fixture
def recording() -> Recording:
    return Recording()


CLEAN: list[tuple[Callable[[RegistryStore], Any], str, tuple[Any, ...]]] = [
    (lambda s: s.create_registered_model("m"), "_create_registered_model", ("m", None, None)),
    (lambda s: s.rename_registered_model("m", "n"), "_rename_registered_model", ("m", "n")),
    (
        lambda s: s.set_registered_model_tag("m", "k", "v"),
        "_set_registered_model_tag",
        ("m", "k", "v"),
    ),
    (
        lambda s: s.create_model_version("m", "s3://b/m", "r1", {"k": "v"}, "l", "d", "u"),
        "_create_model_version",
        ("m", "s3://b/m", "r1", {"k": "v"}, "l", "d", "u", None),
    ),
    (
        lambda s: s.create_model_version("m", "models:/m-" + "a" * 32, model_id="m-" + "a" * 32),
        "_create_model_version",
        ("m", "models:/m-" + "a" * 32, None, None, None, None, None, "m-" + "a" * 32),
    ),
    (lambda s: s.get_model_version("m", "3"), "_get_model_version", ("m", 3)),
    (lambda s: s.update_model_version("m", " 3 ", "d"), "_update_model_version", ("m", 3, "d")),
    (lambda s: s.delete_model_version("m", 3), "_delete_model_version", ("m", 3)),
    (
        lambda s: s.set_model_version_tag("m", "2", "k", "v"),
        "_set_model_version_tag",
        ("m", 2, "k", "v"),
    ),
    (
        lambda s: s.delete_model_version_tag("m", "2", "k"),
        "_delete_model_version_tag",
        ("m", 2, "k"),
    ),
    (
        lambda s: s.transition_model_version_stage("m", "1", " production"),
        "_transition_model_version_stage",
        ("m", 1, "Production", False, None),
    ),
    (
        lambda s: s.get_model_version_stage_history("m", "1"),
        "_get_model_version_stage_history",
        ("m", 1),
    ),
    (
        lambda s: s.get_latest_versions("m", ["staging", "NONE"]),
        "_get_latest_versions",
        ("m", ["Staging", "None"]),
    ),
    (lambda s: s.get_latest_versions("m", []), "_get_latest_versions", ("m", None)),
    (
        lambda s: s.get_model_version_download_uri("m", "4"),
        "_get_model_version_download_uri",
        ("m", 4),
    ),
    (
        lambda s: s.set_registered_model_alias("m", "champion", "2"),
        "_set_registered_model_alias",
        ("m", "champion", 2),
    ),
]


@pytest.mark.parametrize(("call", "hook", "args"), CLEAN, ids=[hook for _, hook, _ in CLEAN])
def test_hooks_get_clean_values(
    recording: Recording,
    call: Callable[[RegistryStore], Any],
    hook: str,
    args: tuple[Any, ...],
) -> None:
    call(recording.store)
    assert recording.calls == [(hook, args)]


BAD: list[tuple[Callable[[RegistryStore], Any], str]] = [
    (lambda s: s.create_model_version("m", "s3://b/m", model_id="x1"), "model_id 'x1' is not"),
    (lambda s: s.create_registered_model(" "), "registered model name must be a non-empty"),
    (lambda s: s.rename_registered_model("m", "a/b"), "new_name 'a/b' must not contain"),
    (lambda s: s.set_registered_model_tag("m", "", "v"), "registered model tag"),
    (lambda s: s.create_model_version("m", ""), "source must be a non-empty URI"),
    (lambda s: s.get_model_version("m", "x"), "version 'x' is not a positive integer"),
    (lambda s: s.update_model_version("m", 0, "d"), "version 0 is not a positive integer"),
    (lambda s: s.delete_model_version("m", True), "version True is not a positive integer"),
    (lambda s: s.set_model_version_tag("m", 1, "k", "v" * 100_001), "100000"),
    (lambda s: s.delete_model_version_tag("m", -1, "k"), "version -1"),
    (lambda s: s.transition_model_version_stage("m", 1, "Live"), "stage 'Live' is not"),
    (lambda s: s.get_model_version_stage_history("m", 2**31), r"below 2\^31"),
    (lambda s: s.get_latest_versions("m", ["Live"]), "stage 'Live' is not"),
    (lambda s: s.get_model_version_download_uri("m", None), "version None"),
    (lambda s: s.set_registered_model_alias("m", "latest", 1), "alias 'latest' is reserved"),
    (lambda s: s.set_registered_model_alias("m", "v2", 1), "alias 'v2' is reserved"),
    (lambda s: s.set_registered_model_alias("m", "ok", "one"), "version 'one'"),
]


@pytest.mark.parametrize(("call", "match"), BAD, ids=[match for _, match in BAD])
def test_bad_arguments_never_reach_the_backend(
    recording: Recording, call: Callable[[RegistryStore], Any], match: str
) -> None:
    with pytest.raises(InvalidInputError, match=match):
        call(recording.store)
    assert recording.calls == []
