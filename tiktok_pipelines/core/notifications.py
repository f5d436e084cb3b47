"""Notifications, channel-neutral: what people must hear about (`NotificationKind`), one happening of it
(`Notice`), the quiet hours of a destination and the delay before a failed delivery is tried again.

A kind names what happened, never where: the channel it happened on is a field of the notice, so a new
channel adds no kind. A notice's `facts` are plain JSON values (ids, amounts, counts, reasons) and never
a buyer's name, address or document; `dedup_key` makes recording the same happening twice a no-op.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class NotificationKind(StrEnum):
    """What happened. Later channels (Mercado Livre, Shopee, creators) record the same kinds."""

    ORDER_PLACED = "order_placed"  # a channel's order placed into VTEX
    DAILY_SALES = "daily_sales"  # the day's orders and gross, per channel
    OUT_OF_STOCK = "out_of_stock"  # a SKU's stock on a channel reached 0
    LISTING_REJECTED = "listing_rejected"  # the channel refused a listing, or it failed to publish
    LISTING_PAUSED = "listing_paused"  # a listing paused after repeated identical failures
    ORDER_FAILED = "order_failed"  # an order no run retries any more (the orders' dead letter)
    INVOICE_FAILED = "invoice_failed"  # an invoice's dead letter
    SHIPMENT_FAILED = "shipment_failed"  # a shipment's dead letter
    WEBHOOK_DEAD_LETTER = "webhook_dead_letter"  # an event the queue sensor could not handle
    STOCK_PRICE_FAILED = "stock_price_failed"  # a stock or price push given up (its dead letter)
    AUTHORIZATION_EXPIRING = "authorization_expiring"  # a grant to renew, or expiring soon
    AUTHORIZATION_LOST = "authorization_lost"  # the seller must authorize again
    PUSHES_DISABLED = "pushes_disabled"  # a channel stopped sending its notifications
    RUN_FAILED = "run_failed"  # a Dagster run failed
    CHECK_FAILED = "check_failed"  # an asset check of ERROR severity failed
    TEST = "test"  # `tiktok-pipelines notifications test`


@dataclass(frozen=True)
class Notice:
    """One happening to tell a client's destinations about."""

    client_id: str
    kind: NotificationKind
    dedup_key: str
    facts: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    link: str | None = None  # a path in the Dagster UI (`/runs/<id>`, `/assets/vtex_orders`) or a URL

    def __post_init__(self) -> None:
        if not self.dedup_key:
            raise ValueError("a notice needs a dedup key")
        object.__setattr__(self, "kind", NotificationKind(self.kind))


def run_link(run_id: str | None) -> str | None:
    """The Dagster UI path of a run (None for work done outside a run: the CLI, a sensor's own code)."""
    return f"/runs/{run_id}" if run_id and re.fullmatch(r"[0-9a-f-]{36}", run_id) else None


def asset_link(key: str) -> str:
    """The Dagster UI path of an asset, `tiktok_shop/listings` → `/assets/tiktok_shop/listings`."""
    return f"/assets/{key.strip('/')}"


def full_link(link: str | None, ui_base_url: str | None) -> str | None:
    """A notice's link as a URL: a UI path joined to the UI's base URL."""
    if not link:
        return None
    if link.startswith(("http://", "https://")) or not ui_base_url:
        return link
    return ui_base_url.rstrip("/") + link


# ----------------------------------------------------------------------------- quiet hours

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    """A local-time window in which a destination gets nothing: what comes then is held, not dropped,
    and delivered when the window ends. A window may cross midnight (22:00-07:00)."""

    start: time
    end: time
    timezone: str = "America/Sao_Paulo"

    @classmethod
    def parse(cls, text: str, timezone: str = "America/Sao_Paulo") -> QuietHours:
        match = _WINDOW.match(text.strip())
        if not match:
            raise ValueError(f"quiet hours are HH:MM-HH:MM in local time (e.g. 22:00-07:00), not {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if (h1, m1) == (h2, m2):
            raise ValueError(f"quiet hours {text!r} start and end at the same time")
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
        return cls(time(h1, m1), time(h2, m2), timezone)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def ends_after(self, now: datetime) -> datetime | None:
        """When the window that holds `now` ends (aware, in `now`'s zone); None when `now` is outside."""
        local = now.astimezone(ZoneInfo(self.timezone))
        clock = local.time().replace(tzinfo=None)
        crosses_midnight = self.start > self.end
        inside = (
            (clock >= self.start or clock < self.end)
            if crosses_midnight
            else (self.start <= clock < self.end)
        )
        if not inside:
            return None
        end = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=local.tzinfo)
        return end.astimezone(now.tzinfo)


# ----------------------------------------------------------------------------- retries


def retry_delay(
    attempts: int, base_seconds: float, cap_seconds: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait after the `attempts`-th failed delivery: doubling from `base_seconds`, at most
    `cap_seconds`, with jitter (between half and all of it) so that many held deliveries do not return
    together."""
    delay = min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1))
    return delay * (0.5 + 0.5 * (rng or random).random())
