"""Lightning checkpoints logged to the run by runlab.pytorch.MlflowModelCheckpointCallback,
and loaded back with runlab.pytorch.load_checkpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from tests.autolog.test_autolog_pytorch import _data, _module, _trainer

import runlab
from runlab.errors import InvalidInputError, NotFoundError

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:lightning.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*does not have many workers.*"),
]


def _files(run_id: str, path: str) -> set[str]:
    return {f.path for f in runlab.MlflowClient().list_artifacts(run_id, path)}


def _weights(module: Any) -> list[Any]:
    return [p.detach().clone() for p in module.parameters()]


def test_best_only_keeps_one_checkpoint_of_the_best_epoch() -> None:
    _x, _y, train, val = _data()
    net = _module(lr=0.05)
    callback = runlab.pytorch.MlflowModelCheckpointCallback(monitor="val_loss", mode="min")
    with runlab.start_run() as run:
        _trainer(3, [callback]).fit(net, train, val)
    run_id = run.info.run_id
    tags = runlab.get_run(run_id).data.tags
    assert tags["mlflow.latest_checkpoint_artifact"] == "checkpoints/latest_checkpoint.pth"
    assert _files(run_id, "checkpoints") == {
        "checkpoints/latest_checkpoint.pth",
        "checkpoints/latest_checkpoint_metrics.json",
    }
    saved = json.loads(
        runlab.artifacts.load_text(f"runs:/{run_id}/checkpoints/latest_checkpoint_metrics.json")
    )
    assert saved["val_loss"] == pytest.approx(callback.best)
    assert saved["epoch"] in (0, 1, 2)
    assert saved["global_step"] > 0

    loaded = runlab.pytorch.load_checkpoint(type(net), run_id)
    assert loaded.hparams.lr == 0.05
    x = torch.randn(5, 4)
    assert loaded(x).shape == (5, 3)


def test_every_epoch_is_kept_and_any_can_be_loaded() -> None:
    _x, _y, train, val = _data()
    net = _module()
    callback = runlab.pytorch.MlflowModelCheckpointCallback(save_best_only=False)
    with runlab.start_run() as run:
        _trainer(2, [callback]).fit(net, train, val)
        final = _weights(net)
        latest = runlab.pytorch.load_checkpoint(type(net))  # the active run
    run_id = run.info.run_id
    assert _files(run_id, "checkpoints") == {"checkpoints/epoch_0", "checkpoints/epoch_1"}
    assert _files(run_id, "checkpoints/epoch_1") == {
        "checkpoints/epoch_1/checkpoint.pth",
        "checkpoints/epoch_1/checkpoint_metrics.json",
    }
    for got, want in zip(_weights(latest), final, strict=True):
        assert torch.equal(got, want)
    first = runlab.pytorch.load_checkpoint(type(net), run_id, epoch=0)
    assert not all(torch.equal(a, b) for a, b in zip(_weights(first), final, strict=True))
    with pytest.raises(NotFoundError, match="epoch_5"):
        runlab.pytorch.load_checkpoint(type(net), run_id, epoch=5)
    with pytest.raises(InvalidInputError, match="not both"):
        runlab.pytorch.load_checkpoint(type(net), run_id, epoch=0, global_step=1)


def test_saving_every_n_batches_names_the_global_step() -> None:
    _x, _y, train, val = _data()  # 3 batches per epoch
    net = _module()
    callback = runlab.pytorch.MlflowModelCheckpointCallback(
        save_best_only=False, save_weights_only=True, save_freq=3
    )
    with runlab.start_run() as run:
        _trainer(2, [callback]).fit(net, train, val)
    assert _files(run.info.run_id, "checkpoints") == {
        "checkpoints/global_step_3",
        "checkpoints/global_step_6",
    }
    tag = runlab.get_run(run.info.run_id).data.tags["mlflow.latest_checkpoint_artifact"]
    assert tag == "checkpoints/global_step_6/checkpoint.weights.pth"


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"monitor": None}, "monitor"),
        ({"mode": "lowest"}, "mode"),
        ({"save_freq": 0}, "save_freq"),
        ({"save_freq": "batch"}, "save_freq"),
    ],
)
def test_bad_callback_settings_name_the_field(keywords: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        runlab.pytorch.MlflowModelCheckpointCallback(**keywords)


def test_load_checkpoint_without_a_checkpoint_or_a_run() -> None:
    net = _module()
    with pytest.raises(InvalidInputError, match="run_id"):
        runlab.pytorch.load_checkpoint(type(net))
    with runlab.start_run() as run:
        pass
    with pytest.raises(NotFoundError, match="no logged checkpoint"):
        runlab.pytorch.load_checkpoint(type(net), run.info.run_id)
