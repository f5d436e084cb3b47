"""`secrets`: encryption keys for secrets at rest."""

from __future__ import annotations

import click


@click.group()
def secrets() -> None:
    """Encryption keys for secrets at rest."""


@secrets.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new key for TIKTOK_PIPELINES_SECRET_KEY."""
    from tiktok_pipelines.stores.crypto import SecretBox

    click.echo(SecretBox.generate_key())
