"""The registry URI chosen with ``runlab.set_registry_uri`` (None: the tracking URI's).

Kept apart from the fluent state so every client made afterwards, fluent or not,
uses it, as MlflowClient does."""

from __future__ import annotations

_chosen: str | None = None


def chosen() -> str | None:
    return _chosen


def choose(uri: str | None) -> None:
    global _chosen
    _chosen = uri
