"""MLflow 3's external models: create_external_model and import_checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

import runlab
from runlab.entities_logged_models import LoggedModelStatus
from runlab.errors import InvalidInputError, NotFoundError


def test_create_external_model_is_ready_tagged_and_registrable(tracking: str) -> None:
    with runlab.start_run() as run:
        model = runlab.create_external_model(
            name="agent", params={"temperature": "0.2"}, tags={"team": "a"}, model_type="agent"
        )
    assert model.status == LoggedModelStatus.READY
    assert model.source_run_id == run.info.run_id
    assert model.experiment_id == run.info.experiment_id
    assert model.tags == {"team": "a", "mlflow.model.isExternal": "true"}
    assert model.params == {"temperature": "0.2"}
    assert model.model_type == "agent"
    assert runlab.last_logged_model().model_id == model.model_id  # type: ignore[union-attr]
    info = runlab.models.get_model_info(f"models:/{model.model_id}")
    assert info.model_id == model.model_id
    assert info.flavors == {}
    assert info.metadata == {"mlflow.model.isExternal": True}
    version = runlab.register_model(f"models:/{model.model_id}", "external-agent")
    assert version.version == 1
    assert version.model_id == model.model_id


def test_create_external_model_outside_a_run_uses_the_current_experiment(tracking: str) -> None:
    experiment_id = runlab.set_experiment("outside").experiment_id
    model = runlab.create_external_model()
    assert model.source_run_id is None
    assert model.experiment_id == experiment_id
    assert model.name  # a generated one


def test_import_checkpoints_makes_one_model_per_entry_and_reuses_them(
    tracking: str, tmp_path: Path
) -> None:
    folder = tmp_path / "ckpt"
    (folder / "epoch-1").mkdir(parents=True)
    (folder / "epoch-2.pt").write_bytes(b"weights")
    with runlab.start_run() as run:
        first = runlab.import_checkpoints(str(folder), model_prefix="net-")
        again = runlab.import_checkpoints(f"file://{folder}")
        same = runlab.import_checkpoints(str(folder), model_prefix="net-")
    assert [m.name for m in first] == ["net-epoch-1", "net-epoch-2.pt"]
    for model, entry in zip(first, ["epoch-1", "epoch-2.pt"], strict=True):
        assert model.source_run_id == run.info.run_id
        assert model.tags["original_artifact_path"] == str(folder / entry)
        assert model.tags["mlflow.model.isExternal"] == "true"
    assert [m.name for m in again] == ["epoch-1", "epoch-2.pt"]
    assert [m.model_id for m in same] == [m.model_id for m in first]

    replaced = runlab.import_checkpoints(
        str(folder), source_run_id=run.info.run_id, model_prefix="net-", overwrite_checkpoints=True
    )
    assert {m.model_id for m in replaced}.isdisjoint(m.model_id for m in first)
    with pytest.raises(NotFoundError):
        runlab.get_logged_model(first[0].model_id)


def test_import_checkpoints_mistakes(tracking: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="source_run_id"):
        runlab.import_checkpoints(str(tmp_path))
    with runlab.start_run():
        with pytest.raises(NotFoundError, match="checkpoint_path"):
            runlab.import_checkpoints(str(tmp_path / "missing"))
        with pytest.raises(InvalidInputError, match="local folder"):
            runlab.import_checkpoints("s3://bucket/ckpt")
        (tmp_path / "empty").mkdir()
        with pytest.warns(UserWarning, match="no checkpoints"):
            assert runlab.import_checkpoints(str(tmp_path / "empty")) == []
