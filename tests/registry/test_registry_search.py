"""Registry searches compile to SQL on SQLite and PostgreSQL: filters, order, pages."""

from __future__ import annotations

import time

import pytest

from runlab.errors import InvalidFilterError, InvalidInputError
from runlab.store.registry_base import RegistryStore


@pytest.fixture
def filled(registry: RegistryStore) -> RegistryStore:
    """Models fraud-a (3 versions), fraud-b (1), Churn (2), with tags and stages."""
    for name, count in (("fraud-a", 3), ("fraud-b", 1), ("Churn", 2)):
        time.sleep(0.005)  # distinct millisecond timestamps, so time order is defined
        registry.create_registered_model(
            name, tags={"team": "risk" if "fraud" in name else "growth"}
        )
        for n in range(count):
            registry.create_model_version(
                name,
                f"s3://bucket/{name}/{n + 1}",
                run_id=f"run-{name}-{n + 1}",
                tags={"framework": "sklearn" if n % 2 == 0 else "torch"},
            )
    time.sleep(0.005)
    registry.transition_model_version_stage("fraud-a", 2, "Production")
    return registry


def model_names(
    registry: RegistryStore, filter_string: str | None = None, **kw: object
) -> list[str]:
    return [m.name for m in registry.search_registered_models(filter_string, **kw)]  # type: ignore[arg-type]


def versions(
    registry: RegistryStore, filter_string: str | None = None, **kw: object
) -> list[tuple[str, int]]:
    found = registry.search_model_versions(filter_string, **kw)  # type: ignore[arg-type]
    return [(v.name, v.version) for v in found]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ["Churn", "fraud-a", "fraud-b"]),
        ("name = 'fraud-a'", ["fraud-a"]),
        ("name != 'fraud-a'", ["Churn", "fraud-b"]),
        ("name LIKE 'fraud%'", ["fraud-a", "fraud-b"]),
        ("name LIKE 'FRAUD%'", []),
        ("name ILIKE 'FRAUD%'", ["fraud-a", "fraud-b"]),
        ("name ILIKE 'churn'", ["Churn"]),
        ("tags.team = 'growth'", ["Churn"]),
        ("tags.team = 'risk' AND name LIKE '%b'", ["fraud-b"]),
        ("tags.team = 'growth' OR name = 'fraud-b'", ["Churn", "fraud-b"]),
        ("tags.missing = 'x'", []),
        ("name IN ('Churn', 'nope')", ["Churn"]),
    ],
)
def test_search_registered_models_filters(
    filled: RegistryStore, filter_string: str | None, expected: list[str]
) -> None:
    assert model_names(filled, filter_string) == expected


def test_search_registered_models_order_and_pages(filled: RegistryStore) -> None:
    assert model_names(filled, order_by=["name DESC"]) == ["fraud-b", "fraud-a", "Churn"]
    # fraud-a was created first but updated last (a stage transition)
    assert model_names(filled, order_by=["timestamp ASC"]) == ["fraud-a", "fraud-b", "Churn"]
    assert model_names(filled, order_by=["creation_timestamp DESC"]) == [
        "Churn",
        "fraud-b",
        "fraud-a",
    ]
    assert model_names(filled, order_by=["last_updated_timestamp DESC"])[0] == "fraud-a"

    first = filled.search_registered_models(max_results=2)
    assert [m.name for m in first] == ["Churn", "fraud-a"]
    assert first.token is not None
    second = filled.search_registered_models(max_results=2, page_token=first.token)
    assert [m.name for m in second] == ["fraud-b"]
    assert second.token is None


def test_search_registered_models_returns_full_entities(filled: RegistryStore) -> None:
    (model,) = filled.search_registered_models("name = 'fraud-a'")
    assert model.tags == {"team": "risk"}
    assert sorted((v.current_stage, v.version) for v in model.latest_versions) == [
        ("None", 3),
        ("Production", 2),
    ]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'fraud-a'", [("fraud-a", 3), ("fraud-a", 2), ("fraud-a", 1)]),
        ("run_id = 'run-Churn-2'", [("Churn", 2)]),
        ("run_id IN ('run-Churn-1', 'run-fraud-b-1')", [("Churn", 1), ("fraud-b", 1)]),
        ("run_id NOT IN ('run-Churn-1') AND name = 'Churn'", [("Churn", 2)]),
        ("name = 'fraud-a' AND version_number >= 2", [("fraud-a", 3), ("fraud-a", 2)]),
        ("name = 'fraud-a' AND version = 1", [("fraud-a", 1)]),
        ("tags.framework = 'torch'", [("Churn", 2), ("fraud-a", 2)]),
        ("source_path LIKE 's3://bucket/Churn/%'", [("Churn", 2), ("Churn", 1)]),
        ("current_stage = 'Production'", [("fraud-a", 2)]),
        ("stage IN ('production', 'STAGING')", [("fraud-a", 2)]),
        ("name ILIKE 'CHURN' OR tags.framework = 'nothing'", [("Churn", 2), ("Churn", 1)]),
    ],
)
def test_search_model_versions_filters(
    filled: RegistryStore, filter_string: str, expected: list[tuple[str, int]]
) -> None:
    got = versions(filled, filter_string, order_by=["name ASC", "version_number DESC"])
    assert got == expected


def test_search_model_versions_default_order_is_newest_update_first(filled: RegistryStore) -> None:
    found = versions(filled)
    assert found[0] == ("fraud-a", 2)  # moved to Production last
    assert len(found) == 6


def test_search_model_versions_pages(filled: RegistryStore) -> None:
    seen: list[tuple[str, int]] = []
    token = None
    while True:
        page = filled.search_model_versions(
            max_results=4, order_by=["name", "version_number"], page_token=token
        )
        seen.extend((v.name, v.version) for v in page)
        token = page.token
        if token is None:
            break
    assert seen == [
        ("Churn", 1),
        ("Churn", 2),
        ("fraud-a", 1),
        ("fraud-a", 2),
        ("fraud-a", 3),
        ("fraud-b", 1),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.search_registered_models("metrics.x > 1"), "metrics cannot be used"),
        (lambda r: r.search_registered_models("owner = 'x'"), "unknown attribute 'owner'"),
        (lambda r: r.search_registered_models(order_by=["run_id"]), "unknown attribute 'run_id'"),
        (lambda r: r.search_model_versions("version_number = 'x'"), "expected a number"),
        (lambda r: r.search_model_versions("name = "), "expected a quoted string"),
    ],
)
def test_bad_filters_are_positioned_errors(
    filled: RegistryStore, call: object, message: str
) -> None:
    with pytest.raises(InvalidFilterError, match=message):
        call(filled)  # type: ignore[operator]


def test_bad_paging_arguments(filled: RegistryStore) -> None:
    with pytest.raises(InvalidInputError, match="max_results must be between 1 and 1000"):
        filled.search_registered_models(max_results=1001)
    page = filled.search_registered_models(max_results=1)
    with pytest.raises(InvalidInputError, match="different query"):
        filled.search_registered_models("name LIKE '%'", max_results=1, page_token=page.token)
    with pytest.raises(InvalidInputError, match="more than once"):
        filled.search_registered_models(order_by=["name", "name DESC"])


def test_like_wildcards_are_escapable(registry: RegistryStore) -> None:
    registry.create_registered_model("a_b")
    registry.create_registered_model("axb")
    assert model_names(registry, r"name LIKE 'a\_b'") == ["a_b"]
    assert model_names(registry, "name LIKE 'a_b'") == ["a_b", "axb"]


def test_negated_tag_comparisons_match_a_missing_tag(filled: RegistryStore) -> None:
    """MLflow 3 clients add ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every search."""
    filled.set_registered_model_tag("Churn", "mlflow.prompt.is_prompt", "true")
    prompt_free = "tags.`mlflow.prompt.is_prompt` != 'true'"
    assert model_names(filled, prompt_free) == ["fraud-a", "fraud-b"]
    assert model_names(filled, "tags.team NOT IN ('growth')") == ["fraud-a", "fraud-b"]
    filled.set_model_version_tag("Churn", 1, "mlflow.prompt.is_prompt", "true")
    assert ("Churn", 1) not in versions(filled, prompt_free)
    assert ("Churn", 2) in versions(filled, prompt_free)
