"""PyTorch autologging: a tiny Lightning module and a plain loop with SummaryWriter, on CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from tests.autolog._helpers import artifacts, history, only_run

import runlab

# Lightning's advice for real trainings (more dataloader workers, a logger, a GPU).
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:lightning.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*does not have many workers.*"),
]


def _data() -> tuple[Any, Any, Any, Any]:
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    x = torch.randn(96, 4)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    train = DataLoader(TensorDataset(x, y), batch_size=32)
    val = DataLoader(TensorDataset(x[:48], y[:48]), batch_size=24)
    return x, y, train, val


def _module(lr: float = 0.1) -> Any:
    import lightning.pytorch as pl

    class Net(pl.LightningModule):
        def __init__(self, lr: float, arch: dict[str, Any]) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(4, 3)

        def forward(self, x: Any) -> Any:
            return self.layer(x)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self(x), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self(x), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    return Net(lr, {"hidden": 0, "act": "none"})


def _trainer(epochs: int, callbacks: list[Any] | None = None) -> Any:
    import lightning.pytorch as pl

    return pl.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks or [],
    )


def test_lightning_fit_records_params_epochs_models_and_datasets() -> None:
    runlab.pytorch.autolog(log_input_examples=True)
    x, _, train, val = _data()
    net = _module(lr=0.05)
    _trainer(4).fit(net, train, val)

    run = only_run()
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "pytorch"
    params = run.data.params
    assert params["epochs"] == "4"
    assert params["optimizer_name"] == "Adam"
    assert params["lr"] == "0.05"
    assert params["betas"] == "(0.9, 0.999)"
    assert params["arch.hidden"] == "0"  # nested hparams, flattened with dots
    assert params["arch.act"] == "none"
    train_loss = history(run.info.run_id, "train_loss")
    val_loss = history(run.info.run_id, "val_loss")
    assert [s for s, _ in train_loss] == [0, 1, 2, 3]
    assert [s for s, _ in val_loss] == [0, 1, 2, 3]
    assert train_loss[-1][1] < train_loss[0][1]
    best_epoch, best_value = min(enumerate(v for _, v in val_loss), key=lambda t: t[1])
    assert run.data.metrics["best_epoch"] == best_epoch
    assert run.data.metrics["best_val_loss"] == pytest.approx(best_value)

    assert {"model", "best_model"} <= artifacts(run.info.run_id)
    loaded = runlab.pytorch.load_model(f"runs:/{run.info.run_id}/model")
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))
    pyfunc = runlab.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert pyfunc.metadata.signature is not None
    assert "model/input_example.json" in artifacts(run.info.run_id, "model")
    best = runlab.pytorch.load_model(f"runs:/{run.info.run_id}/best_model")
    assert isinstance(best, type(net))

    contexts = {
        {t.key: t.value for t in d.tags}["mlflow.data.context"]: d.dataset
        for d in run.inputs.dataset_inputs
    }
    assert set(contexts) == {"train", "eval"}
    assert '"shape": [96, 4]' in contexts["train"].schema
    assert '"shape": [48, 4]' in contexts["eval"].schema


def test_lightning_early_stopping_facts() -> None:
    import lightning.pytorch as pl

    runlab.autolog()
    _, _, train, val = _data()
    # A huge min_delta: no epoch counts as an improvement, so training stops early.
    stop = pl.callbacks.EarlyStopping("val_loss", patience=1, min_delta=10.0)
    with runlab.start_run() as run:
        _trainer(20, [stop]).fit(_module(), train, val)
    stored = runlab.get_run(run.info.run_id)
    assert stored.data.params["monitor"] == "val_loss"
    assert stored.data.params["patience"] == "1"
    assert stop.stopped_epoch > 0
    assert stored.data.metrics["stopped_epoch"] == stop.stopped_epoch
    assert stored.data.metrics["restored_epoch"] == stop.stopped_epoch - 1
    assert len(history(run.info.run_id, "val_loss")) == stop.stopped_epoch + 1


def test_summary_writer_calls_become_metrics_and_params(tmp_path: Path) -> None:
    import runlab as mlflow

    mlflow.pytorch.autolog()
    from torch.utils.tensorboard import SummaryWriter

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(64, 3), torch.randn(64, 1)
    writer = SummaryWriter(log_dir=str(tmp_path / "tb"))
    losses = []
    for step in range(5):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        writer.add_scalar("loss/train", loss, step)
        writer.add_scalars("lr", {"group0": 0.1}, step)
    writer.add_hparams({"lr": 0.1, "optimizer": "SGD"}, {"hparam/final_loss": losses[-1]})
    assert runlab.active_run() is not None  # the writer's run, until it closes
    writer.close()
    assert runlab.active_run() is None

    run = only_run()
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "pytorch"
    assert history(run.info.run_id, "loss/train") == [
        (i, pytest.approx(v)) for i, v in enumerate(losses)
    ]
    assert [s for s, _ in history(run.info.run_id, "lr/group0")] == [0, 1, 2, 3, 4]
    assert run.data.params == {"lr": "0.1", "optimizer": "SGD"}
    assert run.data.metrics["hparam/final_loss"] == pytest.approx(losses[-1])
    assert list((tmp_path / "tb").iterdir())  # TensorBoard still wrote its events


def test_a_lightning_trainers_own_tensorboard_logger_is_not_logged_twice(tmp_path: Path) -> None:
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import TensorBoardLogger

    runlab.autolog()
    _, _, train, val = _data()
    trainer = pl.Trainer(
        max_epochs=2,
        logger=TensorBoardLogger(str(tmp_path)),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(_module(), train, val)
    run = only_run()
    assert [s for s, _ in history(run.info.run_id, "val_loss")] == [0, 1]
    assert "epoch" not in run.data.metrics  # the logger's own scalar, not mirrored
