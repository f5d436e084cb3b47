"""Offers: what a listed SKU shows on a sales channel, its stock per channel warehouse and its price.

The stock and price lane computes targets (`PriceTarget`, and a quantity per channel warehouse), sends
the SKUs whose target the channel does not show yet (`StockUpdate`, `PriceUpdate`, one product at a
time), reads the channel's answer (`PushResult`: the SKUs it refused, and why), and reads back what the
channel shows (`ListedOffer`, per product in `ProductOffers`). A channel turns these into its own wire
format and back; none of them names a marketplace.

Targets are compared and stored as canonical JSON (`encode_target`), so "does the channel already show
this?" is a string comparison.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


def encode_target(value: Mapping[str, Any]) -> str:
    """A target (or what the channel shows) as canonical JSON: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def decode_target(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


# The one "warehouse" of a channel that keeps one quantity per SKU (Mercado Livre,
# `Capabilities.stock_keys`): its stock targets, and what it shows, are `{ONE_STOCK: units}`.
ONE_STOCK = ""


@dataclass(frozen=True)
class PriceTarget:
    """The price a SKU should show, and its list price (never below it), in the shop's currency."""

    price: Decimal
    list_price: Decimal
    currency: str

    def as_dict(self) -> dict[str, str]:
        return {"price": str(self.price), "list_price": str(self.list_price), "currency": self.currency}

    def encode(self) -> str:
        return encode_target(self.as_dict())

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> PriceTarget:
        """From `as_dict` (a decoded target); KeyError when a part is missing."""
        return cls(Decimal(str(value["price"])), Decimal(str(value["list_price"])), str(value["currency"]))


@dataclass(frozen=True)
class StockUpdate:
    """One SKU of a stock push: the units to show in each channel warehouse (every warehouse the SKU
    has, those with nothing at 0)."""

    channel_sku_id: str
    quantities: Mapping[str, int]


@dataclass(frozen=True)
class PriceUpdate:
    """One SKU of a price push."""

    channel_sku_id: str
    target: PriceTarget


@dataclass(frozen=True)
class SkuRefusal:
    """A SKU the channel refused in an otherwise answered push: the channel's code and message, and the
    channel warehouses of the SKU the push left out (when that was the reason)."""

    channel_sku_id: str
    code: str
    message: str
    missing_warehouses: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushResult:
    """The channel's answer to one product's push: every SKU sent took its values except those refused
    (channel SKU id → refusal)."""

    refused: Mapping[str, SkuRefusal] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused

    def refusal(self, channel_sku_id: str) -> SkuRefusal | None:
        return self.refused.get(channel_sku_id)


@dataclass(frozen=True)
class ListedOffer:
    """What the channel shows for one SKU: units per channel warehouse, and the price the seller set
    (None when the channel's answer carries none that can be read; the list price is not shown)."""

    channel_product_id: str
    channel_sku_id: str
    seller_sku: str | None
    quantities: Mapping[str, int]
    price: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class ProductOffers:
    """One product as the channel lists it, with the offers of its SKUs."""

    channel_product_id: str
    offers: tuple[ListedOffer, ...]
