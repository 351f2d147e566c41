"""The SQL registry store on SQLite and PostgreSQL: models, versions, stages, aliases,
tags, searches and the errors each misuse gets."""

from __future__ import annotations

import pytest

from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.store.registry_base import RegistryStore


def make(registry: RegistryStore, name: str = "fraud", versions: int = 0) -> None:
    registry.create_registered_model(name)
    for n in range(versions):
        registry.create_model_version(name, f"file:///models/{name}/{n + 1}", run_id=f"run{n}")


# ----------------------------------------------------------------------------- models


def test_create_and_get_registered_model(registry: RegistryStore) -> None:
    created = registry.create_registered_model(
        "fraud", tags={"team": "risk"}, description="catches fraud"
    )
    got = registry.get_registered_model("fraud")
    assert got == created
    assert (got.name, got.description, got.tags) == ("fraud", "catches fraud", {"team": "risk"})
    assert got.latest_versions == []
    assert got.aliases == {}
    assert got.creation_timestamp == got.last_updated_timestamp > 0


def test_duplicate_name_is_refused(registry: RegistryStore) -> None:
    make(registry)
    with pytest.raises(AlreadyExistsError, match="'fraud' already exists"):
        registry.create_registered_model("fraud")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "non-empty"),
        ("a/b", "must not contain"),
        ("a:b", "must not contain"),
        ("x" * 257, "limit is 256"),
    ],
)
def test_bad_model_names_name_the_rule(registry: RegistryStore, name: str, rule: str) -> None:
    with pytest.raises(InvalidInputError, match=rule):
        registry.create_registered_model(name)


def test_unknown_model_is_named(registry: RegistryStore) -> None:
    for call in (
        lambda: registry.get_registered_model("ghost"),
        lambda: registry.delete_registered_model("ghost"),
        lambda: registry.update_registered_model("ghost", "d"),
        lambda: registry.rename_registered_model("ghost", "new"),
        lambda: registry.create_model_version("ghost", "file:///x"),
        lambda: registry.set_registered_model_tag("ghost", "k", "v"),
        lambda: registry.get_latest_versions("ghost"),
    ):
        with pytest.raises(NotFoundError, match="registered model 'ghost' not found"):
            call()


def test_update_description_bumps_last_updated(registry: RegistryStore) -> None:
    before = registry.create_registered_model("fraud")
    after = registry.update_registered_model("fraud", "v2 of the description")
    assert after.description == "v2 of the description"
    assert after.last_updated_timestamp >= before.last_updated_timestamp  # type: ignore[operator]
    assert registry.update_registered_model("fraud", None).description is None


def test_rename_carries_versions_aliases_tags_and_history(registry: RegistryStore) -> None:
    make(registry, "old", versions=2)
    registry.set_registered_model_tag("old", "team", "risk")
    registry.set_model_version_tag("old", 1, "validated", "yes")
    registry.set_registered_model_alias("old", "champion", 2)
    registry.transition_model_version_stage("old", 2, "production")

    renamed = registry.rename_registered_model("old", "new")

    assert renamed.name == "new"
    assert renamed.tags == {"team": "risk"}
    assert renamed.aliases == {"champion": 2}
    assert registry.get_model_version("new", 1).tags == {"validated": "yes"}
    assert registry.get_model_version_by_alias("new", "champion").version == 2
    history = registry.get_model_version_stage_history("new", 2)
    assert [(h.name, h.to_stage) for h in history] == [("new", "Production")]
    with pytest.raises(NotFoundError, match="'old'"):
        registry.get_registered_model("old")
    # the next version continues the numbering
    assert registry.create_model_version("new", "file:///x").version == 3


def test_rename_onto_a_taken_name_is_refused(registry: RegistryStore) -> None:
    make(registry, "a")
    make(registry, "b")
    with pytest.raises(AlreadyExistsError, match="'b' already exists"):
        registry.rename_registered_model("a", "b")
    with pytest.raises(InvalidInputError, match="new_name"):
        registry.rename_registered_model("a", "x/y")


def test_delete_model_cascades_to_everything(registry: RegistryStore) -> None:
    make(registry, "fraud", versions=2)
    registry.set_model_version_tag("fraud", 1, "k", "v")
    registry.set_registered_model_alias("fraud", "champion", 1)
    registry.transition_model_version_stage("fraud", 1, "Staging")
    registry.delete_registered_model("fraud")
    with pytest.raises(NotFoundError):
        registry.get_registered_model("fraud")
    assert list(registry.search_model_versions("name = 'fraud'")) == []
    # the name is free again, and numbering starts over for the new model
    make(registry, "fraud", versions=1)
    got = registry.get_model_version("fraud", 1)
    assert got.tags == {}
    assert got.aliases == []
    assert registry.get_model_version_stage_history("fraud", 1) == []


def test_model_tags(registry: RegistryStore) -> None:
    make(registry)
    registry.set_registered_model_tag("fraud", "team", "risk")
    registry.set_registered_model_tag("fraud", "team", "payments")  # overwrite
    registry.set_registered_model_tag("fraud", "tier", "1")
    assert registry.get_registered_model("fraud").tags == {"team": "payments", "tier": "1"}
    registry.delete_registered_model_tag("fraud", "tier")
    assert registry.get_registered_model("fraud").tags == {"team": "payments"}
    with pytest.raises(NotFoundError, match="has no tag 'tier'"):
        registry.delete_registered_model_tag("fraud", "tier")
    with pytest.raises(InvalidInputError, match="key"):
        registry.set_registered_model_tag("fraud", "../bad", "v")


# ----------------------------------------------------------------------------- versions


def test_versions_are_numbered_per_model_and_never_reused(registry: RegistryStore) -> None:
    make(registry, "a")
    make(registry, "b")
    assert [registry.create_model_version("a", "file:///a").version for _ in range(3)] == [1, 2, 3]
    assert registry.create_model_version("b", "file:///b").version == 1
    registry.delete_model_version("a", 3)
    assert registry.create_model_version("a", "file:///a").version == 4


def test_create_model_version_fields(registry: RegistryStore) -> None:
    make(registry)
    mv = registry.create_model_version(
        "fraud",
        "file:///models/fraud",
        run_id="abc123",
        tags={"framework": "sklearn"},
        run_link="http://x/runs/abc123",
        description="first",
        user_id="ana",
    )
    assert mv.name == "fraud"
    assert mv.version == 1
    assert isinstance(mv.version, int)
    assert mv.current_stage == "None"
    assert mv.status == "READY"
    assert (mv.source, mv.run_id, mv.run_link) == (
        "file:///models/fraud",
        "abc123",
        "http://x/runs/abc123",
    )
    assert (mv.description, mv.user_id, mv.tags) == ("first", "ana", {"framework": "sklearn"})
    assert registry.get_model_version("fraud", "1") == mv
    model = registry.get_registered_model("fraud")
    assert model.last_updated_timestamp == mv.creation_timestamp
    assert registry.get_model_version_download_uri("fraud", 1) == "file:///models/fraud"


def test_unknown_and_bad_versions(registry: RegistryStore) -> None:
    make(registry, versions=1)
    with pytest.raises(
        NotFoundError, match="model version 7 of registered model 'fraud' not found"
    ):
        registry.get_model_version("fraud", 7)
    for bad in ("x", 0, -1, "1.5", True):
        with pytest.raises(InvalidInputError, match="not a positive integer"):
            registry.get_model_version("fraud", bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="source"):
        registry.create_model_version("fraud", "")


def test_update_and_delete_version(registry: RegistryStore) -> None:
    make(registry, versions=2)
    updated = registry.update_model_version("fraud", 1, "better")
    assert updated.description == "better"
    registry.delete_model_version("fraud", 1)
    with pytest.raises(NotFoundError):
        registry.get_model_version("fraud", 1)
    with pytest.raises(NotFoundError):
        registry.delete_model_version("fraud", 1)
    assert [v.version for v in registry.search_model_versions("name = 'fraud'")] == [2]


def test_version_tags(registry: RegistryStore) -> None:
    make(registry, versions=2)
    registry.set_model_version_tag("fraud", 1, "validated", "yes")
    registry.set_model_version_tag("fraud", 1, "validated", "no")
    assert registry.get_model_version("fraud", 1).tags == {"validated": "no"}
    assert registry.get_model_version("fraud", 2).tags == {}
    registry.delete_model_version_tag("fraud", 1, "validated")
    assert registry.get_model_version("fraud", 1).tags == {}
    with pytest.raises(NotFoundError, match="has no tag 'validated'"):
        registry.delete_model_version_tag("fraud", 1, "validated")
    with pytest.raises(NotFoundError, match="model version 9"):
        registry.set_model_version_tag("fraud", 9, "k", "v")


# ----------------------------------------------------------------------------- stages


def test_stage_names_are_case_insensitive_and_canonical(registry: RegistryStore) -> None:
    make(registry, versions=1)
    for given, canonical in [
        ("staging", "Staging"),
        ("PRODUCTION", "Production"),
        ("archived", "Archived"),
        ("none", "None"),
    ]:
        assert registry.transition_model_version_stage("fraud", 1, given).current_stage == canonical
    with pytest.raises(InvalidInputError, match="'Prod' is not a model version stage.*Staging"):
        registry.transition_model_version_stage("fraud", 1, "Prod")


def test_archive_existing_versions(registry: RegistryStore) -> None:
    make(registry, versions=3)
    registry.transition_model_version_stage("fraud", 1, "Production")
    registry.transition_model_version_stage("fraud", 2, "Production")
    registry.transition_model_version_stage("fraud", 3, "Staging")

    moved = registry.transition_model_version_stage(
        "fraud", 3, "production", archive_existing_versions=True, user_id="ana"
    )

    assert moved.current_stage == "Production"
    stages = {v.version: v.current_stage for v in registry.search_model_versions("name = 'fraud'")}
    assert stages == {1: "Archived", 2: "Archived", 3: "Production"}
    history = registry.get_model_version_stage_history("fraud", 1)
    assert [(h.from_stage, h.to_stage) for h in history] == [
        ("None", "Production"),
        ("Production", "Archived"),
    ]
    assert history[-1].user_id == "ana"


def test_without_archiving_several_versions_share_a_stage(registry: RegistryStore) -> None:
    make(registry, versions=2)
    registry.transition_model_version_stage("fraud", 1, "Production")
    registry.transition_model_version_stage("fraud", 2, "Production")
    stages = {v.version: v.current_stage for v in registry.search_model_versions("name = 'fraud'")}
    assert stages == {1: "Production", 2: "Production"}


def test_archiving_only_applies_to_active_stages(registry: RegistryStore) -> None:
    make(registry, versions=1)
    with pytest.raises(InvalidInputError, match="only to transitions to Staging or Production"):
        registry.transition_model_version_stage(
            "fraud", 1, "Archived", archive_existing_versions=True
        )


def test_stage_history_records_who_when_from_and_to(registry: RegistryStore) -> None:
    make(registry, versions=1)
    registry.transition_model_version_stage("fraud", 1, "Staging", user_id="ana")
    registry.transition_model_version_stage("fraud", 1, "Staging", user_id="ana")  # no change
    registry.transition_model_version_stage("fraud", 1, "Production", user_id="bo")
    history = registry.get_model_version_stage_history("fraud", 1)
    assert [(h.version, h.from_stage, h.to_stage, h.user_id) for h in history] == [
        (1, "None", "Staging", "ana"),
        (1, "Staging", "Production", "bo"),
    ]
    assert history[0].timestamp <= history[1].timestamp


def test_latest_versions(registry: RegistryStore) -> None:
    make(registry, versions=5)
    registry.transition_model_version_stage("fraud", 1, "Production")
    registry.transition_model_version_stage("fraud", 2, "Production")
    registry.transition_model_version_stage("fraud", 3, "Staging")
    by_stage = {v.current_stage: v.version for v in registry.get_latest_versions("fraud")}
    assert by_stage == {"Production": 2, "Staging": 3, "None": 5}
    asked = registry.get_latest_versions("fraud", ["staging", "Production", "Archived"])
    assert [(v.current_stage, v.version) for v in asked] == [("Staging", 3), ("Production", 2)]
    model = registry.get_registered_model("fraud")
    assert sorted(v.version for v in model.latest_versions) == [2, 3, 5]


# ----------------------------------------------------------------------------- aliases


def test_aliases_point_move_and_go(registry: RegistryStore) -> None:
    make(registry, versions=2)
    registry.set_registered_model_alias("fraud", "champion", 1)
    registry.set_registered_model_alias("fraud", "challenger", 2)
    assert registry.get_model_version_by_alias("fraud", "champion").version == 1
    assert registry.get_model_version("fraud", 1).aliases == ["champion"]

    registry.set_registered_model_alias("fraud", "champion", 2)  # moves, stays unique
    assert registry.get_registered_model("fraud").aliases == {"challenger": 2, "champion": 2}
    assert registry.get_model_version("fraud", 1).aliases == []
    assert registry.get_model_version("fraud", 2).aliases == ["challenger", "champion"]

    registry.delete_registered_model_alias("fraud", "challenger")
    with pytest.raises(NotFoundError, match="registered model 'fraud' has no alias 'challenger'"):
        registry.get_model_version_by_alias("fraud", "challenger")
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        registry.delete_registered_model_alias("fraud", "challenger")


def test_deleting_a_version_drops_its_aliases(registry: RegistryStore) -> None:
    make(registry, versions=2)
    registry.set_registered_model_alias("fraud", "champion", 2)
    registry.delete_model_version("fraud", 2)
    assert registry.get_registered_model("fraud").aliases == {}


@pytest.mark.parametrize(
    ("alias", "rule"),
    [
        ("latest", "reserved"),
        ("LATEST", "reserved"),
        ("v3", "reserved"),
        ("V12", "reserved"),
        ("has space", "only letters, digits"),
        ("a.b", "only letters, digits"),
        ("", "non-empty"),
        ("a" * 256, "limit is 255"),
    ],
)
def test_bad_aliases_name_the_rule(registry: RegistryStore, alias: str, rule: str) -> None:
    make(registry, versions=1)
    with pytest.raises(InvalidInputError, match=rule):
        registry.set_registered_model_alias("fraud", alias, 1)


def test_alias_needs_an_existing_version(registry: RegistryStore) -> None:
    make(registry, versions=1)
    with pytest.raises(NotFoundError, match="model version 2"):
        registry.set_registered_model_alias("fraud", "champion", 2)
    registry.set_registered_model_alias("fraud", "v-next_1", 1)  # '-' and '_' are fine
