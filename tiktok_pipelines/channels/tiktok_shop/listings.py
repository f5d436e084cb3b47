"""Listings on TikTok Shop (the `CatalogApi` of its session)."""

from __future__ import annotations


class TikTokCatalog:
    """Listings on TikTok Shop (the `CatalogApi` of its session)."""
