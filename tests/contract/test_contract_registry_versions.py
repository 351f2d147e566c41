"""Model versions: numbering, fields, tags, stages, aliases and search, on every
RegistryStore."""

from __future__ import annotations

import pytest
from contract_support import Names, StoreUnderTest, pages

from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.registry_base import RegistryStore


def _model(registry: RegistryStore, name: str, versions: int = 0) -> None:
    registry.create_registered_model(name)
    for n in range(versions):
        registry.create_model_version(name, f"file:///models/{name}/{n + 1}", run_id=f"run{n}")


def _recorded_user(store: StoreUnderTest, given: str) -> str | None:
    """The user a registry records: a database store keeps the one it is given; a
    tracking server records who calls it (nobody without --auth), never a user the
    client names."""
    return given if store.database else None


def test_versions_are_numbered_per_model_and_never_reused(
    contract_store: StoreUnderTest, names: Names
) -> None:
    registry = contract_store.registry
    _model(registry, names("a"))
    _model(registry, names("b"))
    assert [registry.create_model_version(names("a"), "file:///a").version for _ in "xyz"] == [
        1,
        2,
        3,
    ]
    assert registry.create_model_version(names("b"), "file:///b").version == 1
    registry.delete_model_version(names("a"), 3)
    assert registry.create_model_version(names("a"), "file:///a").version == 4


def test_create_and_get_model_version(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names())
    mv = registry.create_model_version(
        names(),
        "file:///models/fraud",
        run_id="abc123",
        tags={"framework": "sklearn"},
        run_link="http://x/runs/abc123",
        description="first",
        user_id="ana",
    )
    assert (mv.name, mv.version, mv.current_stage, mv.status) == (names(), 1, "None", "READY")
    assert (mv.source, mv.run_id, mv.run_link) == (
        "file:///models/fraud",
        "abc123",
        "http://x/runs/abc123",
    )
    assert (mv.description, mv.tags, mv.aliases) == ("first", {"framework": "sklearn"}, [])
    assert mv.user_id == _recorded_user(contract_store, "ana")
    assert registry.get_model_version(names(), "1") == mv
    assert registry.get_registered_model(names()).last_updated_timestamp == mv.creation_timestamp
    assert registry.get_model_version_download_uri(names(), 1) == "file:///models/fraud"


def test_missing_and_bad_versions(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=1)
    for call in (
        lambda: registry.get_model_version(names(), 7),
        lambda: registry.update_model_version(names(), 7, "d"),
        lambda: registry.delete_model_version(names(), 7),
        lambda: registry.set_model_version_tag(names(), 7, "k", "v"),
        lambda: registry.delete_model_version_tag(names(), 7, "k"),
        lambda: registry.transition_model_version_stage(names(), 7, "Staging"),
        lambda: registry.get_model_version_stage_history(names(), 7),
        lambda: registry.get_model_version_download_uri(names(), 7),
        lambda: registry.set_registered_model_alias(names(), "champion", 7),
    ):
        with pytest.raises(NotFoundError, match="model version 7"):
            call()
    for bad in ("x", 0, -1, "1.5", True):
        with pytest.raises(InvalidInputError, match="not a positive integer"):
            registry.get_model_version(names(), bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="source"):
        registry.create_model_version(names(), "")


def test_update_and_delete_model_version(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=2)
    assert registry.update_model_version(names(), 1, "better").description == "better"
    assert registry.get_model_version(names(), 1).description == "better"
    registry.delete_model_version(names(), 1)
    with pytest.raises(NotFoundError):
        registry.get_model_version(names(), 1)
    assert [v.version for v in registry.search_model_versions(f"name = '{names()}'")] == [2]


def test_model_version_tags(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=2)
    registry.set_model_version_tag(names(), 1, "validated", "yes")
    registry.set_model_version_tag(names(), "1", "validated", "no")
    assert registry.get_model_version(names(), 1).tags == {"validated": "no"}
    assert registry.get_model_version(names(), 2).tags == {}
    registry.delete_model_version_tag(names(), 1, "validated")
    assert registry.get_model_version(names(), 1).tags == {}
    with pytest.raises(NotFoundError, match="'validated'"):
        registry.delete_model_version_tag(names(), 1, "validated")
    with pytest.raises(InvalidInputError, match="key"):
        registry.set_model_version_tag(names(), 1, "", "v")


def test_stages_archiving_and_history(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=3)
    assert registry.transition_model_version_stage(names(), 1, "production").current_stage == (
        "Production"
    )
    registry.transition_model_version_stage(names(), 2, "PRODUCTION")
    registry.transition_model_version_stage(names(), 3, "staging", user_id="ana")
    registry.transition_model_version_stage(names(), 3, "Staging", user_id="ana")  # no change
    moved = registry.transition_model_version_stage(
        names(), 3, "Production", archive_existing_versions=True, user_id="bo"
    )
    assert moved.current_stage == "Production"
    found = registry.search_model_versions(f"name = '{names()}'")
    assert {v.version: v.current_stage for v in found} == {
        1: "Archived",
        2: "Archived",
        3: "Production",
    }
    history = registry.get_model_version_stage_history(names(), 3)
    assert [(h.version, h.from_stage, h.to_stage, h.user_id) for h in history] == [
        (3, "None", "Staging", _recorded_user(contract_store, "ana")),
        (3, "Staging", "Production", _recorded_user(contract_store, "bo")),
    ]
    assert history[0].timestamp <= history[1].timestamp
    archived = registry.get_model_version_stage_history(names(), 1)
    assert [(h.from_stage, h.to_stage) for h in archived] == [
        ("None", "Production"),
        ("Production", "Archived"),
    ]
    with pytest.raises(InvalidInputError, match="Prod"):
        registry.transition_model_version_stage(names(), 1, "Prod")
    with pytest.raises(InvalidInputError, match="Staging or Production"):
        registry.transition_model_version_stage(
            names(), 1, "Archived", archive_existing_versions=True
        )


def test_latest_versions(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=5)
    registry.transition_model_version_stage(names(), 1, "Production")
    registry.transition_model_version_stage(names(), 2, "Production")
    registry.transition_model_version_stage(names(), 3, "Staging")
    latest = registry.get_latest_versions(names())
    assert {v.current_stage: v.version for v in latest} == {
        "Production": 2,
        "Staging": 3,
        "None": 5,
    }
    asked = registry.get_latest_versions(names(), ["staging", "Production", "Archived"])
    assert [(v.current_stage, v.version) for v in asked] == [("Staging", 3), ("Production", 2)]
    model = registry.get_registered_model(names())
    assert sorted(v.version for v in model.latest_versions) == [2, 3, 5]
    with pytest.raises(InvalidInputError, match="stage"):
        registry.get_latest_versions(names(), ["Prod"])


def test_aliases_point_move_and_go(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=2)
    registry.set_registered_model_alias(names(), "champion", 1)
    registry.set_registered_model_alias(names(), "challenger", "2")
    assert registry.get_model_version_by_alias(names(), "champion").version == 1
    assert registry.get_model_version(names(), 1).aliases == ["champion"]
    registry.set_registered_model_alias(names(), "champion", 2)  # moves; stays unique
    assert registry.get_registered_model(names()).aliases == {"challenger": 2, "champion": 2}
    assert registry.get_model_version(names(), 1).aliases == []
    assert registry.get_model_version(names(), 2).aliases == ["challenger", "champion"]
    registry.delete_registered_model_alias(names(), "challenger")
    with pytest.raises(NotFoundError, match="'challenger'"):
        registry.get_model_version_by_alias(names(), "challenger")
    with pytest.raises(NotFoundError, match="'challenger'"):
        registry.delete_registered_model_alias(names(), "challenger")
    registry.delete_model_version(names(), 2)  # its aliases go with it
    assert registry.get_registered_model(names()).aliases == {}


@pytest.mark.parametrize(
    ("alias", "rule"),
    [
        ("latest", "reserved"),
        ("v3", "reserved"),
        ("has space", "only letters, digits"),
        ("", "non-empty"),
        ("a" * 256, "limit is 255"),
    ],
)
def test_bad_aliases_name_the_rule(
    contract_store: StoreUnderTest, names: Names, alias: str, rule: str
) -> None:
    _model(contract_store.registry, names(), versions=1)
    with pytest.raises(InvalidInputError, match=rule):
        contract_store.registry.set_registered_model_alias(names(), alias, 1)


def _versions(registry: RegistryStore, names: Names) -> None:
    for model, tag in (("a", "torch"), ("b", "sklearn")):
        _model(registry, names(model))
        for n in (1, 2):
            registry.create_model_version(
                names(model),
                f"s3://bucket/{names(model)}/{n}",
                run_id=f"run-{model}-{n}",
                tags={"framework": tag if n == 2 else "none"},
            )
    registry.transition_model_version_stage(names("a"), 2, "Production")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [("a", 2), ("a", 1), ("b", 2), ("b", 1)]),
        ("AND run_id = 'run-b-2'", [("b", 2)]),
        ("AND run_id IN ('run-a-1', 'run-b-1')", [("a", 1), ("b", 1)]),
        ("AND version_number >= 2", [("a", 2), ("b", 2)]),
        ("AND tags.framework = 'torch'", [("a", 2)]),
        ("AND tags.framework != 'none'", [("a", 2), ("b", 2)]),
        ("AND source_path LIKE 's3://bucket/%/1'", [("a", 1), ("b", 1)]),
        ("AND current_stage = 'Production'", [("a", 2)]),
    ],
)
def test_search_model_versions_filters(
    contract_store: StoreUnderTest, names: Names, text: str, expected: list[tuple[str, int]]
) -> None:
    registry = contract_store.registry
    _versions(registry, names)
    found = registry.search_model_versions(
        f"name LIKE '{names()}-%' {text}", order_by=["name ASC", "version_number DESC"]
    )
    assert [(v.name, v.version) for v in found] == [(names(m), n) for m, n in expected]


def test_search_model_versions_pages_and_refuses_bad_arguments(
    contract_store: StoreUnderTest, names: Names
) -> None:
    registry = contract_store.registry
    _versions(registry, names)
    mine = f"name LIKE '{names()}-%'"
    got = pages(
        lambda token: registry.search_model_versions(mine, 3, ["name", "version_number"], token)
    )
    assert [[(v.name, v.version) for v in page] for page in got] == [
        [(names("a"), 1), (names("a"), 2), (names("b"), 1)],
        [(names("b"), 2)],
    ]
    with pytest.raises(InvalidInputError, match="number"):
        registry.search_model_versions("version_number = 'x'")
    with pytest.raises(InvalidInputError):
        registry.search_model_versions("name = ")
    with pytest.raises(InvalidInputError, match="max_results"):
        registry.search_model_versions(max_results=0)
