"""The two lines MLflow's client prints when a run logged to a tracking server ends:

    🏃 View run <name> at: <server>/#/experiments/<experiment>/runs/<run>
    🧪 View experiment at: <server>/#/experiments/<experiment>

Both URLs open the same page in runlab's web UI and in MLflow's. Only runs on a server
get them (a local store has no web address); ``RUNLAB_PRINT_RUN_URL=false`` turns them off.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from runlab.environment_variables import RUNLAB_PRINT_RUN_URL

if TYPE_CHECKING:
    from runlab.entities import RunInfo
    from runlab.tracking.client import RunlabClient

__all__ = ["print_run_links", "run_links"]


def run_links(server: str, experiment_id: str, run_id: str) -> tuple[str, str]:
    """(run URL, experiment URL) in the web UI of ``server``; credentials in the tracking
    URI are left out, so the printed text can be shared."""
    parts = urlsplit(server.rstrip("/"))
    host = parts.netloc.rpartition("@")[2]
    base = urlunsplit((parts.scheme, host, parts.path, "", ""))
    experiment = f"{base}/#/experiments/{quote(experiment_id, safe='')}"
    return f"{experiment}/runs/{quote(run_id, safe='')}", experiment


def print_run_links(client: RunlabClient, info: RunInfo) -> None:
    """Print the lines for the run of ``info`` if ``client`` logs to a server (and they
    are on). No request is made: a server that is down must not hold up a run's end."""
    server = client.tracking_uri
    if not server.startswith(("http://", "https://")) or not RUNLAB_PRINT_RUN_URL.get():
        return
    run_url, experiment_url = run_links(server, str(info.experiment_id), info.run_id)
    sys.stdout.write(f"🏃 View run {info.run_name} at: {run_url}\n")
    sys.stdout.write(f"🧪 View experiment at: {experiment_url}\n")
