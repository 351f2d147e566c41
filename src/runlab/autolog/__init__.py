"""Autologging: one call records params, metrics, models and datasets of every training.

::

    import runlab
    runlab.autolog()          # every supported framework, installed now or imported later

    runlab.sklearn.autolog(max_tuning_runs=10)   # one framework, with its own keywords

A framework's integration is one module of :mod:`runlab.autolog.integrations` that
builds an :class:`Integration` and registers it; see docs/autolog.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runlab.autolog._integration import AutologConfig, AutologgingWarning, Integration
from runlab.autolog._registry import all_integrations, register

__all__ = ["AutologConfig", "AutologgingWarning", "Integration", "autolog", "register"]


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    exclude_flavors: Iterable[str] | None = None,
) -> None:
    """Enable (or with ``disable=True`` undo) autologging for every supported framework,
    including those imported after this call. ``exclude_flavors`` names integrations to
    leave alone (``["sklearn"]``). Settings an integration's own ``autolog`` was given
    (``max_tuning_runs``...) are kept."""
    excluded = set(exclude_flavors or ())
    for integration in all_integrations():
        if integration.name in excluded:
            continue
        integration.configure(
            disable=disable,
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            log_models=log_models,
            log_datasets=log_datasets,
            exclusive=exclusive,
            silent=silent,
            extra_tags=extra_tags,
        )
