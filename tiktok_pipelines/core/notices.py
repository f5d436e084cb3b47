"""The notices the lanes record, one builder per happening, so that each kind carries the same facts and
dedup key wherever it is recorded. Facts name ids, amounts, counts and reasons, never a buyer."""

from __future__ import annotations

from datetime import datetime

from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.notifications import Notice, NotificationKind, asset_link, run_link


def _reason(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:300] if text else ""


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
    return Notice(
        client_id,
        kind,
        f"{kind.value}:{channel}:{letter_id}",
        {
            "package_id": package_id or "-",
            "order_id": order_id or "",
            "reason": f"{reason}: {_reason(detail)}",
        },
        channel=channel,
        link=asset_link(f"{channel}/{'invoices' if stage == 'invoice' else 'shipments'}"),
    )


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


def authorization_lost(client_id: str, channel: str, reason: str, at: datetime) -> Notice:
    """The seller must authorize the app again (refresh refused or expired, another seller's grant);
    told once a day while it lasts."""
    return Notice(
        client_id,
        NotificationKind.AUTHORIZATION_LOST,
        f"authorization_lost:{channel}:{at:%Y-%m-%d}",
        {"reason": _reason(reason)},
        channel=channel,
        link=asset_link(f"{channel}/tokens"),
    )
