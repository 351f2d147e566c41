"""Runs holding evaluation results, table artifacts and images, in the artifact layout that
``runlab.evaluate`` and ``runlab.log_table`` write, made with the plain client."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.ui._seed import _png

from runlab.tracking.client import RunlabClient

XSS_METRIC = "<img src=x onerror=window.__xss=11>"
XSS_CELL = '<img src=x onerror="window.__xss=12">'
XSS_FILE = "<img src=x onerror=window.__xss=13>.png"
# An SVG whose script would run if it were ever put in the page as markup.
XSS_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20" onload="parent.__xss=14">'
    '<rect width="30" height="20" fill="teal"/></svg>'
)
BIG_ROWS = 2345
# Widths tell the images apart in the viewer (naturalWidth).
STEP_WIDTHS = [40, 41, 42, 43, 44]


@dataclass
class EvalSeeded:
    experiment_id: str
    run_a: str = ""
    run_b: str = ""
    plain_run: str = ""
    big_rows: list[list[object]] = field(default_factory=list)
    gallery: list[str] = field(default_factory=list)


def big_table(rows: int = BIG_ROWS) -> list[list[object]]:
    """id (shuffled), code (numbers whose text order differs from their order), name."""
    rng = random.Random(7)
    ids = list(range(1, rows + 1))
    rng.shuffle(ids)
    data: list[list[object]] = []
    for n, i in enumerate(ids):
        code = [2, 10, 100, 9, 1000][i % 5] + i % 7
        name = XSS_CELL if n == 3 else f"item-{rng.randrange(10_000):04d}"
        data.append([i, code, name, None if i % 11 == 0 else round(rng.random(), 6)])
    return data


def _manifest(
    dataset: str,
    rows: int,
    metrics: dict[str, float],
    baseline: dict[str, float] | None,
    plots: list[str],
    tables: list[str],
) -> dict[str, object]:
    return {
        "model_type": "classifier",
        "dataset": {"name": dataset, "rows": rows},
        "metrics": metrics,
        "baseline_metrics": baseline,
        "plots": plots,
        "tables": tables,
    }


def seed_evaluations(store_dir: Path) -> EvalSeeded:
    client = RunlabClient(str(store_dir))
    out = EvalSeeded(experiment_id=client.create_experiment("evaluations"))

    run_a = client.create_run(out.experiment_id, run_name="eval-a").info.run_id
    out.run_a = run_a
    metrics_a = {"accuracy": 0.9, "log_loss": 0.3, "f1_macro": 0.875, XSS_METRIC: 1.0}
    baseline_a = {"accuracy": 0.8, "log_loss": 0.4, "f1_macro": 0.9}
    for key, value in metrics_a.items():
        if key != XSS_METRIC:
            client.log_metric(run_a, key, value)
    for name, width in (("confusion_matrix", 60), ("roc_curve", 70)):
        client.log_bytes(run_a, _png(width, 30), f"evaluation/{name}.png")
    results = {
        "columns": ["row", "target", "prediction"],
        "data": [[i, i % 3, (i * 7) % 3] for i in range(120)],
    }
    results["data"][5][2] = XSS_CELL
    client.log_dict(run_a, results, "evaluation/eval_results_table.json")
    client.log_dict(
        run_a,
        _manifest(
            "iris",
            120,
            metrics_a,
            baseline_a,
            ["evaluation/confusion_matrix.png", "evaluation/roc_curve.png"],
            ["evaluation/eval_results_table.json"],
        ),
        "evaluation/evaluation.json",
    )
    # A second evaluation of the same run, on another dataset.
    client.log_bytes(run_a, _png(50, 30), "evaluation/1/confusion_matrix.png")
    client.log_dict(
        run_a,
        _manifest(
            "holdout", 40, {"accuracy": 0.7}, None, ["evaluation/1/confusion_matrix.png"], []
        ),
        "evaluation/1/evaluation.json",
    )
    client.set_tag(
        run_a,
        "runlab.evaluations",
        json.dumps(["evaluation/evaluation.json", "evaluation/1/evaluation.json"]),
    )

    out.big_rows = big_table()
    client.log_dict(
        run_a, {"columns": ["id", "code", "name", "score"], "data": out.big_rows}, "tables/big.json"
    )
    client.log_dict(
        run_a, {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}, "tables/unnamed.json"
    )
    client.set_tag(
        run_a,
        "mlflow.loggedArtifacts",
        json.dumps(
            [
                {"path": "tables/big.json", "type": "table"},
                {"path": "evaluation/eval_results_table.json", "type": "table"},
            ]
        ),
    )
    for step, width in enumerate(STEP_WIDTHS):
        client.log_bytes(run_a, _png(width, 20), f"images/sample/step_{step}.png")
    client.log_text(run_a, XSS_SVG, "images/vector.svg")
    client.log_bytes(run_a, _png(33, 20), f"images/{XSS_FILE}")
    out.gallery = sorted(
        [
            "evaluation/confusion_matrix.png",
            "evaluation/roc_curve.png",
            "evaluation/1/confusion_matrix.png",
            "images/vector.svg",
            f"images/{XSS_FILE}",
            *(f"images/sample/step_{s}.png" for s in range(len(STEP_WIDTHS))),
        ]
    )

    run_b = client.create_run(out.experiment_id, run_name="eval-b").info.run_id
    out.run_b = run_b
    client.log_bytes(run_b, _png(64, 30), "evaluation/confusion_matrix.png")
    client.log_dict(
        run_b,
        _manifest(
            "iris",
            120,
            {"accuracy": 0.95, "log_loss": 0.35, "f1_macro": 0.875, XSS_METRIC: 2.0},
            None,
            ["evaluation/confusion_matrix.png"],
            [],
        ),
        "evaluation/evaluation.json",
    )
    client.set_tag(run_b, "runlab.evaluations", json.dumps(["evaluation/evaluation.json"]))

    out.plain_run = client.create_run(out.experiment_id, run_name="plain").info.run_id
    client.log_metric(out.plain_run, "accuracy", 0.5)
    return out
