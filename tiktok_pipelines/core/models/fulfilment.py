"""Fulfilment as every lane sees it: a channel's packages, how one ships, its tracking, and the NF-e
invoices that go with them (the source side's invoices, the channel's verdicts and refusals)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PackageState(StrEnum):
    """Where a package stands for the lanes."""

    AWAITING_SHIPMENT = "awaiting_shipment"  # not shipped yet: it can be shipped
    SHIPPED = "shipped"  # on its way (or being prepared by the channel's logistics)
    COMPLETED = "completed"  # delivered: nothing more will move
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # the channel stated no status


@dataclass(frozen=True)
class Package:
    """A channel's package: the orders it carries, its status (the channel's own wording in `status`, for
    the state DB) and, once shipped, its tracking."""

    package_id: str
    state: PackageState
    status: str | None = None
    order_ids: tuple[str, ...] = ()
    tracking_number: str | None = None
    carrier: str | None = None
    carrier_id: str | None = None


@dataclass(frozen=True)
class ShipmentMethod:
    """How a package ships: handed to the channel's logistics (`handover`, e.g. PICKUP or DROP_OFF), or by
    the merchant's own carrier (`tracking_number` and the channel's `carrier_id` of that carrier)."""

    handover: str | None = None
    tracking_number: str | None = None
    carrier_id: str | None = None

    @property
    def label(self) -> str:
        return self.handover or "SELF_SHIPMENT"


@dataclass(frozen=True)
class TrackingEvent:
    """One event of a package's tracking, as the carrier reported it."""

    description: str
    at: datetime


@dataclass(frozen=True)
class Invoice:
    """A sale (Output) NF-e of an order on the source side: its number and value in cents, its access key,
    the XML (embedded, or at `url`), the carrier's tracking if the ERP gave one, and the SKUs it covers
    (VTEX SKU id → units)."""

    number: str
    value_cents: int
    key: str | None
    url: str | None
    xml: str | None
    courier: str | None
    tracking_number: str | None
    skus: Counter = field(default_factory=Counter)


# The verdicts a channel gives an uploaded invoice.
VERDICT_SUCCESS, VERDICT_PROCESSING, VERDICT_FAILED, VERDICT_INVALID = (
    "SUCCESS",
    "PROCESSING",
    "FAILED",
    "INVALID",
)


@dataclass(frozen=True)
class InvoiceVerdict:
    """The channel's verdict on an uploaded invoice (`status`: one of the VERDICT_* names, or whatever new
    word the channel sent, which is ignored), with its reason and the channel's own time of it."""

    package_id: str
    order_ids: tuple[str, ...]
    status: str
    reason: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceRefusal:
    """The channel refused an invoice upload: `reason` is a dead-letter reason of `core.fulfilment`, `code`
    and `message` the channel's own."""

    reason: str
    code: int
    message: str
