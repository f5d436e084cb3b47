"""Brands: a product's brand as the client names it, and the channel's brand it maps to."""

from __future__ import annotations

from dataclasses import dataclass

from tiktok_pipelines.core.text import fold


def brand_key(name: str) -> str:
    """How a brand is known in the brand map: its name folded ("AÇAÍ  Sports" is "acai sports")."""
    return fold(name)


@dataclass
class BrandResult:
    """A brand looked up (or created) on a channel: its id there, how it was found, or why not."""

    key: str
    name: str
    channel_brand_id: str | None
    channel_brand_name: str | None = None
    origin: str | None = None  # matched | created | exists
    error: str | None = None
