"""Orders on TikTok Shop (the `OrderApi` of its session)."""

from __future__ import annotations


class TikTokOrders:
    """Orders on TikTok Shop (the `OrderApi` of its session)."""
