"""runlab Projects: reproducible runs from a folder or a git repository.

Reads MLflow's ``MLproject`` files unchanged::

    submitted = runlab.projects.run(".", entry_point="train", parameters={"alpha": 0.3})
    submitted.wait()

See docs/projects.md.
"""

from __future__ import annotations

from runlab.projects.runner import run
from runlab.projects.spec import EntryPoint, Parameter, Project, load_project
from runlab.projects.submitted import SubmittedRun

__all__ = ["EntryPoint", "Parameter", "Project", "SubmittedRun", "load_project", "run"]
