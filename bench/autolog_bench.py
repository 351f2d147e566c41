#!/usr/bin/env python3
"""Autologging overhead, runlab against MLflow 3.17.2, on the same trainings in one run.

    python bench/autolog_bench.py                 # both libraries, both trainings, 5 repeats
    python bench/autolog_bench.py --repeats 3 --only sklearn
    python bench/autolog_bench.py --json results.json

Each (library, training) pair runs in a fresh interpreter of its own (``--worker``), in an
empty folder with a SQLite tracking store that a first, empty run has created. The worker
warms the training up, times one first autologged training (it pays for autologging's lazy
imports), then ``--repeats`` pairs of a bare training and an autologged one
(``autolog()`` before it, ``autolog(disable=True)`` after it, untimed). The overhead is
the median of the pairs' differences (a fit's own run included: autologging starts and
ends it); the first call's overhead is its time minus the median bare time. The trainings:

* ``sklearn``: ``RandomForestClassifier(n_estimators=100)`` on the wine data set;
* ``lightning``: a tiny two-layer module, 5 epochs of 512 rows in batches of 32, with a
  validation loop, on CPU, without Lightning's own logger and checkpoints;
* ``xgboost``: ``xgboost.train`` for 200 rounds on the breast cancer data set, with the
  training and a held-out set evaluated each round (400 metric points).

Run it from a source tree with ``PYTHONPATH=$PWD/src`` to measure that tree; both libraries
come from the running interpreter, which needs mlflow==3.17.2, scikit-learn, torch and
lightning (the ``test`` extra has them all).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

SUTS = ("mlflow", "runlab")
TRAININGS = ("sklearn", "lightning", "xgboost")
TARGET_RATIO = 10.0  # runlab's overhead at most a tenth of MLflow's


# -------------------------------------------------------------------------- the trainings
def _sklearn_training() -> Any:
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_wine(return_X_y=True, as_frame=True)

    def train() -> None:
        RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)

    return train


def _lightning_training() -> Any:
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    x = torch.randn(512, 8)
    y = (x[:, :2].sum(dim=1) > 0).long()
    train_data = DataLoader(TensorDataset(x, y), batch_size=32)
    val_data = DataLoader(TensorDataset(x[:128], y[:128]), batch_size=64)

    class Net(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
            )

        def forward(self, batch: Any) -> Any:
            return self.net(batch)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            inputs, target = batch
            loss = torch.nn.functional.cross_entropy(self(inputs), target)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            inputs, target = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self(inputs), target))

        def configure_optimizers(self) -> Any:
            return torch.optim.Adam(self.parameters(), lr=0.01)

    def train() -> None:
        trainer = pl.Trainer(
            max_epochs=5,
            accelerator="cpu",
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(Net(), train_data, val_data)

    return train


def _xgboost_training() -> Any:
    import xgboost as xgb
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    train_set = xgb.DMatrix(X[:400], label=y[:400])
    valid_set = xgb.DMatrix(X[400:], label=y[400:])
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "max_depth": 3}

    def train() -> None:
        xgb.train(
            params,
            train_set,
            num_boost_round=200,
            evals=[(train_set, "train"), (valid_set, "valid")],
            verbose_eval=False,
        )

    return train


_TRAININGS = {
    "sklearn": _sklearn_training,
    "lightning": _lightning_training,
    "xgboost": _xgboost_training,
}


def _worker(sut: str, training: str, repeats: int) -> dict[str, Any]:
    import logging

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)  # both libraries' and Lightning's advice
    lib: Any
    if sut == "mlflow":
        import mlflow as lib
    else:
        import runlab as lib
    lib.set_tracking_uri(f"sqlite:///{os.path.abspath('bench.db')}")
    with lib.start_run():
        pass  # the database exists before anything is timed
    train = _TRAININGS[training]()
    train()  # warm: the framework's own lazy imports and caches

    def timed() -> float:
        start = time.perf_counter()
        train()
        return time.perf_counter() - start

    lib.autolog()
    first = timed()  # the first autologged training pays for autologging's lazy imports
    lib.autolog(disable=True)
    bare, auto = [], []
    for _ in range(repeats):  # pairs: a machine whose load drifts moves both alike
        bare.append(timed())
        lib.autolog()
        auto.append(timed())
        lib.autolog(disable=True)
    return {"sut": sut, "training": training, "bare": bare, "first": first, "auto": auto}


# -------------------------------------------------------------------------- the runner
def _run_worker(sut: str, training: str, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"autolog-bench-{sut}-") as cwd:
        proc = subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--worker",
                sut,
                training,
                "--repeats",
                str(repeats),
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            timeout=3600,
        )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{sut} {training}: the worker failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| training | library | bare (median) | autologged (median) | overhead | overhead, "
        "first call | overhead / training |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    overhead: dict[tuple[str, str], float] = {}
    for r in results:
        bare, auto = statistics.median(r["bare"]), statistics.median(r["auto"])
        over = statistics.median(a - b for a, b in zip(r["auto"], r["bare"], strict=True))
        overhead[(r["training"], r["sut"])] = over
        rows.append(
            f"| {r['training']} | {r['sut']} | {bare:.3f} s | {auto:.3f} s | {over:.3f} s | "
            f"{r['first'] - bare:.3f} s | {100 * over / bare:.0f}% |"
        )
    rows += ["", "| training | MLflow overhead / runlab overhead | target |", "|---|---:|---|"]
    for training in dict.fromkeys(r["training"] for r in results):
        mlflow_over = overhead.get((training, "mlflow"))
        runlab_over = overhead.get((training, "runlab"))
        if mlflow_over is None or runlab_over is None:
            continue
        ratio = mlflow_over / runlab_over if runlab_over > 0 else float("inf")
        verdict = "met" if ratio >= TARGET_RATIO else "missed"
        rows.append(f"| {training} | x{ratio:.1f} | >= x{TARGET_RATIO:.0f}: {verdict} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default=",".join(TRAININGS), help="sklearn,lightning,xgboost")
    parser.add_argument("--sut", choices=SUTS, help="one library only")
    parser.add_argument("--json", help="also write the samples to this file")
    parser.add_argument("--worker", nargs=2, metavar=("SUT", "TRAINING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats: must be 1 or more")
    if args.worker:
        print(json.dumps(_worker(args.worker[0], args.worker[1], args.repeats)))
        return
    trainings = [t for t in args.only.split(",") if t]
    unknown = set(trainings) - set(TRAININGS)
    if unknown:
        parser.error(f"--only: unknown training {sorted(unknown)[0]!r} (one of {TRAININGS})")
    import runlab

    print(f"runlab from {os.path.dirname(runlab.__file__)}", file=sys.stderr)
    results = []
    for training in trainings:
        for sut in [args.sut] if args.sut else SUTS:
            print(f"... {training} / {sut}", file=sys.stderr)
            results.append(_run_worker(sut, training, args.repeats))
    print(_table(results))
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
