"""One client of tests/server/test_kill9.py: log metric batches to a run until told to stop.

    python _kill9_client.py TRACKING_URI RUN_ID ACK_FILE STOP_FILE

Each batch is sent with ``synchronous=True``, so its return means the server acknowledged
it; only then is the batch's first step appended to ACK_FILE (one line, flushed), so the
file lists exactly what this client saw acknowledged. A batch that fails after the retry
budget is written to ACK_FILE as ``failed <step>`` and the loop goes on.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from runlab.entities import Metric
from runlab.errors import RunlabError
from runlab.tracking.client import RunlabClient

POINTS = 50  # metric points per batch


def main(tracking_uri: str, run_id: str, ack_file: str, stop_file: str) -> None:
    client = RunlabClient(tracking_uri)
    stop = Path(stop_file)
    first = 0
    with open(ack_file, "a", buffering=1) as acks:
        while not stop.exists():
            now = int(time.time() * 1000)
            batch = [Metric("m", float(s), now, s) for s in range(first, first + POINTS)]
            try:
                client.log_batch(run_id, metrics=batch, synchronous=True)
            except RunlabError:
                acks.write(f"failed {first}\n")
            else:
                acks.write(f"{first}\n")
            first += POINTS


if __name__ == "__main__":
    main(*sys.argv[1:5])
