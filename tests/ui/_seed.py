"""Data the UI tests look at, written through runlab's Python client into a store folder."""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from runlab.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from runlab.tracking.client import RunlabClient

XSS_NAME = '<img src=x onerror="window.__xss=1">run'
XSS_PARAM = "<script>window.__xss=2</script>"
XSS_TAG = '"><svg onload="window.__xss=3">'
XSS_NOTE = (
    "# Notes\n\nSome **bold** and a [safe link](https://example.org) and "
    '[bad link](javascript:window.__xss=4) and <img src=x onerror="window.__xss=5">\n\n'
    "- one\n- two\n\n```\n<script>window.__xss=6</script>\n```"
)


@dataclass
class Seeded:
    experiment_id: str
    other_experiment_id: str
    parent_id: str = ""
    child_ids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    xss_run_id: str = ""
    long_run_id: str = ""
    many_experiment_id: str = ""
    many_runs: int = 0


def _png(width: int = 24, height: int = 16) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, 180)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def seed(store_dir: Path, long_points: int = 20_000, many_runs: int = 1500) -> Seeded:
    client = RunlabClient(str(store_dir))
    exp = client.create_experiment("vision")
    other = client.create_experiment("nlp")
    out = Seeded(experiment_id=exp, other_experiment_id=other)
    start = 1_700_000_000_000
    tags = {
        "mlflow.source.name": "train.py",
        "mlflow.source.git.commit": "0123456789abcdef0123456789abcdef01234567",
        "mlflow.user": "ada",
    }

    parent = client.create_run(exp, start_time=start, run_name="sweep", tags=tags)
    out.parent_id = parent.info.run_id
    client.set_terminated(parent.info.run_id, "FINISHED", end_time=start + 3_600_000)
    for i, (lr, model) in enumerate(
        [(0.1, "cnn"), (0.01, "cnn"), (0.001, "resnet"), (0.03, "vit")]
    ):
        run = client.create_run(
            exp,
            start_time=start + (i + 1) * 60_000,
            run_name=f"trial-{i}",
            tags={**tags, "mlflow.parentRunId": parent.info.run_id},
        )
        rid = run.info.run_id
        out.child_ids.append(rid)
        out.run_ids.append(rid)
        client.log_batch(
            rid,
            params=[Param("lr", str(lr)), Param("model", model), Param("epochs", "10")],
            metrics=[
                Metric("accuracy", 0.5 + 0.04 * step * (i + 1) / 4, start + step * 1000, step)
                for step in range(10)
            ]
            + [
                Metric("loss", 1.0 / (step + 1 + i), start + step * 1000, step)
                for step in range(10)
            ],
            tags=[RunTag("team", "vision")],
        )
        client.set_terminated(
            rid, "FINISHED" if i != 2 else "FAILED", end_time=start + 600_000 * (i + 1)
        )

    xss = client.create_run(exp, start_time=start + 10 * 60_000, run_name=XSS_NAME, tags=tags)
    out.xss_run_id = xss.info.run_id
    out.run_ids.append(out.xss_run_id)
    client.log_batch(
        out.xss_run_id,
        params=[Param("payload", XSS_PARAM), Param("lr", "0.5")],
        tags=[RunTag("evil", XSS_TAG), RunTag("mlflow.note.content", XSS_NOTE)],
        metrics=[Metric("accuracy", 0.1, start, 0)],
    )
    client.log_text(
        out.xss_run_id, "<script>parent.__xss=7</script><b>hello html</b>", "report.html"
    )
    client.log_text(
        out.xss_run_id, 'a,b,name\n1,2,<b>x</b>\n3,4,"quoted, comma"\n', "data/table.csv"
    )
    client.log_dict(out.xss_run_id, {"layers": [64, 32], "name": "<i>net</i>"}, "config.json")
    client.log_text(out.xss_run_id, "model: cnn\nlayers: 3\n", "params.yaml")
    client.log_bytes(out.xss_run_id, _png(), "images/sample.png")
    client.log_inputs(
        out.xss_run_id,
        [
            DatasetInput(
                Dataset(
                    name="mnist",
                    digest="abc123",
                    source_type="local",
                    source=json.dumps({"uri": "/data/mnist"}),
                    schema=json.dumps({"columns": ["x", "y"]}),
                    profile=json.dumps({"rows": 60000}),
                ),
                tags=[InputTag("mlflow.data.context", "training")],
            )
        ],
    )

    long_run = client.create_run(
        exp, start_time=start + 20 * 60_000, run_name="long-run", tags=tags
    )
    out.long_run_id = long_run.info.run_id
    out.run_ids.append(out.long_run_id)
    points = [
        Metric("loss", math.exp(-s / 4000) + 0.05 * math.sin(s / 50), start + s * 10, s)
        for s in range(long_points)
    ]
    if long_points > 100:
        points[long_points // 2] = Metric(
            "loss", 25.0, start + long_points // 2 * 10, long_points // 2
        )
    for i in range(0, len(points), 1000):
        client.log_batch(out.long_run_id, metrics=points[i : i + 1000])

    client.create_run(other, start_time=start, run_name="bert-base", tags=tags)

    out.many_experiment_id = client.create_experiment("many")
    out.many_runs = many_runs
    for i in range(many_runs):
        run = client.create_run(
            out.many_experiment_id, start_time=start + i * 1000, run_name=f"m-{i:05d}"
        )
        client.log_batch(run.info.run_id, metrics=[Metric("score", i / many_runs, start, 0)])
    return out
