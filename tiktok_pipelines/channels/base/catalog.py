"""Listings: the channel's category tree and rules, brands, a listing built from a `core.models` product and validated against its category rules, then created, updated or deleted; images; listing statuses."""

from __future__ import annotations

from abc import ABC


class CatalogApi(ABC):  # noqa: B024
    """Listings: the channel's category tree and rules, brands, a listing built from a `core.models` product and validated against its category rules, then created, updated or deleted; images; listing statuses."""
