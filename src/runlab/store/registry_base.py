"""The model-registry contract every registry backend implements (SQL today, REST next),
and the rules on names, versions, aliases and tags that all of them enforce.

A registered model has a unique name; its versions are numbered 1, 2, 3… in the order
they were created, and a number is never handed out twice, even after a deletion. Each
version sits in one stage (``None``, ``Staging``, ``Production``, ``Archived``) and may
carry aliases (``champion``) that are unique within its model.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from runlab import _validation as check
from runlab.entities import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStageTransition,
    PagedList,
    RegisteredModel,
)
from runlab.errors import InvalidInputError
from runlab.store.imports import ModelRecord

__all__ = [
    "MAX_ALIAS_LENGTH",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_MODEL_NAME_LENGTH",
    "MAX_RESULTS_SEARCH_MODEL_VERSIONS",
    "MAX_RESULTS_SEARCH_REGISTERED_MODELS",
    "MAX_TAG_VALUE_LENGTH",
    "RegistryStore",
    "check_alias",
    "check_description",
    "check_model_name",
    "check_source",
    "check_tag",
    "check_version",
]

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
MAX_TAG_VALUE_LENGTH = 100_000
MAX_SOURCE_LENGTH = 5000
DEFAULT_MAX_RESULTS_REGISTERED_MODELS = 100
MAX_RESULTS_SEARCH_REGISTERED_MODELS = 1000
DEFAULT_MAX_RESULTS_MODEL_VERSIONS = 10_000
MAX_RESULTS_SEARCH_MODEL_VERSIONS = 200_000

_ALIAS_RE = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")  # "v3" would shadow the version-3 URI


# ----------------------------------------------------------------------------- rules


def check_model_name(name: Any, field: str = "name") -> str:
    """A model name: non-empty, at most 256 characters, no '/' or ':' (they would make
    ``models:/<name>/<version>`` URIs ambiguous)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"registered model {field} must be a non-empty string")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidInputError(
            f"registered model {field} is {len(name)} characters; the limit is "
            f"{MAX_MODEL_NAME_LENGTH}"
        )
    if "/" in name or ":" in name:
        raise InvalidInputError(
            f"registered model {field} {name!r} must not contain '/' or ':' (they separate "
            "the parts of a models:/ URI)"
        )
    return name


def check_version(version: Any) -> int:
    """A version number: a positive integer, or its text ("3")."""
    if isinstance(version, bool):
        raise InvalidInputError(f"version {version!r} is not a positive integer")
    try:
        number = int(str(version).strip()) if isinstance(version, str) else int(version)
    except (TypeError, ValueError):
        raise InvalidInputError(f"version {version!r} is not a positive integer") from None
    if number < 1 or number >= 2**31:
        raise InvalidInputError(f"version {version!r} is not a positive integer below 2^31")
    return number


def check_alias(alias: Any) -> str:
    """An alias: letters, digits, '_' and '-', at most 255 characters, and neither
    ``latest`` nor ``v<N>`` (those already mean something in a models:/ URI)."""
    if not isinstance(alias, str) or not alias:
        raise InvalidInputError("alias must be a non-empty string")
    if not _ALIAS_RE.match(alias):
        raise InvalidInputError(f"alias {alias!r} may contain only letters, digits, '_' and '-'")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidInputError(
            f"alias is {len(alias)} characters; the limit is {MAX_ALIAS_LENGTH}"
        )
    if alias.lower() == "latest":
        raise InvalidInputError(
            "alias 'latest' is reserved (models:/<name>@latest is the newest version)"
        )
    if _VERSION_ALIAS_RE.match(alias):
        raise InvalidInputError(
            f"alias {alias!r} is reserved: v<number> names a version, not an alias"
        )
    return alias


def check_tag(kind: str, key: Any, value: Any) -> tuple[str, str]:
    """A registry tag: the run-tag key rules, a value of at most 100,000 characters."""
    return check.key(kind, key), check.tag_value(key, value, MAX_TAG_VALUE_LENGTH)


def check_description(description: Any) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise InvalidInputError(f"description must be a string, got {type(description).__name__}")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInputError(
            f"description is {len(description)} characters; the limit is {MAX_DESCRIPTION_LENGTH}"
        )
    return description


def check_source(source: Any) -> str:
    if not isinstance(source, str) or not source.strip():
        raise InvalidInputError("source must be a non-empty URI of the model's files")
    if len(source) > MAX_SOURCE_LENGTH:
        raise InvalidInputError(
            f"source is {len(source)} characters; the limit is {MAX_SOURCE_LENGTH}"
        )
    return source


def check_model_id(model_id: Any) -> str | None:
    """A logged model id (``m-`` and 32 hex digits, as MLflow makes them), or None."""
    if model_id is None or model_id == "":
        return None
    if not isinstance(model_id, str) or not _LOGGED_MODEL_ID.fullmatch(model_id):
        raise InvalidInputError(
            f"model_id {model_id!r} is not a logged model id ('m-' and 32 hex digits)"
        )
    return model_id


_LOGGED_MODEL_ID = re.compile(r"m-[0-9a-f]{32}")


def logged_model_of_source(source: str) -> str | None:
    """The id in a ``models:/m-<id>`` URI, else None (``models:/<name>/<version>`` and
    other URIs name no logged model)."""
    parts = urlsplit(source)
    if parts.scheme != "models" or parts.netloc or parts.query or parts.fragment:
        return None
    path = parts.path.strip("/")
    if "/" in path or not path.startswith("m-"):
        return None
    try:
        return check_model_id(path)
    except InvalidInputError:
        return None


# ----------------------------------------------------------------------------- the contract


class RegistryStore(abc.ABC):
    """Registered models, their versions, stages, aliases and tags.

    Unknown models, versions and aliases raise NotFoundError naming them; a taken name
    raises AlreadyExistsError; a bad name, version, stage or alias raises
    InvalidInputError naming the rule.

    The methods whose arguments follow the rules above are concrete here: they check
    the arguments once, for every backend, then call the backend's ``_<method>`` with
    clean values (version numbers as ints, stages spelt canonically). A backend
    implements those hooks and the other abstract methods.
    """

    # ---------------------------------------------------------------- registered models
    def create_registered_model(
        self,
        name: str,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        return self._create_registered_model(check_model_name(name), tags, description)

    @abc.abstractmethod
    def _create_registered_model(
        self, name: str, tags: dict[str, str] | None, description: str | None
    ) -> RegisteredModel: ...

    @abc.abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename; the versions, aliases, tags and stage history follow the model."""
        return self._rename_registered_model(name, check_model_name(new_name, "new_name"))

    @abc.abstractmethod
    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abc.abstractmethod
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    @abc.abstractmethod
    def delete_registered_model(self, name: str) -> None:
        """Delete the model with all of its versions, aliases and tags."""

    @abc.abstractmethod
    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS_REGISTERED_MODELS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Filter on ``name`` and ``tags.<key>``; order by ``name``,
        ``creation_timestamp`` (or ``timestamp``) and ``last_updated_timestamp``."""

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._set_registered_model_tag(name, *check_tag("registered model tag", key, value))

    @abc.abstractmethod
    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # ---------------------------------------------------------------- model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        user_id: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Add the next version of model ``name`` (which must exist); numbering is safe
        against concurrent callers in other processes.

        A store that keeps MLflow 3 logged models fills the lineage as MLflow does: a
        ``models:/m-<id>`` source (or ``model_id``) gives the logged model's id and, unless
        ``run_id`` is given, its source run; a ``runs:/<run>/<path>`` source naming a
        logged model of that run becomes that model's ``models:/m-<id>``."""
        return self._create_model_version(
            name,
            check_source(source),
            run_id,
            tags,
            run_link,
            description,
            user_id,
            check_model_id(model_id),
        )

    @abc.abstractmethod
    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: dict[str, str] | None,
        run_link: str | None,
        description: str | None,
        user_id: str | None,
        model_id: str | None,
    ) -> ModelVersion: ...

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._get_model_version(name, check_version(version))

    @abc.abstractmethod
    def _get_model_version(self, name: str, version: int) -> ModelVersion: ...

    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion:
        return self._update_model_version(name, check_version(version), description)

    @abc.abstractmethod
    def _update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion: ...

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete the version with its tags, aliases and stage history."""
        self._delete_model_version(name, check_version(version))

    @abc.abstractmethod
    def _delete_model_version(self, name: str, version: int) -> None: ...

    @abc.abstractmethod
    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS_MODEL_VERSIONS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Filter on ``name``, ``version_number``, ``run_id``, ``source_path`` and
        ``tags.<key>``; order by ``name``, ``version_number``, ``creation_timestamp``
        and ``last_updated_timestamp``."""

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: str) -> None:
        number = check_version(version)
        self._set_model_version_tag(name, number, *check_tag("model version tag", key, value))

    @abc.abstractmethod
    def _set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        self._delete_model_version_tag(name, check_version(version), key)

    @abc.abstractmethod
    def _delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        user_id: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage`` and record the transition. With
        ``archive_existing_versions`` (Staging and Production only) the other versions in
        that stage move to Archived, each transition recorded too."""
        number = check_version(version)
        return self._transition_model_version_stage(
            name, number, ModelVersionStage.parse(stage), archive_existing_versions, user_id
        )

    @abc.abstractmethod
    def _transition_model_version_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing_versions: bool,
        user_id: str | None,
    ) -> ModelVersion: ...

    def get_model_version_stage_history(
        self, name: str, version: int | str
    ) -> list[ModelVersionStageTransition]:
        """The recorded transitions of one version, oldest first."""
        return self._get_model_version_stage_history(name, check_version(version))

    @abc.abstractmethod
    def _get_model_version_stage_history(
        self, name: str, version: int
    ) -> list[ModelVersionStageTransition]: ...

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The highest version in each of ``stages`` (every stage when None or empty)."""
        wanted = [ModelVersionStage.parse(s) for s in stages] if stages else None
        return self._get_latest_versions(name, wanted)

    @abc.abstractmethod
    def _get_latest_versions(self, name: str, stages: list[str] | None) -> list[ModelVersion]:
        """``stages`` is None for every stage."""

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files are: its ``source``."""
        return self._get_model_version_download_uri(name, check_version(version))

    @abc.abstractmethod
    def _get_model_version_download_uri(self, name: str, version: int) -> str: ...

    # ---------------------------------------------------------------- aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` at ``version``, moving it if it pointed elsewhere."""
        alias = check_alias(alias)
        self._set_registered_model_alias(name, alias, check_version(version))

    @abc.abstractmethod
    def _set_registered_model_alias(self, name: str, alias: str, version: int) -> None: ...

    @abc.abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abc.abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # ---------------------------------------------------------------- imports
    @abc.abstractmethod
    def import_registered_model(self, record: ModelRecord) -> list[int]:
        """Take in a registered model made elsewhere; the version numbers added.

        A model of the same name is the same model: its tags are set, and of the
        versions only those it lacks are added. Versions keep their numbers, times,
        stages, users, sources, tags and recorded transitions; aliases are set last.
        Stores that number versions themselves keep the numbers as far as they can.
        """

    # ---------------------------------------------------------------- lifecycle
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds (a store sharing a database leaves it open)."""
