"""What the resources share about secrets: a field that holds one, and how one is configured and read."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from tiktok_pipelines.settings import Settings


def secret_field(description: str) -> Any:
    """A resource field holding a secret, or the variable that holds it: unset by default and never in the
    resource's repr."""
    return Field(default=None, repr=False, description=description)


def configured_secret(settings: Settings, name: str, env_vars: bool = True) -> dg.EnvVar | str | None:
    """The secret variable `name` as a resource is configured with it: None when it is unset; the variable
    itself (`dg.EnvVar`: Dagster shows its name, never its value) for Definitions, or with `env_vars` False
    its value, for code that runs outside Dagster."""
    if not settings.get(name):
        return None
    return dg.EnvVar(name) if env_vars else settings.get(name)


def secret_value(configured: dg.EnvVar | str | None) -> str | None:
    """A configured secret's value, read from its variable when it is one (as Dagster does for a run), so the
    resource also works where Dagster does not resolve it (the CLI, tests, a sensor's own code)."""
    return configured.get_value() if isinstance(configured, dg.EnvVar) else configured
