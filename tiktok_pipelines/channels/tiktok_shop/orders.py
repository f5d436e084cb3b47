"""Orders on TikTok Shop (the `OrderApi` of its session): TikTok's order details and returns read into
`core.models.orders`, and the calls behind them.

What TikTok's order detail says, and how it is read (reference §3 Orders):
- `status` UNPAID, ON_HOLD, AWAITING_SHIPMENT, PARTIALLY_SHIPPING, AWAITING_COLLECTION, IN_TRANSIT,
  DELIVERED, COMPLETED, CANCELLED (webhook type 1 spells it CANCEL); `is_on_hold_order` holds a paid order;
- `line_items[]` holds one line per unit, named by `seller_sku`, with its `package_id` once packed;
- `recipient_address.district_info[]` names the state (L1), city (L2) and neighbourhood (L3);
- the buyer's CPF is not in the documented object: it is looked for in `DOCUMENT_FIELDS` (UNCONFIRMED);
- amounts are decimal strings, times Unix seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from tiktok_pipelines.channels.base.orders import OrderReader
from tiktok_pipelines.core.models.orders import (
    Address,
    Buyer,
    Order,
    OrderAmounts,
    OrderChange,
    OrderLine,
    OrderState,
    Return,
    read_amount,
    read_unix_time,
)
from tiktok_pipelines.core.names import ChannelName

UNPAID = "UNPAID"
ON_HOLD = "ON_HOLD"
CANCELLED = frozenset({"CANCELLED", "CANCEL"})
PAID = frozenset(
    {"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"}
)
# Cancellation statuses (webhook 11, cancellation search) that mean the order is cancelled for good.
CANCELLATION_DONE = frozenset({"CANCELLATION_REQUEST_SUCCESS", "CANCELLATION_REQUEST_COMPLETE"})
# Where an order detail may hold the buyer's CPF (Brazil), the first present wins.
DOCUMENT_FIELDS = ("cpf", "buyer_cpf", "buyer_tax_id")
SELLER_SHIPPING = "SELLER"  # shipping_type of orders the merchant's own carrier ships


def order_state(status: str | None, on_hold: bool = False) -> OrderState:
    """What a TikTok order status (with its on-hold flag) means for the lanes."""
    status = str(status or "")
    if status in CANCELLED:
        return OrderState.CANCELLED
    if status == UNPAID:
        return OrderState.AWAITING_PAYMENT
    if status == ON_HOLD or on_hold:
        return OrderState.ON_HOLD
    if status in PAID:
        return OrderState.PAID
    return OrderState.UNKNOWN


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _district(address: Mapping[str, Any], level: str) -> str | None:
    for part in address.get("district_info") or []:
        if part.get("address_level") == level:
            return part.get("address_name")
    return None


def _line(line: Mapping[str, Any]) -> OrderLine:
    return OrderLine(
        line_id=str(line.get("id")),
        seller_sku=_text(line.get("seller_sku")),
        quantity=int(line.get("quantity") or 1),
        sale_price=read_amount(line.get("sale_price")),
        original_price=read_amount(line.get("original_price")),
        seller_discount=read_amount(line.get("seller_discount")),
        platform_discount=read_amount(line.get("platform_discount")),
        currency=line.get("currency"),
        status=line.get("display_status"),
        cancelled=line.get("display_status") in CANCELLED,
        gift=bool(line.get("is_gift")),
        package_id=_text(line.get("package_id")),
        channel_product_id=_text(line.get("product_id")),
        channel_sku_id=_text(line.get("sku_id")),
        product_name=line.get("product_name"),
        sku_name=line.get("sku_name"),
    )


def _address(address: Mapping[str, Any]) -> Address:
    line1 = str(address.get("address_line1") or "").strip()
    complement = " ".join(x for x in (address.get("address_line2"), address.get("address_detail")) if x)
    return Address(
        name=_text(address.get("name")),
        postal_code=_text(address.get("postal_code")),
        state=_district(address, "L1"),
        city=_district(address, "L2"),
        district=_district(address, "L3") or _text(address.get("address_line3")) or None,
        street_line=line1 or str(address.get("full_address") or "").split(",")[0],
        complement=complement or None,
        region_code=address.get("region_code"),
        phone=_text(address.get("phone_number")),
    )


def _buyer(detail: Mapping[str, Any], document_fields: Sequence[str]) -> Buyer:
    document = next((re.sub(r"\D", "", str(detail[f])) for f in document_fields if detail.get(f)), None)
    return Buyer(
        email=_text(detail.get("buyer_email")),
        document=document,
        document_origin=", ".join(document_fields),
    )


def order_from_detail(detail: Mapping[str, Any], document_fields: Sequence[str] = DOCUMENT_FIELDS) -> Order:
    """A TikTok order detail (`GET /order/202309/orders`) as a core `Order`, the detail kept as `raw`."""
    payment = detail.get("payment") or {}
    return Order(
        order_id=str(detail["id"]),
        channel=ChannelName.TIKTOK_SHOP,
        state=order_state(detail.get("status"), bool(detail.get("is_on_hold_order"))),
        status=detail.get("status"),
        updated_at=read_unix_time(detail.get("update_time")),
        created_at=read_unix_time(detail.get("create_time")),
        paid_at=read_unix_time(detail.get("paid_time")),
        lines=tuple(_line(line) for line in detail.get("line_items") or []),
        packages=tuple(str(p["id"]) for p in detail.get("packages") or [] if p.get("id")),
        buyer=_buyer(detail, document_fields),
        address=_address(detail.get("recipient_address") or {}),
        amounts=OrderAmounts(
            currency=payment.get("currency"),
            subtotal=read_amount(payment.get("sub_total")),
            shipping_fee=read_amount(payment.get("shipping_fee")),
            seller_discount=read_amount(payment.get("seller_discount")),
            platform_discount=read_amount(payment.get("platform_discount")),
            tax=read_amount(payment.get("tax")),
            total=read_amount(payment.get("total_amount")),
        ),
        seller_ships=detail.get("shipping_type") == SELLER_SHIPPING,
        shipping_type=detail.get("shipping_type"),
        is_cod=bool(detail.get("is_cod")),
        is_sample=bool(detail.get("is_sample_order")),
        cancel_reason=detail.get("cancel_reason") or None,
        cancelled_by=detail.get("cancellation_initiator") or None,
        tracking_number=detail.get("tracking_number") or None,
        raw=dict(detail),
    )


def return_from_api(found: Mapping[str, Any]) -> Return:
    """A return of the returns search (`return_orders[]`) as a core `Return`."""
    refund = found.get("refund_amount") or {}
    total = refund.get("refund_total")
    return Return(
        return_id=str(found["return_id"]),
        order_id=str(found.get("order_id")),
        return_type=found.get("return_type"),
        status=found.get("return_status"),
        refund_total=read_amount(total) if total not in (None, "") else None,
        currency=refund.get("currency"),
        seller_skus=tuple(_text(line.get("seller_sku")) for line in found.get("return_line_items") or []),
    )


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


class TikTokOrderReader(OrderReader):
    """TikTok's order details and order notifications, read without a call."""

    cancellation_fields = ("order_id", "cancel_status")
    cancelled_statuses = CANCELLATION_DONE

    def order_from_detail(self, detail: Mapping[str, Any]) -> Order:
        return order_from_detail(detail)


class TikTokOrders(TikTokOrderReader):
    """Orders on TikTok Shop (the `OrderApi` of its session)."""

    def orders_changed(self, since: datetime, until: datetime) -> Iterator[OrderChange]:
        for found in self.api.iter_orders(update_time_ge=_seconds(since), update_time_lt=_seconds(until)):
            yield OrderChange(str(found["id"]), read_unix_time(found.get("update_time")))

    def order_details(self, order_ids: Sequence[str]) -> list[Order]:
        return [order_from_detail(detail) for detail in self.api.get_orders(order_ids)]

    def returns_changed(self, since: datetime, until: datetime) -> Iterator[Return]:
        for found in self.api.iter_returns(update_time_ge=_seconds(since), update_time_lt=_seconds(until)):
            yield return_from_api(found)

    def returns_of(self, order_id: str) -> Iterator[Return]:
        for found in self.api.iter_returns(order_ids=[order_id]):
            yield return_from_api(found)

    def cancel_order(self, order_id: str, reason: str) -> None:
        self.api.cancel_order(order_id, reason)
