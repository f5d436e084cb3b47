"""Fulfilment on TikTok Shop (the `FulfilmentApi` of its session)."""

from __future__ import annotations


class TikTokFulfilment:
    """Fulfilment on TikTok Shop (the `FulfilmentApi` of its session)."""
