"""runlab's UI endpoints over HTTP: downsampled history, run count, artifact download."""

from __future__ import annotations

import httpx
import pytest
from tests.ui._seed import Seeded

pytestmark = pytest.mark.slow


def test_downsampled_history_keeps_the_spike(ui_server: tuple[str, Seeded]) -> None:
    base_url, seeded = ui_server
    for prefix in ("ajax-api", "api"):
        answer = httpx.get(
            f"{base_url}/{prefix}/2.0/runlab/metrics/downsampled",
            params={"run_id": seeded.long_run_id, "metric_key": "loss", "max_points": 400},
        )
        assert answer.status_code == 200
        points = answer.json()["metrics"]
        assert len(points) <= 400
        assert max(p["value"] for p in points) == 25.0
        assert points[0]["step"] == 0
        assert points[-1]["step"] == 19_999
        # The server's own time, for the browser's performance entries.
        assert answer.headers["server-timing"].startswith("app;dur=")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"max_points": "lots"}, "max_points"), ({"x_axis": "wall"}, "x_axis")],
)
def test_downsampled_bad_arguments(
    ui_server: tuple[str, Seeded], params: dict[str, str], field: str
) -> None:
    base_url, seeded = ui_server
    answer = httpx.get(
        f"{base_url}/ajax-api/2.0/runlab/metrics/downsampled",
        params={"run_id": seeded.long_run_id, "metric_key": "loss", **params},
    )
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert field in answer.json()["message"]


def test_run_count(ui_server: tuple[str, Seeded]) -> None:
    base_url, seeded = ui_server
    url = f"{base_url}/ajax-api/2.0/runlab/runs/count"
    body = {"experiment_ids": [seeded.experiment_id]}
    assert httpx.post(url, json=body).json() == {"count": 7}
    assert httpx.post(url, json={**body, "filter": "params.model = 'cnn'"}).json() == {"count": 2}
    bad = httpx.post(url, json={**body, "filter": "params.model = "})
    assert bad.status_code == 400
    assert "position" in bad.json()["message"]


def test_artifact_download_is_inert_and_stays_in_the_run(ui_server: tuple[str, Seeded]) -> None:
    base_url, seeded = ui_server
    url = f"{base_url}/ajax-api/2.0/runlab/artifacts/get"
    page = httpx.get(url, params={"run_id": seeded.xss_run_id, "path": "report.html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    assert "sandbox" in page.headers["content-security-policy"]
    assert b"hello html" in page.content
    escape = httpx.get(url, params={"run_id": seeded.xss_run_id, "path": "../../../etc/passwd"})
    assert escape.status_code in (400, 404)
    missing = httpx.get(url, params={"run_id": seeded.xss_run_id, "path": "nope.txt"})
    assert missing.status_code == 404


def test_downsampled_history_as_columns(ui_server: tuple[str, Seeded]) -> None:
    base_url, seeded = ui_server
    url = f"{base_url}/ajax-api/2.0/runlab/metrics/downsampled"
    params = {"run_id": seeded.long_run_id, "metric_key": "loss", "max_points": 400}
    objects = httpx.get(url, params=params).json()["metrics"]
    columns = httpx.get(url, params={**params, "format": "columns"}).json()
    assert set(columns) == {"step", "timestamp", "value"}
    assert columns["step"] == [p["step"] for p in objects]
    assert columns["timestamp"] == [p["timestamp"] for p in objects]
    assert columns["value"] == [p["value"] for p in objects]
    assert 25.0 in columns["value"]
    bad = httpx.get(url, params={**params, "format": "csv"})
    assert bad.status_code == 400
    assert "format" in bad.json()["message"]
