"""VTEX's notifications to the project: the order hook (an order changed state), the broadcaster's SKU
notifications (stock or price changed), and the marketplace callbacks (an invoice or a cancellation
of a channel's order, posted to the endpoint the order was placed with). Parsed into
`core.events.InboundEvent`s for the queue, and read back into `core.events.Notice`s for the lanes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from tiktok_pipelines.core.event_payloads import PayloadInvalid, check_fields, decode_json_object, is_id
from tiktok_pipelines.core.events import EventAction, EventRejected, InboundEvent, Notice

SOURCE = "vtex"  # the events' `source` in the queue and the event log
ORDER_HOOK = "vtex:order_hook"
SKU_CHANGED = "vtex:sku_changed"

VTEX_ORDER_HOOK_FIELDS = {
    "OrderId": ("id", True),
    "State": ("code", True),
    "CurrentChange": ("code", False),
    "LastChange": ("code", False),
}


def _json_object(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        return decode_json_object(body)
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None


def check_vtex_order_hook(data: dict[str, Any]) -> str:
    """A VTEX order hook notification; returns the account it names (`Origin.Account`)."""
    check_fields(data, VTEX_ORDER_HOOK_FIELDS, "VTEX order hook")
    origin = data.get("Origin")
    if origin is not None and not isinstance(origin, dict):
        raise PayloadInvalid("VTEX order hook `Origin` is not an object")
    account = (origin or {}).get("Account")
    if account is not None and not is_id(account):
        raise PayloadInvalid("VTEX order hook `Origin.Account` is not an account name")
    return str(account or "")


def check_vtex_sku_notification(data: dict[str, Any]) -> tuple[str, str]:
    """A VTEX SKU (broadcaster / affiliate) notification; returns (SKU id, account)."""
    sku = data.get("idSKU", data.get("IdSku"))
    if not is_id(sku):
        raise PayloadInvalid("VTEX SKU notification `idSKU` must be an id")
    account = data.get("an") or data.get("An")
    if account is not None and not is_id(account):
        raise PayloadInvalid("VTEX SKU notification `an` is not an account name")
    return str(sku), str(account or "")


def parse_vtex_notification(body: bytes, received_at: datetime | None = None) -> InboundEvent | None:
    """A VTEX order hook notification or a broadcaster/affiliate SKU notification.

    Returns None for the hook's `{"hookConfig": "ping"}`, which only needs a 200.
    """
    text, data = _json_object(body)
    if data.get("hookConfig") == "ping":
        return None
    event_id = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    try:
        if "OrderId" in data and "State" in data:
            account = check_vtex_order_hook(data)
            event_type = ORDER_HOOK
            # The same order in the same state is the same event, whichever delivery brought it.
            change = data.get("CurrentChange") or data.get("LastChange") or ""
            event_id = f"{data['OrderId']}:{data['State']}:{change}"
        elif "idSKU" in data or "IdSku" in data:
            _, account = check_vtex_sku_notification(data)
            event_type = SKU_CHANGED
        else:
            raise EventRejected("not a VTEX order hook or SKU notification")
    except PayloadInvalid as exc:
        raise EventRejected(str(exc)) from None
    if not account:
        raise EventRejected("VTEX notification does not name its account")
    return InboundEvent(
        source=SOURCE,
        event_id=event_id,
        event_type=event_type,
        routing_key=account,
        received_at=received_at or datetime.now(UTC),
        body=text,
    )


# ---------------------------------------------------------------- marketplace callbacks

MARKETPLACE_CALLBACK_PREFIX = "/vtex/marketplace"


def marketplace_callback_token(secret: str, client_id: str) -> str:
    """The per-client secret in the path of VTEX's callbacks (VTEX cannot add headers to them): an HMAC
    of the client id under the receiver's VTEX secret, so nothing needs storing and one leaked URL opens
    only its own client's callbacks."""
    digest = hmac.new(secret.encode(), f"vtex-marketplace:{client_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def marketplace_callback_url(base_url: str, client_id: str, secret: str) -> str:
    """The `marketplaceServicesEndpoint` of a client's orders: VTEX appends `/pvt/orders/{id}/invoice`."""
    token = marketplace_callback_token(secret, client_id)
    return f"{base_url.rstrip('/')}{MARKETPLACE_CALLBACK_PREFIX}/{client_id}/{token}"


def parse_marketplace_callback(
    kind: str, marketplace_order_id: str, body: bytes, account: str, received_at: datetime | None = None
) -> InboundEvent:
    """VTEX's `POST {endpoint}/pvt/orders/{marketplaceOrderId}/invoice` (an invoice, or later its tracking)
    or `/cancel`. The queued body keeps what identifies the invoice, not the XML: the run reads the XML
    from the OMS with the store's credentials, so a callback is a prompt, never a source of truth."""
    data = _json_object(body)[1] if body.strip() else {}
    if kind not in ("invoice", "cancel"):
        raise EventRejected(f"unknown marketplace callback {kind}", status=404)
    if not marketplace_order_id:
        raise EventRejected("no marketplace order id")
    kept = {"marketplaceOrderId": marketplace_order_id, "kind": kind}
    for name in (
        "type",
        "invoiceNumber",
        "invoiceValue",
        "invoiceKey",
        "courier",
        "trackingNumber",
        "reason",
    ):
        if data.get(name) not in (None, ""):
            kept[name] = data[name]
    embedded = data.get("embeddedInvoice")
    if embedded:
        kept["embeddedInvoiceSha256"] = hashlib.sha256(str(embedded).encode("utf-8")).hexdigest()
    identity = json.dumps(kept, sort_keys=True, separators=(",", ":"))
    # The same invoice posted again (VTEX retries) is the same event; its tracking later is a new one.
    event_id = (
        f"{kind}:{marketplace_order_id}:{hashlib.blake2b(identity.encode(), digest_size=12).hexdigest()}"
    )
    return InboundEvent(
        source=SOURCE,
        event_id=event_id,
        event_type=f"vtex:{kind}",
        routing_key=account,
        received_at=received_at or datetime.now(UTC),
        body=identity,
    )


# ---------------------------------------------------------------- reading queued events


def read_vtex_notification(event: InboundEvent) -> Notice:
    """What a queued VTEX event tells: the SKU, or the order (VTEX's id; the marketplace's in a
    callback) it names, and an order's new state."""
    payload = event.payload()
    if event.event_type == SKU_CHANGED:
        return Notice(EventAction.SKU_CHANGED, (str(payload.get("idSKU") or payload.get("IdSku")),))
    if event.event_type == "vtex:invoice":
        return Notice(EventAction.VTEX_INVOICE, (str(payload.get("marketplaceOrderId") or ""),))
    if event.event_type == "vtex:cancel":
        return Notice(EventAction.VTEX_CANCEL, (str(payload.get("marketplaceOrderId") or ""),))
    state = str(payload.get("State"))
    action = (
        EventAction.VTEX_INVOICED if payload.get("State") == "invoiced" else EventAction.VTEX_ORDER_STATUS
    )
    return Notice(action, (str(payload.get("OrderId")),), status=state)


class VtexNotifications:
    """VTEX's queued events, read for the events lane (the receiver checks VTEX's shared secret)."""

    notification_source = SOURCE

    def read_notification(self, event: InboundEvent) -> Notice:
        return read_vtex_notification(event)
