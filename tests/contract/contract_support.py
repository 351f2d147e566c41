"""Helpers of the contract tests: small builders, and paging through every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from runlab.entities import PagedList
from runlab.store.base import TrackingStore
from runlab.store.logged_models_base import LoggedModelStore
from runlab.store.registry_base import RegistryStore

T = TypeVar("T")

START = 1_700_000_000_000  # a fixed start time, so answers can be compared exactly


@dataclass
class StoreUnderTest:
    """One implementation of the store contracts, on one backend."""

    kind: str
    tracking: TrackingStore
    registry: RegistryStore
    logged_models: LoggedModelStore | None
    # The store reaches the database itself: it purges runs and takes client-chosen
    # run ids. A REST store refuses both (the server's REST API has neither).
    database: bool
    # Other store instances on the same data (to close without closing these).
    reopen: Callable[[], TrackingStore]
    reopen_registry: Callable[[], RegistryStore]


@dataclass
class Names:
    """Unique names of one test, so tests sharing a store never see each other's data."""

    prefix: str

    def __call__(self, label: str = "") -> str:
        return f"{self.prefix}-{label}" if label else self.prefix


def new_run(
    store: StoreUnderTest,
    experiment_id: str,
    name: str = "r",
    start: int = START,
    tags: dict[str, str] | None = None,
) -> str:
    return store.tracking.create_run(experiment_id, "alice", start, tags or {}, name).run_id


def pages(fetch: Callable[[str | None], PagedList[T]]) -> list[list[T]]:
    """Every page of a paged call, in order; fails on a token that repeats."""
    found: list[list[T]] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(token)
        found.append(list(page))
        token = page.token
        if not token:
            return found
        assert token not in seen, f"page token {token!r} came back twice"
        seen.add(token)


def given_tags(tags: dict[str, str], user: str = "alice") -> dict[str, str]:
    """A run's tags without ``mlflow.user``, checked to name the run's user if present.

    A tracking server tags each new run with its user, as MLflow's does; a database
    store keeps only the tags it is given (the client adds the user tag before either).
    """
    rest = dict(tags)
    assert rest.pop("mlflow.user", user) == user
    return rest
