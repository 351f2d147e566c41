"""Warnings the model format emits: problems worth knowing that must not stop a load."""

from __future__ import annotations

__all__ = ["RequirementsMismatchWarning", "RunlabModelWarning"]


class RunlabModelWarning(UserWarning):
    """Base class of runlab's model warnings (filter them all with this class)."""


class RequirementsMismatchWarning(RunlabModelWarning):
    """A loaded model recorded package versions that differ from the installed ones."""
