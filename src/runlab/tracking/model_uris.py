"""``runs:/`` and ``models:/`` URIs, resolved to the artifact URI where the files are.

=====================================  ===================================================
URI                                    resolves to
=====================================  ===================================================
``runs:/<run_id>/<path>``              the run's artifact URI joined with ``<path>``
``models:/<name>/<version>``           that version's source
``models:/<name>@<alias>``             the source of the version the alias points at
``models:/<name>/<stage>``             the source of the newest version in that stage
``models:/<name>/latest``              the source of the newest version of the model
``models:/m-<id>``                     the artifact location of that logged model
anything else                          itself (an artifact URI or a local path)
=====================================  ===================================================

A source that is itself a ``runs:/`` or ``models:/`` URI is resolved in turn.

Resolving asks a client (anything with :class:`ModelLookup`'s methods, such as
:class:`runlab.RunlabClient`); :mod:`runlab.registry.uris` adds the current client as
the default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from runlab.entities import ModelVersion, ModelVersionStage, RegisteredModel
from runlab.entities_logged_models import LoggedModel
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.registry_base import logged_model_of_source

__all__ = [
    "ModelLookup",
    "ModelReference",
    "RunReference",
    "get_model_version_for_uri",
    "is_model_uri",
    "is_runs_uri",
    "parse_model_uri",
    "parse_runs_uri",
    "resolve_model_uri",
]

T = TypeVar("T")
_MAX_HOPS = 10  # sources pointing at sources: more than this is a loop
_MODELS_FORMS = (
    "models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest "
    "or models:/<name>@<alias>"
)


class ModelLookup(Protocol):
    """What resolving a URI asks of a client."""

    def get_model_version(self, name: str, version: int | str) -> ModelVersion: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = ...,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Sequence[ModelVersion]: ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def get_artifact_uri(self, run_id: str, artifact_path: str | None = None) -> str: ...

    def get_logged_model(self, model_id: str) -> LoggedModel: ...


@dataclass(frozen=True)
class RunReference:
    run_id: str
    path: str  # "" for the run's artifact root


@dataclass(frozen=True)
class ModelReference:
    """Exactly one of ``version``, ``stage``, ``alias`` is set, or ``latest`` is True."""

    name: str
    version: int | None = None
    stage: str | None = None
    alias: str | None = None
    latest: bool = False


def _scheme(uri: str) -> str:
    return urlsplit(uri).scheme.lower()


def is_runs_uri(uri: str) -> bool:
    return _scheme(uri) == "runs"


def is_model_uri(uri: str) -> bool:
    return _scheme(uri) == "models"


def _path_of(uri: str, scheme: str, form: str) -> str:
    parts = urlsplit(uri)
    if parts.netloc:
        raise InvalidInputError(
            f"{scheme} URI {uri!r}: a host part ({parts.netloc!r}) is not supported; write {form}"
        )
    if parts.query or parts.fragment:
        raise InvalidInputError(f"{scheme} URI {uri!r}: no query or fragment allowed; write {form}")
    return parts.path.strip("/")


def parse_runs_uri(uri: str) -> RunReference:
    """``runs:/<run_id>/<path>`` → (run_id, path)."""
    path = _path_of(uri, "runs:/", "runs:/<run_id>/<path>")
    run_id, _, rest = path.partition("/")
    if not run_id:
        raise InvalidInputError(f"runs:/ URI {uri!r} names no run id; write runs:/<run_id>/<path>")
    return RunReference(run_id, rest.strip("/"))


def parse_model_uri(uri: str) -> ModelReference:
    """Split a ``models:/`` URI into the model name and what selects the version."""
    path = _path_of(uri, "models:/", _MODELS_FORMS)
    parts = path.split("/")
    if len(parts) == 1 and "@" in parts[0]:
        name, _, alias = parts[0].rpartition("@")
        if not name or not alias:
            raise InvalidInputError(
                f"models:/ URI {uri!r}: the model name and the alias must both be non-empty; "
                f"write {_MODELS_FORMS}"
            )
        return ModelReference(name, alias=alias)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise InvalidInputError(f"models:/ URI {uri!r} is not one of {_MODELS_FORMS}")
    name, selector = parts
    if selector.isdigit():
        return ModelReference(name, version=int(selector))
    if selector.lower() == "latest":
        return ModelReference(name, latest=True)
    try:
        return ModelReference(name, stage=ModelVersionStage.parse(selector))
    except InvalidInputError:
        raise InvalidInputError(
            f"models:/ URI {uri!r}: {selector!r} is neither a version number, 'latest' nor a "
            f"stage ({', '.join(ModelVersionStage.ALL)})"
        ) from None


def get_model_version_for_uri(uri: str, client: ModelLookup) -> ModelVersion:
    """The model version a ``models:/`` URI designates."""
    ref = parse_model_uri(uri)
    version, alias, stage = ref.version, ref.alias, ref.stage
    if version is not None:
        return _named(uri, lambda: client.get_model_version(ref.name, version))
    if alias is not None:
        return _named(uri, lambda: client.get_model_version_by_alias(ref.name, alias))
    if stage is not None:
        found = _named(uri, lambda: client.get_latest_versions(ref.name, [stage]))
        if not found:
            raise NotFoundError(
                f"{uri!r}: registered model {ref.name!r} has no version in stage {stage}"
            )
        return found[0]
    newest = _named(
        uri,
        lambda: client.search_model_versions(
            _name_filter(ref.name), max_results=1, order_by=["version_number DESC"]
        ),
    )
    if not newest:
        _named(uri, lambda: client.get_registered_model(ref.name))  # names a missing model
        raise NotFoundError(f"{uri!r}: registered model {ref.name!r} has no versions")
    return newest[0]


def resolve_model_uri(uri: str, client: ModelLookup) -> str:
    """The artifact URI behind a ``runs:/`` or ``models:/`` URI (see the table above);
    any other URI comes back unchanged."""
    current = uri
    for _ in range(_MAX_HOPS):
        if is_runs_uri(current):
            return _run_artifact_uri(current, client)
        if not is_model_uri(current):
            return current
        model_id = logged_model_of_source(current)
        if model_id is not None:  # MLflow 3's logged model, as log_model makes
            found = _named(current, lambda: client.get_logged_model(model_id))  # noqa: B023
            return found.artifact_location
        version = get_model_version_for_uri(current, client)
        if not version.source:
            raise NotFoundError(f"{current!r}: model version {version.version} has no source")
        current = version.source
    raise InvalidInputError(
        f"{uri!r}: model sources refer to each other more than {_MAX_HOPS} times (a loop?)"
    )


def _run_artifact_uri(uri: str, client: ModelLookup) -> str:
    run = parse_runs_uri(uri)
    return _named(uri, lambda: client.get_artifact_uri(run.run_id, run.path or None))


def _name_filter(name: str) -> str:
    from runlab.store.filter import Comparison, render

    return render(Comparison("attribute", "name", "=", name))


def _named(uri: str, call: Callable[[], T]) -> T:
    """Run ``call``; a NotFoundError says which URI it came from."""
    try:
        return call()
    except NotFoundError as exc:
        raise NotFoundError(f"{uri!r}: {exc.message}") from None
