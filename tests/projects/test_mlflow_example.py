"""A project in MLflow's own example layout (the ElasticNet wine example: an MLproject with
python_env or conda_env, typed parameters, and a train.py that logs with ``mlflow``), run
unchanged with ``--env-manager local`` against a live ``runlab server``: the entry
point's ``mlflow.start_run()`` logs into the run ``runlab run`` made."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._cli import run_cli
from tests._servers import start_runlab_server

from runlab.entities import RunStatus
from runlab.tracking.client import RunlabClient

PYTHON_ENV_MLPROJECT = """\
name: tutorial

python_env: python_env.yaml

entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: float, default: 0.1}
    command: "python train.py {alpha} {l1_ratio}"
"""

CONDA_MLPROJECT = """\
name: tutorial

conda_env: conda.yaml

entry_points:
  main:
    parameters:
      alpha: float
      l1_ratio: {type: float, default: 0.1}
    command: "python train.py {alpha} {l1_ratio}"
"""

PYTHON_ENV = """\
python: "3.11"
build_dependencies:
  - pip
dependencies:
  - mlflow
  - scikit-learn
  - pandas
"""

CONDA = """\
name: tutorial
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
      - mlflow
      - scikit-learn
      - pandas
"""

# Written the way MLflow's example train.py is: argv floats, mlflow's fluent API.
TRAIN = """\
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

import mlflow

if __name__ == "__main__":
    data = pd.read_csv("wine-quality.csv")
    train, test = train_test_split(data, random_state=42)
    train_x, test_x = train.drop(["quality"], axis=1), test.drop(["quality"], axis=1)
    train_y, test_y = train[["quality"]], test[["quality"]]

    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5

    with mlflow.start_run():
        lr = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
        lr.fit(train_x, train_y)
        predicted = lr.predict(test_x)
        rmse = np.sqrt(mean_squared_error(test_y, predicted))
        r2 = r2_score(test_y, predicted)
        print(f"Elasticnet model (alpha={alpha:f}, l1_ratio={l1_ratio:f}): RMSE {rmse} R2 {r2}")
        mlflow.log_param("alpha", alpha)
        mlflow.log_param("l1_ratio", l1_ratio)
        mlflow.log_metric("rmse", rmse)
        mlflow.log_metric("r2", r2)
        mlflow.set_tag("example", "elasticnet")
"""


def _wine_csv(path: Path) -> None:
    rng = random.Random(7)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["fixed acidity", "alcohol", "sulphates", "quality"])
        for _ in range(120):
            acid, alcohol, sulphates = rng.uniform(4, 12), rng.uniform(8, 14), rng.uniform(0.3, 1)
            quality = round(0.2 * acid + 0.5 * alcohol + 2 * sulphates + rng.gauss(0, 0.3), 2)
            out.writerow([round(acid, 3), round(alcohol, 3), round(sulphates, 3), quality])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_runlab_server(tmp_path_factory.mktemp("server")) as (base_url, _process):
        yield base_url


@pytest.mark.parametrize(
    ("mlproject", "env_file", "env_text", "args"),
    [
        (PYTHON_ENV_MLPROJECT, "python_env.yaml", PYTHON_ENV, ["-P", "alpha=0.25"]),
        (CONDA_MLPROJECT, "conda.yaml", CONDA, ["-P", "alpha=0.75", "-P", "l1_ratio=0.5"]),
    ],
    ids=["python_env", "conda_env"],
)
def test_mlflows_example_layout_runs_unchanged(
    server: str,
    tmp_path: Path,
    cache: Path,
    mlproject: str,
    env_file: str,
    env_text: str,
    args: list[str],
) -> None:
    folder = tmp_path / "sklearn_elasticnet_wine"
    folder.mkdir()
    (folder / "MLproject").write_text(mlproject)
    (folder / env_file).write_text(env_text)
    (folder / "train.py").write_text(TRAIN)
    _wine_csv(folder / "wine-quality.csv")

    result = run_cli(server, "run", str(folder), "--env-manager", "local",
                     "--experiment-name", f"wine-{env_file}", *args)  # fmt: skip
    assert result.exit_code == 0, result.output
    client = RunlabClient(server)
    experiment = client.get_experiment_by_name(f"wine-{env_file}")
    assert experiment is not None
    [run] = client.search_runs([experiment.experiment_id])
    assert run.info.status == RunStatus.FINISHED
    expected = dict(item.split("=") for item in args[1::2])
    assert run.data.params == {"l1_ratio": "0.1", **expected}
    assert set(run.data.metrics) == {"rmse", "r2"}  # logged by mlflow in the entry point
    assert run.data.tags["example"] == "elasticnet"
    assert run.data.tags["mlflow.source.type"] == "PROJECT"
    assert run.data.tags["mlflow.project.env"] == "local"
    artifacts = {f.path for f in client.list_artifacts(run.info.run_id, "environment")}
    assert f"environment/{env_file}" in artifacts
