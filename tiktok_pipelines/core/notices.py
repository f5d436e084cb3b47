"""The notices the lanes record, one builder per happening, so that each kind carries the same facts and
dedup key wherever it is recorded. Facts name ids, amounts, counts and reasons, never a buyer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.notifications import Notice, NotificationKind, asset_link, run_link


def _reason(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:300] if text else ""


# The channel's asset a notice about its work links to.
_ASSETS = {
    NotificationKind.AUTHORIZATION_LOST: "tokens",
    NotificationKind.AUTHORIZATION_EXPIRING: "tokens",
    NotificationKind.OUT_OF_STOCK: "inventory",
    NotificationKind.LISTING_REJECTED: "listings",
    NotificationKind.LISTING_PAUSED: "listings",
    NotificationKind.INVOICE_FAILED: "invoices",
    NotificationKind.SHIPMENT_FAILED: "shipments",
}


def _on_channel(
    kind: NotificationKind, client_id: str, channel: str, key: tuple, facts: dict, asset: str | None = None
) -> Notice:
    """A notice about one channel's work: deduplicated on `kind:channel:key...`, linked to the channel's
    asset of the kind (or `asset`)."""
    dedup_key = ":".join(str(part) for part in (kind.value, channel, *key))
    link = asset_link(f"{channel}/{asset or _ASSETS[kind]}")
    return Notice(client_id, kind, dedup_key, facts, channel=channel, link=link)


def _instant(at: datetime) -> str:
    """The part of a dedup key that makes every happening its own notice."""
    return f"{at:%Y%m%dT%H%M%S%f}"


def _day(at: datetime) -> str:
    """The part of a dedup key that tells a happening once a day."""
    return f"{at:%Y-%m-%d}"


def order_placed(client_id: str, order: Order, vtex_order_id: str, run_id: str | None) -> Notice:
    channel = str(order.channel)
    total = order.amounts.total
    return Notice(
        client_id,
        NotificationKind.ORDER_PLACED,
        f"order_placed:{channel}:{order.order_id}",
        {
            "order_id": order.order_id,
            "vtex_order_id": vtex_order_id,
            "total": "" if total is None else f"{total:.2f}",
            "currency": order.amounts.currency or "",
            "items": sum(line.quantity for line in order.lines if not line.cancelled),
        },
        channel=channel,
        link=run_link(run_id) or asset_link("vtex_orders"),
    )


def order_failed(client_id: str, channel: str, order_id: str, reason: str, run_id: str | None) -> Notice:
    """An order no run retries any more (it waits for `tiktok-pipelines orders reprocess`)."""
    return Notice(
        client_id,
        NotificationKind.ORDER_FAILED,
        f"order_failed:{channel}:{order_id}:{_reason(reason)[:80]}",
        {"order_id": order_id, "reason": _reason(reason)},
        channel=channel,
        link=run_link(run_id) or asset_link("vtex_orders"),
    )


def daily_sales(client_id: str, channel: str, day: str, orders: int, gross: str, currency: str) -> Notice:
    return Notice(
        client_id,
        NotificationKind.DAILY_SALES,
        f"daily_sales:{channel or 'all'}:{day}",
        {"day": day, "orders": orders, "gross": gross, "currency": currency},
        channel=channel,
        link=asset_link("analytics/sales_daily"),
    )


def run_failed(client_id: str, job: str, run_id: str, reason: str, ui_path: str | None = None) -> Notice:
    return Notice(
        client_id,
        NotificationKind.RUN_FAILED,
        f"run_failed:{run_id}",
        {"job": job, "run_id": run_id[:8], "reason": _reason(reason)},
        link=ui_path or run_link(run_id),
    )


def check_failed(
    client_id: str, asset: str, check: str, reason: str, run_id: str | None, at: datetime
) -> Notice:
    return Notice(
        client_id,
        NotificationKind.CHECK_FAILED,
        f"check_failed:{asset}:{check}:{run_id or at.isoformat()}",
        {"asset": asset, "check": check, "reason": _reason(reason)},
        link=run_link(run_id) or asset_link(asset),
    )


def fulfilment_failed(
    client_id: str,
    channel: str,
    stage: str,
    letter_id: int,
    reason: str,
    detail: str,
    package_id: str | None,
    order_id: str | None,
) -> Notice:
    """A new fulfilment dead letter: an invoice (`stage` invoice) or a shipment that waits for a person."""
    kind = NotificationKind.INVOICE_FAILED if stage == "invoice" else NotificationKind.SHIPMENT_FAILED
    facts = {
        "package_id": package_id or "-",
        "order_id": order_id or "",
        "reason": f"{reason}: {_reason(detail)}",
    }
    return _on_channel(kind, client_id, channel, (letter_id,), facts)


def event_dead_letter(
    client_id: str, source: str, event_type: str, event_id: str, letter_id: int, reason: str
) -> Notice:
    """An event the queue sensor failed to handle on every attempt."""
    return Notice(
        client_id,
        NotificationKind.WEBHOOK_DEAD_LETTER,
        f"webhook_dead_letter:{letter_id}:{event_id}",
        {"source": source, "event_type": event_type, "event_id": event_id, "reason": _reason(reason)},
    )


def authorization_lost(
    client_id: str, channel: str, reason: str, at: datetime, *, since: bool = False
) -> Notice:
    """The seller must authorize the app again (refresh refused or expired, another seller's grant);
    told once a day while it lasts, or, with `since` (`at` is when the grant ended, recorded once per
    loss), once per loss."""
    key = _instant(at) if since else _day(at)
    return _on_channel(
        NotificationKind.AUTHORIZATION_LOST, client_id, channel, (key,), {"reason": _reason(reason)}
    )


def authorization_expiring(client_id: str, channel: str, expires_at: datetime | int | None) -> Notice:
    """The seller's grant ends at `expires_at` (a datetime or Unix seconds): told once per end date."""
    if isinstance(expires_at, int):
        expires_at = datetime.fromtimestamp(expires_at, UTC)
    when = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if expires_at else "soon"
    return _on_channel(
        NotificationKind.AUTHORIZATION_EXPIRING, client_id, channel, (when[:10],), {"expires_at": when}
    )


def out_of_stock(client_id: str, channel: str, seller_sku: str, at: datetime) -> Notice:
    """The channel now shows 0 units of a SKU it showed in stock (told each time it runs out)."""
    key = (seller_sku, _instant(at))
    return _on_channel(NotificationKind.OUT_OF_STOCK, client_id, channel, key, {"seller_sku": seller_sku})


def listing_rejected(client_id: str, channel: str, product_key: str, reason: str, at: datetime) -> Notice:
    """The channel refused a product's listing (or it failed to publish): told once a day per product
    and reason, however many runs try it again."""
    why = _reason(reason)
    key = (product_key, _day(at), _digest(why))
    return _on_channel(
        NotificationKind.LISTING_REJECTED, client_id, channel, key, {"product": product_key, "reason": why}
    )


def listing_paused(
    client_id: str, channel: str, product_key: str, failures: int, reason: str, at: datetime
) -> Notice:
    """A product no run pushes again until its payload changes (`pause_after` identical refusals)."""
    facts = {"product": product_key, "failures": failures, "reason": _reason(reason)}
    return _on_channel(
        NotificationKind.LISTING_PAUSED, client_id, channel, (product_key, _instant(at)), facts
    )


def stock_price_failed(
    client_id: str, channel: str, kind: str, seller_sku: str, reason: str, at: datetime
) -> Notice:
    """A SKU's stock or price push entered the dead letter (refused `stock_price_max_attempts` times in a
    row): no run sends it again until its target changes or a person retries it."""
    facts = {"seller_sku": seller_sku, "what": kind, "reason": _reason(reason)}
    asset = "inventory" if kind == "stock" else "prices"
    key = (kind, seller_sku, _instant(at))
    return _on_channel(NotificationKind.STOCK_PRICE_FAILED, client_id, channel, key, facts, asset)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
