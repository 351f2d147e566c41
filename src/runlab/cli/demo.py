"""``runlab demo``: a small, realistic experiment to look at before logging your own.

The runs are synthetic: a grid of models trained on the red wine quality data set, with
loss curves shaped by the learning rate and depth, one diverging run that fails, and a
cross-validation sweep as child runs of the best configuration. Only the standard library
is used to make them.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from runlab.cli import _output as out
from runlab.entities import DatasetInput, InputTag, LifecycleStage, Metric, Param, RunStatus, RunTag
from runlab.errors import AlreadyExistsError, ConflictError
from runlab.tracking._context import run_context_tags

if TYPE_CHECKING:
    from runlab.entities import Dataset, Run
    from runlab.tracking.client import RunlabClient

EXPERIMENT = "demo-wine-quality"
STEPS = 30
CV_FOLDS = 5
ORDER_BY = "metrics.val_loss ASC"
FEATURES = (
    "fixed_acidity",
    "volatile_acidity",
    "citric_acid",
    "residual_sugar",
    "chlorides",
    "free_sulfur_dioxide",
    "total_sulfur_dioxide",
    "density",
    "pH",
    "sulphates",
    "alcohol",
)
GRID = list(itertools.product(("gbm", "mlp"), (0.3, 0.1, 0.03), (3, 6)))
FAILING = ("mlp", 0.3, 6)  # diverges: its loss becomes NaN and the run fails
BEST = ("gbm", 0.1, 6)  # gets the cross-validation sweep


@dataclass(frozen=True)
class Config:
    model: str
    learning_rate: float
    depth: int
    seed: int

    @property
    def key(self) -> tuple[str, float, int]:
        return self.model, self.learning_rate, self.depth

    @property
    def name(self) -> str:
        return f"{self.model}-lr{self.learning_rate:g}-d{self.depth}"

    def params(self) -> dict[str, str]:
        values: dict[str, object] = {
            "model_type": self.model,
            "learning_rate": self.learning_rate,
            "max_depth": self.depth,
            "seed": self.seed,
            "test_size": 0.2,
        }
        if self.model == "gbm":
            values["n_estimators"] = 300
        else:
            values["hidden_units"] = 64 * self.depth
            values["optimizer"] = "adam"
        return {k: str(v) for k, v in values.items()}


def _curve(config: Config, rng: random.Random) -> tuple[list[float], list[float], list[float]]:
    """Train loss, validation loss and validation accuracy for each step."""
    floor = 0.40 if config.model == "gbm" else 0.45
    floor += 0.05 * abs(math.log10(config.learning_rate / 0.1))
    good_depth = 6 if config.model == "gbm" else 3
    floor += 0.0 if config.depth == good_depth else 0.025
    floor += rng.gauss(0, 0.01)
    rate = min(0.5, 1.6 * config.learning_rate)
    overfit = 0.0004 * config.depth * config.learning_rate / 0.1
    train, val, acc = [], [], []
    for step in range(STEPS):
        base = floor + (1.25 - floor) * math.exp(-rate * step)
        v = base + overfit * max(0, step - 15) + rng.gauss(0, 0.008)
        t = base * 0.9 - overfit * step + rng.gauss(0, 0.006)
        a = 0.97 - 0.58 * v + rng.gauss(0, 0.006)
        train.append(round(max(t, 0.01), 5))
        val.append(round(v, 5))
        acc.append(round(min(max(a, 0.0), 1.0), 5))
    return train, val, acc


def _step_ms(config: Config, rng: random.Random) -> int:
    """Time one training step takes: the MLP is slower, deeper models are slower."""
    seconds = rng.uniform(2, 4) if config.model == "gbm" else rng.uniform(5, 8)
    return int(1000 * seconds) * config.depth // 3


def _dataset() -> Dataset:
    from runlab.data import dataset

    schema = [{"name": f, "type": "double"} for f in FEATURES] + [
        {"name": "quality", "type": "long"}
    ]
    return dataset(
        "wine-quality-red",
        source="https://archive.ics.uci.edu/dataset/186/wine+quality",
        source_type="http",
        schema=json.dumps(schema),
        profile={"num_rows": 1599, "num_elements": 1599 * 12},
    )


def _experiment_id(client: RunlabClient) -> str:
    exp = client.get_experiment_by_name(EXPERIMENT)
    if exp is None:
        try:
            return client.create_experiment(
                EXPERIMENT, tags={"mlflow.note.content": "Synthetic runs made by `runlab demo`."}
            )
        except AlreadyExistsError:  # made by another process meanwhile
            exp = client.get_experiment_by_name(EXPERIMENT)
            assert exp is not None
    if exp.lifecycle_stage != LifecycleStage.ACTIVE:
        raise ConflictError(
            f"experiment {EXPERIMENT!r} is deleted: restore it with "
            f"`runlab experiments restore {EXPERIMENT}`, or remove its runs with `runlab gc`"
        )
    return exp.experiment_id


class _Writer:
    """Writes one batch of demo runs with timestamps spread over the recent past."""

    def __init__(self, client: RunlabClient, experiment_id: str, rng: random.Random) -> None:
        self.client = client
        self.experiment_id = experiment_id
        self.rng = rng
        self.dataset = _dataset()
        self.commits = [f"{rng.getrandbits(160):040x}" for _ in range(2)]
        # Host, platform and version tags as a real run records them; the source is made up.
        self.context = {
            k: v for k, v in run_context_tags(True).items() if not k.startswith("mlflow.source")
        }
        self.run_ids: list[str] = []

    def tags(self, config: Config, index: int) -> dict[str, str]:
        return {
            **self.context,
            "team": "demo",
            "dataset": "wine-quality-red",
            "model_family": "trees" if config.model == "gbm" else "neural",
            "mlflow.source.name": "train.py",
            "mlflow.source.type": "LOCAL",
            "mlflow.source.git.commit": self.commits[0 if index < 6 else 1],
            "mlflow.source.git.branch": "main",
        }

    def run(self, config: Config, index: int, start_ms: int, step_ms: int) -> int:
        """Log one run whose steps take ``step_ms`` each; returns its end time."""
        client, rng = self.client, self.rng
        run = client.create_run(
            self.experiment_id,
            start_time=start_ms,
            tags=self.tags(config, index),
            run_name=config.name,
        )
        run_id = run.info.run_id
        self.run_ids.append(run_id)
        train, val, acc = _curve(config, rng)
        failed_at = None
        if config.key == FAILING:
            failed_at = 11
            for step in range(6, STEPS):
                train[step] = round(train[step - 1] * 1.6, 5)
                val[step] = round(val[step - 1] * 1.45, 5)
                acc[step] = round(max(0.12, acc[step - 1] * 0.85), 5)
            train[failed_at] = math.nan
        last = STEPS - 1 if failed_at is None else failed_at
        metrics = []
        for step in range(last + 1):
            ts = start_ms + (step + 1) * step_ms
            metrics.append(Metric("train_loss", train[step], ts, step))
            metrics.append(Metric("val_loss", val[step], ts, step))
            metrics.append(Metric("val_accuracy", acc[step], ts, step))
        params = [Param(k, v) for k, v in config.params().items()]
        client.log_batch(run_id, metrics=metrics, params=params)
        client.log_inputs(
            run_id,
            [DatasetInput(self.dataset, (InputTag("mlflow.data.context", "training"),))],
        )
        client.log_dict(run_id, {**config.params(), "features": list(FEATURES)}, "config.json")
        end_ms = start_ms + (last + 1) * step_ms + 1500
        if failed_at is not None:
            client.set_tag(
                run_id, "error", f"training diverged: train_loss is NaN at step {failed_at}"
            )
            client.set_terminated(run_id, RunStatus.FAILED, end_ms)
            return end_ms
        weights = [rng.random() ** 2 for _ in FEATURES]
        weights[FEATURES.index("alcohol")] += 1.0
        weights[FEATURES.index("volatile_acidity")] += 0.5
        total = sum(weights)
        csv = "feature,importance\n" + "".join(
            f"{f},{w / total:.4f}\n"
            for f, w in sorted(zip(FEATURES, weights, strict=True), key=lambda p: -p[1])
        )
        client.log_text(run_id, csv, "feature_importance.csv")
        if config.key == BEST:
            end_ms = self.cross_validation(config, run_id, index, end_ms, val[-1])
        client.set_terminated(run_id, RunStatus.FINISHED, end_ms)
        return end_ms

    def cross_validation(
        self, config: Config, parent_id: str, index: int, start_ms: int, val_loss: float
    ) -> int:
        client, rng = self.client, self.rng
        client.set_tag(
            parent_id,
            "mlflow.note.content",
            f"Best grid point; {CV_FOLDS}-fold cross-validation in the child runs.",
        )
        losses = []
        t = start_ms
        for fold in range(CV_FOLDS):
            tags = {**self.tags(config, index), "mlflow.parentRunId": parent_id}
            child = client.create_run(
                self.experiment_id, start_time=t, tags=tags, run_name=f"cv-fold-{fold}"
            )
            loss = round(val_loss + rng.gauss(0, 0.015), 5)
            acc = round(0.97 - 0.58 * loss + rng.gauss(0, 0.005), 5)
            losses.append(loss)
            self.run_ids.append(child.info.run_id)
            t += int(rng.uniform(20, 40) * 1000)
            params = [Param(k, v) for k, v in config.params().items()] + [Param("fold", str(fold))]
            client.log_batch(
                child.info.run_id,
                metrics=[Metric("val_loss", loss, t, 0), Metric("val_accuracy", acc, t, 0)],
                params=params,
                tags=[RunTag("cv", "true")],
            )
            client.set_terminated(child.info.run_id, RunStatus.FINISHED, t)
            t += 500
        mean = sum(losses) / len(losses)
        std = math.sqrt(sum((x - mean) ** 2 for x in losses) / len(losses))
        client.log_batch(
            parent_id,
            metrics=[Metric("cv_val_loss_mean", mean, t, 0), Metric("cv_val_loss_std", std, t, 0)],
        )
        return t + 1000


def _sort_key(run: Run) -> tuple[bool, float]:
    """Best validation loss first; runs without one last."""
    value = run.data.metrics.get("val_loss")
    if value is None or math.isnan(value):
        return True, 0.0
    return False, value


def _parents_then_children(batch: list[Run]) -> list[Run]:
    """Best validation loss first, each run's child runs right below it."""
    children: dict[str, list[Run]] = {}
    for run in batch:
        parent = run.data.tags.get("mlflow.parentRunId")
        if parent:
            children.setdefault(parent, []).append(run)
    ordered = []
    for run in sorted(batch, key=_sort_key):
        if "mlflow.parentRunId" not in run.data.tags:
            ordered.append(run)
            ordered += sorted(children.get(run.info.run_id, []), key=lambda r: r.info.run_name)
    return ordered


@click.command()
@click.option(
    "--runs",
    "n_runs",
    default=len(GRID),
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Training runs to log (cross-validation child runs come on top).",
)
@click.option("--seed", type=int, help="Seed for reproducible numbers.")
@out.tracking_uri_option
def demo(n_runs: int, seed: int | None) -> None:
    """Log a demo experiment, demo-wine-quality, and show its runs.

    Each call adds another batch of runs.
    """
    client = out.client()
    rng = random.Random(seed)
    experiment_id = _experiment_id(client)
    writer = _Writer(client, experiment_id, rng)
    configs = [
        Config(model, lr, depth, seed=42 + i // len(GRID))
        for i, (model, lr, depth) in enumerate(itertools.islice(itertools.cycle(GRID), n_runs))
    ]
    # Lay the batch out back to back so that it ends shortly before now.
    step_ms = [_step_ms(c, rng) for c in configs]
    gaps = [int(rng.uniform(3, 15) * 1000) for _ in configs]
    cv_time = CV_FOLDS * 40_500 + 1000 if BEST in {c.key for c in configs} else 0
    t = (
        int(time.time() * 1000)
        - sum(STEPS * ms + 1500 + gap for ms, gap in zip(step_ms, gaps, strict=True))
        - cv_time
    )
    for index, config in enumerate(configs):
        t = writer.run(config, index, t, step_ms[index]) + gaps[index]

    found = _parents_then_children([client.get_run(r) for r in writer.run_ids])
    con = out.console()
    children = len(found) - len(configs)
    extra = f" and {children} cross-validation child runs" if children else ""
    con.print(
        f"Logged {len(configs)} runs{extra} to experiment {EXPERIMENT!r} "
        f"(id {experiment_id}) at {out.escape(client.tracking_uri)}."
    )
    from runlab.cli.runs import show_runs_table

    show_runs_table(found, None, [ORDER_BY], con=con)
    _print_hints(client, found)


def _print_hints(client: RunlabClient, found: list[Run]) -> None:
    prefix = "runlab"
    if out.state().from_command_line:
        import shlex

        prefix = f"runlab --tracking-uri {shlex.quote(client.tracking_uri)}"
    top = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    best = top[0].info.run_id[:8] if top else "RUN_ID"
    second = top[1].info.run_id[:8] if len(top) > 1 else best
    click.echo()
    click.echo("Next, try:")
    click.echo(f'  {prefix} runs list --experiment {EXPERIMENT} --order-by "{ORDER_BY}"')
    click.echo(
        f"  {prefix} runs list -e {EXPERIMENT} "
        "--filter \"params.model_type = 'gbm' AND metrics.val_accuracy > 0.7\""
    )
    click.echo(f"  {prefix} runs show {best}")
    click.echo(f"  {prefix} runs diff {best} {second}")
