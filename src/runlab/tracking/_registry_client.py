"""The model-registry half of :class:`~runlab.tracking.client.RunlabClient`.

MlflowClient keeps its registry methods on the client class itself; so does runlab,
through this mixin, with MlflowClient's names and signatures. The registry store comes
from the registry URI (the tracking URI unless one is given), so a REST registry can
serve ``http(s)://`` URIs without this code changing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStageTransition,
    PagedList,
    RegisteredModel,
    all_pages,
    tags_dict,
)
from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from runlab.entities_logged_models import LoggedModel
    from runlab.store.registry_base import RegistryStore

__all__ = ["RegistryClientMixin"]


def _str_tags(tags: dict[str, Any] | Iterable[Any] | None) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in tags_dict(tags).items()}


class RegistryClientMixin:
    """Registered models, model versions, stages and aliases."""

    tracking_uri: str
    _registry_uri: str | None = None
    _registry: RegistryStore | None = None

    @property
    def registry_uri(self) -> str:
        from runlab.tracking import _registry_uri

        return self._registry_uri or _registry_uri.chosen() or self.tracking_uri

    @property
    def registry_store(self) -> RegistryStore:
        if self._registry is None:
            from runlab.store.uri import get_registry_store

            self._registry = get_registry_store(self.registry_uri)
        return self._registry

    def get_artifact_uri(self, run_id: str, artifact_path: str | None = None) -> str:
        """Provided by the tracking half of the client (``runs:/`` sources resolve with it)."""
        raise NotImplementedError

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """Provided by the logged-model half of the client (``models:/m-<id>`` sources)."""
        raise NotImplementedError

    # ================================================================ registered models
    def create_registered_model(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        """Create an empty registered model; AlreadyExistsError when the name is taken."""
        return self.registry_store.create_registered_model(name, _str_tags(tags), description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.registry_store.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename; versions, aliases, tags and stage history follow."""
        return self.registry_store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        return self.registry_store.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete the model with all of its versions."""
        self.registry_store.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Filter with ``name = / LIKE / ILIKE 'x'`` and ``tags.k = 'v'`` (AND, OR,
        parentheses); order by ``name``, ``creation_timestamp``, ``last_updated_timestamp``."""
        return self.registry_store.search_registered_models(
            filter_string or None, max_results, order_by, page_token
        )

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self.registry_store.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self.registry_store.delete_registered_model_tag(name, key)

    # ================================================================ model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Add the next version of ``name`` with its files at ``source`` (any artifact URI,
        ``runs:/`` or ``models:/`` URI). ``model_id`` (or a ``models:/m-<id>`` source)
        names the MLflow 3 logged model it comes from; a store that keeps logged models
        fills ``run_id`` from it. Versions are READY at once, so ``await_creation_for``
        (kept for MlflowClient compatibility) never waits."""
        from runlab.tracking._context import current_user

        del await_creation_for
        return self.registry_store.create_model_version(
            name,
            source,
            run_id=run_id,
            tags=_str_tags(tags),
            run_link=run_link,
            description=description,
            user_id=current_user(),
            model_id=model_id,
        )

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the version ``src_model_uri`` (any ``models:/`` form) designates as the
        next version of ``dst_name``, created if missing, with its run id, tags, run link
        and description. The copy's ``source`` is the artifact URI of the files, so it
        stays valid if the source model is deleted later."""
        from runlab.tracking import model_uris as uris

        if not uris.is_model_uri(src_model_uri):
            raise InvalidInputError(
                f"src_model_uri {src_model_uri!r}: copy_model_version takes a models:/ URI"
            )
        src = uris.get_model_version_for_uri(src_model_uri, self)
        source = uris.resolve_model_uri(src_model_uri, self)
        try:
            self.create_registered_model(dst_name)
        except AlreadyExistsError:
            pass
        return self.create_model_version(
            dst_name,
            source,
            run_id=src.run_id,
            tags=src.tags,
            run_link=src.run_link,
            description=src.description,
            model_id=src.model_id,
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self.registry_store.get_model_version(name, version)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        return self.registry_store.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        self.registry_store.delete_model_version(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Filter on ``name``, ``version_number``, ``run_id`` (also ``IN (...)``),
        ``source_path``, ``current_stage`` and ``tags.k``; newest update first by default."""
        return self.registry_store.search_model_versions(
            filter_string or None, max_results, order_by, page_token
        )

    def get_run_model_versions(self, run_id: str) -> list[ModelVersion]:
        """Every model version registered from run ``run_id`` (its lineage), oldest first."""
        from runlab.store.filter import Comparison, render

        text = render(Comparison("attribute", "run_id", "=", run_id))
        return all_pages(
            lambda token: self.search_model_versions(
                text, order_by=["creation_timestamp ASC"], page_token=token
            )
        )

    def _version_for(self, name: str, version: int | str | None, stage: str | None) -> int | str:
        """``version``, or the newest version in ``stage`` (MlflowClient's tag helpers
        take either)."""
        if version is not None and stage is not None:
            raise InvalidInputError("pass version or stage, not both")
        if version is not None:
            return version
        if stage is None:
            raise InvalidInputError("pass the version (or a stage to use its newest version)")
        latest = self.get_latest_versions(name, [stage])
        if not latest:
            raise NotFoundError(
                f"registered model {name!r} has no version in stage "
                f"{ModelVersionStage.parse(stage)}"
            )
        return latest[0].version

    def set_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        if key is None:
            raise InvalidInputError("key: a tag key is required")
        target = self._version_for(name, version, stage)
        self.registry_store.set_model_version_tag(name, target, key, value)

    def delete_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        if key is None:
            raise InvalidInputError("key: a tag key is required")
        target = self._version_for(name, version, stage)
        self.registry_store.delete_model_version_tag(name, target, key)

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """The artifact URI of the version's files (a ``runs:/`` or ``models:/`` source
        resolved to the artifact URI behind it)."""
        from runlab.tracking.model_uris import resolve_model_uri

        source = self.registry_store.get_model_version_download_uri(name, version)
        return resolve_model_uri(source, self)

    # ================================================================ stages
    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to None, Staging, Production or Archived (any case). With
        ``archive_existing_versions``, the other versions in that stage are archived."""
        from runlab.tracking._context import current_user

        return self.registry_store.transition_model_version_stage(
            name, version, stage, archive_existing_versions, user_id=current_user()
        )

    def get_model_version_stages(self, name: str, version: int | str) -> list[str]:
        """The stages a version can be in."""
        del name, version
        return list(ModelVersionStage.ALL)

    def get_model_version_stage_history(
        self, name: str, version: int | str
    ) -> list[ModelVersionStageTransition]:
        """Every stage change of a version, oldest first: who, when, from and to."""
        return self.registry_store.get_model_version_stage_history(name, version)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (in every stage when None)."""
        if isinstance(stages, str):
            stages = [stages]
        return self.registry_store.get_latest_versions(name, stages)

    # ================================================================ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` at ``version``; an alias already in use moves."""
        self.registry_store.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self.registry_store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self.registry_store.get_model_version_by_alias(name, alias)
