"""``runlab models ...``: work with saved models."""

from __future__ import annotations

import click

from runlab.cli.model_serve import serve

__all__ = ["models"]


@click.group()
def models() -> None:
    """Serve saved models."""


models.add_command(serve)
