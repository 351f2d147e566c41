"""The web UI: static files served by the tracking server at ``/`` (data only)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
