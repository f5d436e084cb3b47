"""Why a catalog run cannot go on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CatalogRunError(Exception):
    """The run stops: its message says why and what to do, `metadata` what the data engineer needs to
    see of it (the Dagster asset reports both as its failure)."""

    def __init__(self, message: str, metadata: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.metadata = dict(metadata or {})
