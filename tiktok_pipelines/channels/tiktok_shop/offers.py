"""Stock and prices on TikTok Shop (the `OfferApi` of its session)."""

from __future__ import annotations


class TikTokOffers:
    """Stock and prices on TikTok Shop (the `OfferApi` of its session)."""
