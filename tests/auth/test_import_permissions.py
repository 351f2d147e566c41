"""runlab's import calls need what the ordinary calls need: EDIT on the experiment."""

from __future__ import annotations

import uuid

from tests.auth.conftest import Team

IMPORTS = "/api/2.0/runlab"


def _body(team: Team, run_id: str) -> dict[str, object]:
    info = {"run_id": run_id, "status": "FINISHED", "start_time": 1, "end_time": 2}
    return {"experiment_id": team.experiment_id, "runs": [{"info": info}]}


def test_only_editors_import_runs_into_an_experiment(team: Team) -> None:
    for user, expected in (("stranger", 403), ("reader", 403), ("editor", 200), ("owner", 200)):
        response = team.client.post(
            f"{IMPORTS}/runs/import", json=_body(team, uuid.uuid4().hex), auth=team.basic(user)
        )
        assert response.status_code == expected, (user, response.text)


def test_an_imported_experiment_belongs_to_its_importer(team: Team) -> None:
    made = team.client.post(
        f"{IMPORTS}/experiments/import", json={"name": "strangers-own"}, auth=team.basic("stranger")
    )
    assert made.status_code == 200, made.text
    eid = made.json()["experiment_id"]
    mine = team.client.get(
        "/api/2.0/mlflow/experiments/get", params={"experiment_id": eid},
        auth=team.basic("stranger"),
    )  # fmt: skip
    assert mine.status_code == 200
    theirs = team.client.get(
        "/api/2.0/mlflow/experiments/get", params={"experiment_id": eid}, auth=team.basic("reader")
    )
    assert theirs.status_code == 403
