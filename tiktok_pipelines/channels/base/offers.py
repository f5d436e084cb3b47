"""Stock and prices: pushes of the targets the stock and price lane computed, per product with every changed SKU, and a read of what the channel actually shows (the drift repair of full runs)."""

from __future__ import annotations

from abc import ABC


class OfferApi(ABC):  # noqa: B024
    """Stock and prices: pushes of the targets the stock and price lane computed, per product with every changed SKU, and a read of what the channel actually shows (the drift repair of full runs)."""
