"""Make test data with the real mlflow library, and read any store back in one shape.

Run as a script (mlflow's warnings and globals stay out of the test process)::

    python _mlflow_data.py make URI [ROOT] # several experiments, nested runs, NaN, ±inf,
                                           # datasets, artifacts in folders, a model with
                                           # three versions, stages and an alias; with
                                           # ROOT (s3://bucket/x) experiments keep their
                                           # artifacts below it
    python _mlflow_data.py dump URI        # what MlflowClient reads back, as JSON on stdout

:func:`runlab_dump` reads a runlab tracking URI into the same shape.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

POINTS = 1_500  # a long history: more than one page of a REST history read is 25,000


def _value(v: float) -> str:
    return "nan" if math.isnan(v) else repr(float(v))


def _status(s: object) -> str:
    return str(getattr(s, "value", s)).replace("LOGGED_MODEL_", "")


def make(uri: str, artifact_root: str | None = None) -> None:
    import warnings

    warnings.simplefilter("ignore")
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    work = Path(tempfile.mkdtemp())

    def experiment(name: str, tags: dict[str, str] | None = None) -> str:
        where = f"{artifact_root}/{name}" if artifact_root else None
        return str(client.create_experiment(name, artifact_location=where, tags=tags))

    wine = experiment("wine", tags={"team": "ml", "purpose": "demo"})
    experiment("fraud-2023")
    experiment("fraud-2024", tags={"year": "2024"})
    gone = experiment("abandoned")
    mlflow.set_experiment(experiment_id=wine)
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"lr": "0.01", "depth": 5})
        mlflow.set_tags({"stage": "train", "nested.key/with slash": "yes"})
        mlflow.log_metrics({"loss": 0.5, "acc": 0.7}, step=0)
        client.log_batch(
            parent.info.run_id,
            metrics=[
                mlflow.entities.Metric("curve", math.sin(i / 10), 1_700_000_000_000 + i, i)
                for i in range(POINTS)
            ],
        )
        mlflow.log_metric("odd", float("nan"), step=1)
        mlflow.log_metric("odd", float("inf"), step=2)
        mlflow.log_metric("odd", float("-inf"), step=3)
        frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0.0, 1.0]})
        dataset = mlflow.data.from_pandas(frame, source="s3://bucket/wine.csv", name="wine-red")
        mlflow.log_input(dataset, context="training")
        (work / "plots").mkdir()
        (work / "plots" / "curve.png").write_bytes(bytes(range(256)) * 40)
        (work / "plots" / "deep").mkdir()
        (work / "plots" / "deep" / "notes.txt").write_text("héllo\n")
        (work / "report.json").write_text('{"ok": true}')
        mlflow.log_artifacts(str(work / "plots"), "plots")
        mlflow.log_artifact(str(work / "report.json"))
        for i in range(2):
            with mlflow.start_run(run_name=f"child-{i}", nested=True):
                mlflow.log_param("fold", i)
                for step in range(50):
                    mlflow.log_metric("val_loss", 1.0 / (step + 1 + i), step=step)
        mlflow.pyfunc.log_model(name="model", python_model=_identity_model(), pip_requirements=[])
    with mlflow.start_run(
        run_name="failed", experiment_id=client.get_experiment_by_name("fraud-2024").experiment_id
    ) as failed:
        mlflow.log_metric("loss", 2.0)
    client.set_terminated(failed.info.run_id, "FAILED")
    with mlflow.start_run(run_name="deleted", experiment_id=wine) as dropped:
        mlflow.log_param("x", "1")
    client.delete_run(dropped.info.run_id)
    client.delete_experiment(gone)

    client.create_registered_model("wine-model", tags={"owner": "ml"}, description="Wine quality")
    source = f"runs:/{parent.info.run_id}/model"
    for n in range(3):
        client.create_model_version(
            "wine-model", source, parent.info.run_id, tags={"n": str(n)}, description=f"v{n + 1}"
        )
    client.transition_model_version_stage("wine-model", 1, "Staging")
    client.transition_model_version_stage("wine-model", 1, "Archived")
    client.transition_model_version_stage("wine-model", 2, "Production")
    client.transition_model_version_stage("wine-model", 3, "Staging")
    client.set_registered_model_alias("wine-model", "champion", 2)


def _identity_model() -> Any:
    import mlflow.pyfunc

    class Identity(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
        def predict(self, context: Any, model_input: Any) -> Any:
            return model_input

    return Identity()


def dump(uri: str) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(uri, uri)
    out: dict[str, Any] = {"experiments": {}, "runs": {}, "models": {}, "logged_models": {}}
    for exp in client.search_experiments(view_type=ViewType.ALL):
        out["experiments"][exp.name] = {
            "tags": exp.tags,
            "lifecycle_stage": exp.lifecycle_stage,
            "creation_time": exp.creation_time,
        }
        for run in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            info = run.info
            metrics = {
                key: sorted(  # identical points once: MLflow's file store repeats some
                    {
                        (m.step, m.timestamp, _value(m.value))
                        for m in client.get_metric_history(info.run_id, key)
                    }
                )
                for key in run.data.metrics
            }
            inputs = sorted(
                (d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
                 d.dataset.schema, d.dataset.profile, sorted((t.key, t.value) for t in d.tags))
                for d in run.inputs.dataset_inputs
            )  # fmt: skip
            files: dict[str, str] = {}
            if info.lifecycle_stage == "active":
                local = client.download_artifacts(info.run_id, "", tempfile.mkdtemp())
                for path in sorted(Path(local).rglob("*")):
                    if path.is_file():
                        rel = path.relative_to(local).as_posix()
                        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            out["runs"][info.run_id] = {
                "experiment": exp.name,
                "run_name": info.run_name,
                "user_id": info.user_id,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "lifecycle_stage": info.lifecycle_stage,
                "params": run.data.params,
                "tags": run.data.tags,
                "metrics": metrics,
                "inputs": inputs,
                "artifacts": files,
            }
        for lm in client.search_logged_models([exp.experiment_id]):
            out["logged_models"][lm.model_id] = {
                "experiment": exp.name,
                "name": lm.name,
                "status": _status(lm.status),
                "source_run_id": lm.source_run_id,
                "tags": lm.tags,
                "params": lm.params,
                "creation_timestamp": lm.creation_timestamp,
            }
    for rm in client.search_registered_models():
        rm = client.get_registered_model(rm.name)
        versions = client.search_model_versions(f"name = '{rm.name}'")
        out["models"][rm.name] = {
            "description": rm.description,
            "tags": rm.tags,
            "aliases": {a: int(v) for a, v in rm.aliases.items()},
            "creation_timestamp": rm.creation_timestamp,
            "versions": {
                str(v.version): {
                    "stage": v.current_stage,
                    "run_id": v.run_id,
                    "source": v.source,
                    "description": v.description,
                    "tags": v.tags,
                    "status": v.status,
                    "creation_timestamp": v.creation_timestamp,
                }
                for v in versions
            },
        }
    return out


def runlab_dump(uri: str) -> dict[str, Any]:
    """The same shape, read from a runlab tracking URI through runlab's stores."""
    from runlab.entities import ViewType, all_pages
    from runlab.migrate import Target
    from runlab.migrate._artifacts import list_files

    target = Target.open(uri)
    store = target.tracking
    out: dict[str, Any] = {"experiments": {}, "runs": {}, "models": {}, "logged_models": {}}
    try:
        for exp in all_pages(lambda t: store.search_experiments(ViewType.ALL, page_token=t)):
            out["experiments"][exp.name] = {
                "tags": exp.tags,
                "lifecycle_stage": exp.lifecycle_stage,
                "creation_time": exp.creation_time,
            }
            eid = exp.experiment_id
            for run in all_pages(
                lambda t, e=eid: store.search_runs([e], None, ViewType.ALL, 1000, None, t)
            ):
                info = run.info
                files: dict[str, str] = {}
                if info.lifecycle_stage == "active":
                    repo = target.artifacts(info.artifact_uri)
                    for path in list_files(repo):
                        with repo.open_artifact(path) as f:
                            files[path] = hashlib.sha256(f.read()).hexdigest()
                out["runs"][info.run_id] = {
                    "experiment": exp.name,
                    "run_name": info.run_name,
                    "user_id": info.user_id,
                    "status": info.status,
                    "start_time": info.start_time,
                    "end_time": info.end_time,
                    "lifecycle_stage": info.lifecycle_stage,
                    "params": run.data.params,
                    "tags": run.data.tags,
                    "metrics": {
                        key: sorted(
                            (m.step, m.timestamp, _value(m.value))
                            for m in store.get_metric_history(info.run_id, key)
                        )
                        for key in run.data.metrics
                    },
                    "inputs": sorted(
                        (d.dataset.name, d.dataset.digest, d.dataset.source_type,
                         d.dataset.source, d.dataset.schema, d.dataset.profile,
                         sorted((t.key, t.value) for t in d.tags))
                        for d in run.inputs.dataset_inputs
                    ),
                    "artifacts": files,
                }  # fmt: skip
            if target.logged_models is not None:
                for lm in target.logged_models.search_logged_models([eid]):
                    out["logged_models"][lm.model_id] = {
                        "experiment": exp.name,
                        "name": lm.name,
                        "status": _status(lm.status),
                        "source_run_id": lm.source_run_id,
                        "tags": lm.tags,
                        "params": lm.params,
                        "creation_timestamp": lm.creation_timestamp,
                    }
        registry = target.registry
        assert registry is not None
        for rm in registry.search_registered_models():
            versions = registry.search_model_versions(f"name = '{rm.name}'")
            out["models"][rm.name] = {
                "description": rm.description,
                "tags": rm.tags,
                "aliases": rm.aliases,
                "creation_timestamp": rm.creation_timestamp,
                "versions": {
                    str(v.version): {
                        "stage": v.current_stage,
                        "run_id": v.run_id,
                        "source": v.source,
                        "description": v.description,
                        "tags": v.tags,
                        "status": v.status,
                        "creation_timestamp": v.creation_timestamp,
                    }
                    for v in versions
                },
            }
    finally:
        target.close()
    return json.loads(json.dumps(out))  # tuples as lists, as the mlflow side has them


if __name__ == "__main__":
    if os.environ.get("MLFLOW_ALLOW_FILE_STORE") is None:
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    command, location = sys.argv[1], sys.argv[2]
    if command == "make":
        make(location, *sys.argv[3:])
    else:
        json.dump(dump(location), sys.stdout)
