"""RestRegistryStore: the model registry of a tracking server (runlab's or MLflow's).

Every method is one endpoint of MLflow's model-registry REST API under
``/api/2.0/mlflow/``; RegistryStore checks names, versions, aliases and tags before a
request leaves, the server validates the rest and stores, and its JSON errors come back
as runlab's error classes. Version numbers travel as strings and come back as ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlab import wire
from runlab.entities import (
    ModelVersion,
    ModelVersionStageTransition,
    PagedList,
    RegisteredModel,
)
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store import registry_base as rules
from runlab.store.imports import ModelRecord
from runlab.store.registry_base import RegistryStore
from runlab.store.rest._http import HttpSession

__all__ = ["RestRegistryStore"]

API = "/api/2.0/mlflow"


class RestRegistryStore(RegistryStore):
    """Registered models and versions kept by the tracking server at ``tracking_uri``."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.http = HttpSession(self.tracking_uri)

    def __repr__(self) -> str:
        return f"RestRegistryStore({self.tracking_uri!r})"

    def close(self) -> None:
        """Nothing to release: connections belong to the process-wide pool of this server."""

    def import_registered_model(self, record: ModelRecord) -> list[int]:
        from runlab.store.rest import _import

        return _import.import_registered_model(self, record)

    def _call(
        self, method: str, endpoint: str, repeatable: bool = True, **fields: Any
    ) -> dict[str, Any]:
        values = {k: v for k, v in fields.items() if v is not None}
        path = f"{API}/{endpoint}"
        if method == "GET":
            return self.http.call("GET", path, params=values, repeatable=True)
        return self.http.call(method, path, body=values, repeatable=repeatable)

    # ---------------------------------------------------------------- registered models
    def _create_registered_model(
        self, name: str, tags: dict[str, str] | None, description: str | None
    ) -> RegisteredModel:
        answer = self._call(
            "POST",
            "registered-models/create",
            repeatable=False,
            name=name,
            tags=wire.key_values(tags or {}),
            description=description,
        )
        return wire.registered_model_from_json(answer["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        answer = self._call("GET", "registered-models/get", name=name)
        return wire.registered_model_from_json(answer["registered_model"])

    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        answer = self._call(
            "POST", "registered-models/rename", repeatable=False, name=name, new_name=new_name
        )
        return wire.registered_model_from_json(answer["registered_model"])

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        answer = self._call(
            "PATCH", "registered-models/update", name=name, description=description or ""
        )
        return wire.registered_model_from_json(answer["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", "registered-models/delete", repeatable=False, name=name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = rules.DEFAULT_MAX_RESULTS_REGISTERED_MODELS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        answer = self._call(
            "GET",
            "registered-models/search",
            filter=filter_string or None,
            max_results=max_results,
            order_by=list(order_by) if order_by else None,
            page_token=page_token or None,
        )
        found = [wire.registered_model_from_json(m) for m in answer.get("registered_models") or ()]
        return PagedList(found, answer.get("next_page_token") or None)

    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._call("POST", "registered-models/set-tag", name=name, key=key, value=value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", "registered-models/delete-tag", repeatable=False, name=name, key=key)

    # ---------------------------------------------------------------- model versions
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
    ) -> ModelVersion:
        del user_id  # the server knows who is calling
        answer = self._call(
            "POST",
            "model-versions/create",
            repeatable=False,
            name=name,
            source=source,
            run_id=run_id,
            tags=wire.key_values(tags or {}),
            run_link=run_link,
            description=description,
            model_id=model_id,
        )
        return wire.model_version_from_json(answer["model_version"])

    def _get_model_version(self, name: str, version: int) -> ModelVersion:
        answer = self._call("GET", "model-versions/get", name=name, version=str(version))
        return wire.model_version_from_json(answer["model_version"])

    def _update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        answer = self._call(
            "PATCH",
            "model-versions/update",
            name=name,
            version=str(version),
            description=description or "",
        )
        return wire.model_version_from_json(answer["model_version"])

    def _delete_model_version(self, name: str, version: int) -> None:
        self._call(
            "DELETE", "model-versions/delete", repeatable=False, name=name, version=str(version)
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = rules.DEFAULT_MAX_RESULTS_MODEL_VERSIONS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        answer = self._call(
            "GET",
            "model-versions/search",
            filter=filter_string or None,
            max_results=max_results,
            order_by=list(order_by) if order_by else None,
            page_token=page_token or None,
        )
        found = [wire.model_version_from_json(v) for v in answer.get("model_versions") or ()]
        return PagedList(found, answer.get("next_page_token") or None)

    def _set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        self._call(
            "POST",
            "model-versions/set-tag",
            name=name,
            version=str(version),
            key=key,
            value=value,
        )

    def _delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        self._call(
            "DELETE",
            "model-versions/delete-tag",
            repeatable=False,
            name=name,
            version=str(version),
            key=key,
        )

    def _transition_model_version_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing_versions: bool,
        user_id: str | None,
    ) -> ModelVersion:
        del user_id  # the server knows who is calling
        answer = self._call(
            "POST",
            "model-versions/transition-stage",
            name=name,
            version=str(version),
            stage=stage,
            archive_existing_versions=bool(archive_existing_versions),
        )
        return wire.model_version_from_json(answer["model_version"])

    def _get_model_version_stage_history(
        self, name: str, version: int
    ) -> list[ModelVersionStageTransition]:
        """runlab servers only: MLflow's server keeps no stage history."""
        answer = self._call("GET", "model-versions/stage-history", name=name, version=str(version))
        return [
            ModelVersionStageTransition(
                name=str(t["name"]),
                version=int(t["version"]),
                from_stage=str(t["from_stage"]),
                to_stage=str(t["to_stage"]),
                user_id=t.get("user_id") or None,
                timestamp=int(t["timestamp"]),
            )
            for t in answer.get("transitions") or ()
        ]

    def _get_latest_versions(self, name: str, stages: list[str] | None) -> list[ModelVersion]:
        answer = self._call(
            "POST", "registered-models/get-latest-versions", name=name, stages=stages or []
        )
        return [wire.model_version_from_json(v) for v in answer.get("model_versions") or ()]

    def _get_model_version_download_uri(self, name: str, version: int) -> str:
        answer = self._call(
            "GET", "model-versions/get-download-uri", name=name, version=str(version)
        )
        return str(answer["artifact_uri"])

    # ---------------------------------------------------------------- aliases
    def _set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        self._call("POST", "registered-models/alias", name=name, alias=alias, version=str(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", "registered-models/alias", repeatable=False, name=name, alias=alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        try:
            answer = self._call("GET", "registered-models/alias", name=name, alias=alias)
        except InvalidInputError as exc:
            # MLflow's server reports a missing alias as an invalid parameter.
            if "not found" not in exc.message.lower():
                raise
            raise NotFoundError(f"registered model {name!r} has no alias {alias!r}") from exc
        return wire.model_version_from_json(answer["model_version"])
