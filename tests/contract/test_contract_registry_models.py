"""Registered models: create, read, rename, update, delete, tags and search, on every
RegistryStore (the SQL one, and the REST one against runlab's server)."""

from __future__ import annotations

import time

import pytest
from contract_support import Names, StoreUnderTest, pages

from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.store.registry_base import RegistryStore


def _model(registry: RegistryStore, name: str, versions: int = 0) -> None:
    registry.create_registered_model(name)
    for n in range(versions):
        registry.create_model_version(name, f"file:///models/{name}/{n + 1}", run_id=f"run{n}")


def test_create_and_get_registered_model(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    created = registry.create_registered_model(
        names(), tags={"team": "risk"}, description="catches fraud"
    )
    got = registry.get_registered_model(names())
    assert got == created
    assert (got.name, got.description, got.tags) == (names(), "catches fraud", {"team": "risk"})
    assert (got.latest_versions, got.aliases) == ([], {})
    assert got.creation_timestamp > 0
    assert got.last_updated_timestamp == got.creation_timestamp
    with pytest.raises(AlreadyExistsError, match=names()):
        registry.create_registered_model(names())


@pytest.mark.parametrize(
    ("name", "rule"),
    [("", "non-empty"), ("a/b", "must not contain"), ("a:b", "must not contain")],
)
def test_bad_model_names_name_the_rule(
    contract_store: StoreUnderTest, name: str, rule: str
) -> None:
    with pytest.raises(InvalidInputError, match=rule):
        contract_store.registry.create_registered_model(name)


def test_a_missing_model_is_not_found(contract_store: StoreUnderTest, names: Names) -> None:
    registry, ghost = contract_store.registry, names("ghost")
    for call in (
        lambda: registry.get_registered_model(ghost),
        lambda: registry.delete_registered_model(ghost),
        lambda: registry.update_registered_model(ghost, "d"),
        lambda: registry.rename_registered_model(ghost, names("new")),
        lambda: registry.create_model_version(ghost, "file:///x"),
        lambda: registry.set_registered_model_tag(ghost, "k", "v"),
        lambda: registry.delete_registered_model_tag(ghost, "k"),
        lambda: registry.get_latest_versions(ghost),
        lambda: registry.get_model_version(ghost, 1),
        lambda: registry.get_model_version_by_alias(ghost, "champion"),
        lambda: registry.delete_registered_model_alias(ghost, "champion"),
    ):
        with pytest.raises(NotFoundError, match=ghost):
            call()


def test_update_registered_model(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    before = registry.create_registered_model(names())
    after = registry.update_registered_model(names(), "second description")
    assert after.description == "second description"
    assert after.last_updated_timestamp >= before.last_updated_timestamp  # type: ignore[operator]
    assert registry.get_registered_model(names()) == after
    with pytest.raises(InvalidInputError, match="description"):
        registry.update_registered_model(names(), "x" * 5001)


def test_rename_carries_everything(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names("old"), versions=2)
    registry.set_registered_model_tag(names("old"), "team", "risk")
    registry.set_model_version_tag(names("old"), 1, "validated", "yes")
    registry.set_registered_model_alias(names("old"), "champion", 2)
    registry.transition_model_version_stage(names("old"), 2, "production")

    renamed = registry.rename_registered_model(names("old"), names("new"))

    assert (renamed.name, renamed.tags, renamed.aliases) == (
        names("new"),
        {"team": "risk"},
        {"champion": 2},
    )
    assert registry.get_model_version(names("new"), 1).tags == {"validated": "yes"}
    assert registry.get_model_version_by_alias(names("new"), "champion").version == 2
    history = registry.get_model_version_stage_history(names("new"), 2)
    assert [(h.name, h.to_stage) for h in history] == [(names("new"), "Production")]
    with pytest.raises(NotFoundError):
        registry.get_registered_model(names("old"))
    assert registry.create_model_version(names("new"), "file:///x").version == 3


def test_rename_refuses_a_taken_or_bad_name(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names("a"))
    _model(registry, names("b"))
    with pytest.raises(AlreadyExistsError, match=names("b")):
        registry.rename_registered_model(names("a"), names("b"))
    with pytest.raises(InvalidInputError, match="new_name"):
        registry.rename_registered_model(names("a"), "x/y")


def test_delete_model_removes_everything(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names(), versions=2)
    registry.set_model_version_tag(names(), 1, "k", "v")
    registry.set_registered_model_alias(names(), "champion", 1)
    registry.transition_model_version_stage(names(), 1, "Staging")
    registry.delete_registered_model(names())
    with pytest.raises(NotFoundError):
        registry.get_registered_model(names())
    assert list(registry.search_model_versions(f"name = '{names()}'")) == []
    _model(registry, names(), versions=1)  # the name is free again; numbering restarts
    got = registry.get_model_version(names(), 1)
    assert (got.tags, got.aliases) == ({}, [])
    assert registry.get_model_version_stage_history(names(), 1) == []


def test_registered_model_tags(contract_store: StoreUnderTest, names: Names) -> None:
    registry = contract_store.registry
    _model(registry, names())
    registry.set_registered_model_tag(names(), "team", "risk")
    registry.set_registered_model_tag(names(), "team", "payments")
    registry.set_registered_model_tag(names(), "tier", "1")
    assert registry.get_registered_model(names()).tags == {"team": "payments", "tier": "1"}
    registry.delete_registered_model_tag(names(), "tier")
    assert registry.get_registered_model(names()).tags == {"team": "payments"}
    with pytest.raises(NotFoundError, match="'tier'"):
        registry.delete_registered_model_tag(names(), "tier")
    with pytest.raises(InvalidInputError, match="key"):
        registry.set_registered_model_tag(names(), "../bad", "v")


def _three(registry: RegistryStore, names: Names) -> None:
    """<prefix>-Churn (team growth), -fraud-a and -fraud-b (team risk), fraud-a with
    versions 1 (None) and 2 (Production)."""
    registry.create_registered_model(names("fraud-a"), tags={"team": "risk"})
    registry.create_registered_model(names("fraud-b"), tags={"team": "risk"})
    registry.create_registered_model(names("Churn"), tags={"team": "growth"})
    registry.create_model_version(names("fraud-a"), "file:///a/1")
    registry.create_model_version(names("fraud-a"), "file:///a/2")
    time.sleep(0.005)  # timestamps are milliseconds: the transition comes strictly later
    registry.transition_model_version_stage(names("fraud-a"), 2, "Production")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["Churn", "fraud-a", "fraud-b"]),
        ("AND name LIKE '%-fraud%'", ["fraud-a", "fraud-b"]),
        ("AND name ILIKE '%-CHURN'", ["Churn"]),
        ("AND tags.team = 'risk' AND name LIKE '%b'", ["fraud-b"]),
        ("AND (tags.team = 'growth' OR name LIKE '%-fraud-b')", ["Churn", "fraud-b"]),
        ("AND tags.team != 'risk'", ["Churn"]),
        ("AND tags.missing = 'x'", []),
    ],
)
def test_search_registered_models_filters(
    contract_store: StoreUnderTest, names: Names, text: str, expected: list[str]
) -> None:
    registry = contract_store.registry
    _three(registry, names)
    found = registry.search_registered_models(f"name LIKE '{names()}-%' {text}", order_by=["name"])
    assert [m.name for m in found] == [names(e) for e in expected]


def test_search_registered_models_order_pages_and_entities(
    contract_store: StoreUnderTest, names: Names
) -> None:
    registry = contract_store.registry
    _three(registry, names)
    mine = f"name LIKE '{names()}-%'"
    down = registry.search_registered_models(mine, order_by=["name DESC"])
    assert [m.name for m in down] == [names("fraud-b"), names("fraud-a"), names("Churn")]
    got = pages(lambda token: registry.search_registered_models(mine, 2, ["name ASC"], token))
    assert [[m.name for m in page] for page in got] == [
        [names("Churn"), names("fraud-a")],
        [names("fraud-b")],
    ]
    (model,) = registry.search_registered_models(f"name = '{names('fraud-a')}'")
    assert model.tags == {"team": "risk"}
    assert sorted((v.current_stage, v.version) for v in model.latest_versions) == [
        ("None", 1),
        ("Production", 2),
    ]
    newest = registry.search_registered_models(mine, order_by=["last_updated_timestamp DESC"])
    assert newest[0].name == names("fraud-a")  # changed last, by the stage transition


def test_search_registered_models_refuses_bad_arguments(contract_store: StoreUnderTest) -> None:
    registry = contract_store.registry
    with pytest.raises(InvalidInputError, match="metrics"):
        registry.search_registered_models("metrics.x > 1")
    with pytest.raises(InvalidInputError, match="owner"):
        registry.search_registered_models("owner = 'x'")
    with pytest.raises(InvalidInputError, match="run_id"):
        registry.search_registered_models(order_by=["run_id"])
    with pytest.raises(InvalidInputError, match="max_results"):
        registry.search_registered_models(max_results=1001)
    with pytest.raises(InvalidInputError, match="token"):
        registry.search_registered_models(page_token="not-a-token")


def test_closing_a_registry_store_leaves_the_others_working(
    contract_store: StoreUnderTest, names: Names
) -> None:
    other = contract_store.reopen_registry()
    other.create_registered_model(names())
    other.close()
    assert contract_store.registry.get_registered_model(names()).name == names()
    assert contract_store.tracking.get_experiment("0").name == "Default"
