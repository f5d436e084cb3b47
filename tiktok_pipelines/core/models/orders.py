"""An order as every lane sees it, whatever channel sold it: its state, lines, buyer, address and amounts.

A channel reads its own order detail into these (`channels/<channel>/orders.py`) and keeps the detail
itself in `Order.raw`: the order map stores that, encrypted, and reads it back through the channel.
Amounts are `Decimal` in the order's currency; an amount the channel sent but that cannot be read is
None (never zero), so nothing is placed at a price nobody stated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tiktok_pipelines.core.names import ChannelName


def read_amount(value: Any) -> Decimal | None:
    """An amount a channel sent (a decimal string or a number) as Decimal: empty is zero, unreadable is
    None."""
    if value in (None, ""):
        return Decimal("0")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def read_unix_time(seconds: Any) -> datetime | None:
    """A Unix time in seconds a channel sent, as a time (None when absent or unreadable)."""
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC) if seconds else None
    except (TypeError, ValueError, OverflowError):
        return None


class Versioned:
    """An order as of its change time, `updated_at`: a detail never replaces a newer one."""

    updated_at: datetime | None

    @property
    def version(self) -> int:
        """The change time in whole Unix seconds (0 when unknown), what orders are versioned by."""
        return int(self.updated_at.timestamp()) if self.updated_at else 0


class OrderState(StrEnum):
    """Where an order stands for the lanes: what decides whether it is placed, left waiting or cancelled."""

    AWAITING_PAYMENT = "awaiting_payment"
    ON_HOLD = "on_hold"  # paid, but the channel holds it (fraud review, a cooling-off period)
    PAID = "paid"  # to fulfil, or already on its way
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # a status the channel added since: wait, never act on a guess


@dataclass(frozen=True)
class Address:
    """Where the order goes. `street_line` is the street with its number when the channel gives them as one
    line (`number` then None); `district` is the neighbourhood (bairro)."""

    name: str | None = None  # the receiver
    postal_code: str | None = None  # as the channel wrote it
    state: str | None = None  # first-level division (a UF in Brazil)
    city: str | None = None
    district: str | None = None
    street_line: str | None = None
    number: str | None = None
    complement: str | None = None
    region_code: str | None = None  # country or region, as the channel codes it
    phone: str | None = None


@dataclass(frozen=True)
class Buyer:
    """Who bought. `document` is the tax id's digits (CPF, or CNPJ for a company) when the channel gives one;
    `document_origin` says where the channel's detail holds it, for a person fixing an order without one."""

    email: str | None = None
    document: str | None = None
    document_origin: str = ""


@dataclass(frozen=True)
class OrderLine:
    """One line of an order. Some channels (TikTok Shop) send one line per unit: `quantity` is then 1 and
    lines repeat the seller SKU."""

    line_id: str
    seller_sku: str | None
    quantity: int = 1
    sale_price: Decimal | None = Decimal("0")  # per unit, what the buyer paid before order-level discounts
    original_price: Decimal | None = Decimal("0")
    seller_discount: Decimal | None = Decimal("0")
    platform_discount: Decimal | None = Decimal("0")
    currency: str | None = None
    status: str | None = None  # the channel's own wording, for the lake
    cancelled: bool = False
    gift: bool = False  # given away by the channel: not the merchant's sale
    package_id: str | None = None
    channel_product_id: str | None = None
    channel_sku_id: str | None = None
    product_name: str | None = None
    sku_name: str | None = None


@dataclass(frozen=True)
class OrderAmounts:
    """The order's money, in `currency` (None: an amount sent but unreadable)."""

    currency: str | None = None
    subtotal: Decimal | None = Decimal("0")
    shipping_fee: Decimal | None = Decimal("0")
    seller_discount: Decimal | None = Decimal("0")
    platform_discount: Decimal | None = Decimal("0")
    tax: Decimal | None = Decimal("0")
    total: Decimal | None = Decimal("0")


@dataclass(frozen=True)
class Order(Versioned):
    """One order of a channel, read from its detail (`raw`, kept as received for the order map)."""

    order_id: str
    channel: ChannelName
    state: OrderState
    status: str | None = None  # the channel's own wording, for the lake and the UI
    updated_at: datetime | None = None
    created_at: datetime | None = None
    paid_at: datetime | None = None
    lines: tuple[OrderLine, ...] = ()
    packages: tuple[str, ...] = ()  # the ids of the channel's packages, lines or none yet
    buyer: Buyer = field(default_factory=Buyer)
    address: Address = field(default_factory=Address)
    amounts: OrderAmounts = field(default_factory=OrderAmounts)
    seller_ships: bool = False  # the merchant's own carrier ships it, not the channel's logistics
    shipping_type: str | None = None  # the channel's own wording, for the lake
    is_cod: bool = False
    is_sample: bool = False
    cancel_reason: str | None = None
    cancelled_by: str | None = None
    tracking_number: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class OrderChange(Versioned):
    """An order the channel says changed in a time window, with when it last changed."""

    order_id: str
    updated_at: datetime | None


@dataclass(frozen=True)
class Return:
    """A return or refund the buyer asked for."""

    return_id: str
    order_id: str
    return_type: str | None = None
    status: str | None = None  # the channel's own wording
    refund_total: Decimal | None = None
    currency: str | None = None
    seller_skus: tuple[str | None, ...] = ()
