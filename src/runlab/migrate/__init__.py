"""Bringing history in and taking it along: imports from MLflow (its file store, SQL
database or server), runlab archives, and copies between runlab tracking URIs.

    from runlab.migrate import Target, import_all, open_mlflow_source

    report = import_all(open_mlflow_source("sqlite:///mlflow.db"), Target.open(None))

See docs/migration.md for what maps to what.
"""

from __future__ import annotations

from runlab.migrate.importer import ImportReport, import_all
from runlab.migrate.mapping import IdMap
from runlab.migrate.options import Options, parse_since
from runlab.migrate.sources import Source, open_mlflow_source, open_runlab_source
from runlab.migrate.target import Target

__all__ = [
    "IdMap",
    "ImportReport",
    "Options",
    "Source",
    "Target",
    "import_all",
    "open_mlflow_source",
    "open_runlab_source",
    "parse_since",
]
