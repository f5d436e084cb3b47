"""Order rules, whatever the channel: what to do with an order, which of its lines go to VTEX under which
SKU ids, and the lake rows of an order (no personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.core.models.orders import Order, OrderState
from tiktok_pipelines.core.sku_ids import SkuIdMap


class OrderMappingError(ValueError):
    """The order lacks something VTEX needs (a CPF, an address field, a SKU); not retryable."""


def placement_decision(order: Order) -> str:
    """`place` (paid), `cancel` (cancelled) or `wait` (not paid yet, on hold, or a state not known)."""
    if order.state is OrderState.CANCELLED:
        return "cancel"
    if order.state is OrderState.PAID:
        return "place"
    return "wait"


@dataclass(frozen=True)
class OrderOptions:
    """Per-client choices for placing orders in VTEX (client options of the same names)."""

    price_source: str = "vtex"  # vtex: VTEX's simulated prices; tiktok: the prices the channel sold at
    sla: str | None = None  # preferred VTEX SLA name; default the cheapest one offered
    payment_system: str | None = None  # a custom payment system id configured in the store
    payment_system_name: str = "TikTok Shop"
    payment_group: str | None = None

    @classmethod
    def from_client_options(cls, options: dict[str, Any]) -> OrderOptions:
        price_source = str(options.get("order_price_source", "vtex"))
        if price_source not in ("vtex", "tiktok"):
            raise OrderMappingError(
                f"client option order_price_source must be vtex or tiktok, not {price_source!r}"
            )
        return cls(
            price_source=price_source,
            sla=options.get("vtex_sla"),
            payment_system=options.get("vtex_payment_system"),
            payment_system_name=options.get("vtex_payment_system_name", "TikTok Shop"),
            payment_group=options.get("vtex_payment_group"),
        )


def money(value: Any) -> Decimal:
    """An amount sent as a decimal string, as Decimal; empty is zero."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        raise OrderMappingError(f"unreadable amount {value!r}") from None


def vtex_items(order: Order, ids: SkuIdMap) -> list[tuple[str, int, Decimal]]:
    """(VTEX SKU id, quantity, unit sale price) per SKU of the order's lines still sold (not cancelled,
    not gifts), named by seller SKU, which `ids` (the client's `vtex_sku_id_source`, `core.sku_ids`)
    turns into the VTEX SKU id; lines of one SKU (a channel may send one line per unit) add up."""
    grouped: dict[str, tuple[int, Decimal]] = {}
    for line in order.lines:
        if line.cancelled or line.gift:
            continue
        sku = (line.seller_sku or "").strip()
        if not sku:
            raise OrderMappingError(f"line {line.line_id} of order {order.order_id} has no seller_sku")
        vtex_sku_id = ids.vtex_sku_id(sku)
        if not vtex_sku_id:
            raise OrderMappingError(f"order {order.order_id}: {ids.missing_reason(sku)}")
        if line.sale_price is None:
            raise OrderMappingError(f"line {line.line_id} of order {order.order_id} has an unreadable price")
        count, price = grouped.get(vtex_sku_id, (0, line.sale_price))
        grouped[vtex_sku_id] = (count + line.quantity, price)
    if not grouped:
        raise OrderMappingError(f"order {order.order_id} has no line to place")
    return [(sku, qty, price) for sku, (qty, price) in grouped.items()]


# ---------------------------------------------------------------- lake rows (no personal data)


def order_row(
    client_id: str,
    order: Order,
    vtex_order_id: str | None,
    vtex_status: str | None,
    ingested_at: datetime,
    *,
    channel: str,
) -> dict[str, Any]:
    """The order's row of the lake table `orders` (an order of `channel`): amounts, places down to the
    city, states; no one's name, address or document."""
    amounts, address = order.amounts, order.address
    return {
        "client_id": client_id,
        "channel": str(channel),
        "order_id": order.order_id,
        "status": order.status,
        "vtex_order_id": vtex_order_id,
        "vtex_status": vtex_status,
        "currency": amounts.currency,
        "subtotal": amounts.subtotal,
        "shipping_fee": amounts.shipping_fee,
        "seller_discount": amounts.seller_discount,
        "platform_discount": amounts.platform_discount,
        "tax": amounts.tax,
        "total": amounts.total,
        "line_count": len(order.lines),
        "units": order.units,
        "shipping_type": order.shipping_type,
        "is_cod": order.is_cod,
        "is_sample": order.is_sample,
        "recipient_region": address.region_code,
        "recipient_state": address.state,
        "recipient_city": address.city,
        "cancel_reason": order.cancel_reason,
        "cancellation_initiator": order.cancelled_by,
        "tracking_number": order.tracking_number,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "updated_at": order.updated_at,
        "ingested_at": ingested_at,
    }


def line_rows(client_id: str, order: Order, ingested_at: datetime, *, channel: str) -> list[dict[str, Any]]:
    """The order's rows of the lake table `order_lines`, one per line as `channel` sent them."""
    return [
        {
            "client_id": client_id,
            "channel": str(channel),
            "order_id": order.order_id,
            "line_id": line.line_id,
            "channel_product_id": line.channel_product_id,
            "channel_sku_id": line.channel_sku_id,
            "seller_sku": line.seller_sku,
            "product_name": line.product_name,
            "sku_name": line.sku_name,
            "quantity": line.quantity,
            "original_price": line.original_price,
            "sale_price": line.sale_price,
            "seller_discount": line.seller_discount,
            "platform_discount": line.platform_discount,
            "currency": line.currency,
            "status": line.status,
            "package_id": line.package_id,
            "created_at": order.created_at,
            "ingested_at": ingested_at,
        }
        for line in order.lines
    ]
