"""Orders on Shopee (the `OrderApi` of its session, reference §6): `get_order_list` by `update_time` in
windows of at most 15 days (cursor paging), `get_order_detail` of at most 50 orders with the optional
fields the lanes read, read into `core.models.orders`; the seller's cancellation.

What Shopee's detail says, and how it is read:
- `order_status` UNPAID (never placed), then INVOICE_PENDING (Brazil: paid, waiting for its NF-e),
  READY_TO_SHIP, PROCESSED, RETRY_SHIP, SHIPPED, TO_CONFIRM_RECEIVE, COMPLETED, TO_RETURN; IN_CANCEL (the
  buyer asked to cancel: held until the seller answers), CANCELLED; PENDING (held by the platform);
- `item_list[]` holds one line per model with `model_quantity_purchased`, named by `model_sku` (or
  `item_sku` for an item without models), prices as numbers in the order's currency;
- an order ships as one package: the order's own `order_sn` is its package id for the lanes (Shopee's
  `package_number` exists only once shipping is arranged);
- the buyer's CPF is `buyer_cpf_id` (Brazil), the address `recipient_address` (`zipcode`, `state`, `city`,
  `district`, `full_address`); times are Unix seconds.
Shopee has no returns search in the reference: a return shows as the order's TO_RETURN status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tiktok_pipelines.channels.base.orders import OrderReader
from tiktok_pipelines.channels.shopee.client import ShopeeClient
from tiktok_pipelines.channels.shopee.offers import sku_id
from tiktok_pipelines.core.models import orders as model
from tiktok_pipelines.core.names import ChannelName

MAX_WINDOW = timedelta(days=15)
LIST_PAGE_SIZE = 100
# The optional fields of a detail that are read here.
DETAIL_FIELDS = (
    "actual_shipping_fee,buyer_cpf_id,cancel_by,cancel_reason,estimated_shipping_fee,item_list,package_list,"
    "pay_time,recipient_address,shipping_carrier,total_amount"
)
PAID = frozenset(
    {
        "INVOICE_PENDING",
        "READY_TO_SHIP",
        "PROCESSED",
        "RETRY_SHIP",
        "SHIPPED",
        "TO_CONFIRM_RECEIVE",
        "COMPLETED",
        "TO_RETURN",
    }
)
ON_HOLD = frozenset({"IN_CANCEL", "PENDING"})
CANCELLED = "CANCELLED"
OUT_OF_STOCK = "OUT_OF_STOCK"


def order_state(status: str | None) -> model.OrderState:
    """What a Shopee order status means for the lanes."""
    status = str(status or "")
    if status == CANCELLED:
        return model.OrderState.CANCELLED
    if status == "UNPAID":
        return model.OrderState.AWAITING_PAYMENT
    if status in ON_HOLD:
        return model.OrderState.ON_HOLD
    if status in PAID:
        return model.OrderState.PAID
    return model.OrderState.UNKNOWN


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _line(
    order_sn: str, n: int, line: Mapping[str, Any], currency: str | None, cancelled: bool
) -> model.OrderLine:
    original = model.read_amount(line.get("model_original_price"))
    sale = model.read_amount(line.get("model_discounted_price"))
    discount = original - sale if original is not None and sale is not None else None
    return model.OrderLine(
        line_id=f"{order_sn}:{n}",
        seller_sku=_text(line.get("model_sku")) or _text(line.get("item_sku")),
        quantity=int(line.get("model_quantity_purchased") or 1),
        sale_price=sale,
        original_price=original,
        seller_discount=discount,
        platform_discount=Decimal("0"),
        currency=currency,
        cancelled=cancelled,
        package_id=order_sn,
        channel_product_id=_text(line.get("item_id")),
        channel_sku_id=sku_id(line.get("item_id"), line.get("model_id")),
        product_name=line.get("item_name"),
        sku_name=_text(line.get("model_name")),
    )


def _address(address: Mapping[str, Any]) -> model.Address:
    full = str(address.get("full_address") or "")
    return model.Address(
        name=_text(address.get("name")),
        postal_code=_text(address.get("zipcode")),
        state=_text(address.get("state")),
        city=_text(address.get("city")),
        district=_text(address.get("district")) or _text(address.get("town")),
        street_line=full.split(",")[0].strip() or None,
        complement=None,
        region_code=_text(address.get("region")),
        phone=_text(address.get("phone")),
    )


def order_from_detail(detail: Mapping[str, Any]) -> model.Order:
    """A Shopee order detail (`get_order_detail`'s `order_list[]`) as a core `Order`, kept as `raw`."""
    order_sn = str(detail["order_sn"])
    status = detail.get("order_status")
    state = order_state(status)
    currency = detail.get("currency")
    lines = tuple(
        _line(order_sn, n, line, currency, state == model.OrderState.CANCELLED)
        for n, line in enumerate(detail.get("item_list") or [])
    )
    subtotal: Decimal | None = Decimal("0")
    for line in lines:
        subtotal = (
            None
            if subtotal is None or line.sale_price is None
            else subtotal + line.sale_price * line.quantity
        )
    shipping = detail.get("actual_shipping_fee") or detail.get("estimated_shipping_fee")
    document = re.sub(r"\D", "", str(detail.get("buyer_cpf_id") or "")) or None
    return model.Order(
        order_id=order_sn,
        channel=ChannelName.SHOPEE,
        state=state,
        status=status,
        updated_at=model.read_unix_time(detail.get("update_time")),
        created_at=model.read_unix_time(detail.get("create_time")),
        paid_at=model.read_unix_time(detail.get("pay_time")),
        lines=lines,
        packages=(order_sn,),
        buyer=model.Buyer(email=None, document=document, document_origin="buyer_cpf_id"),
        address=_address(detail.get("recipient_address") or {}),
        amounts=model.OrderAmounts(
            currency=currency,
            subtotal=subtotal,
            shipping_fee=model.read_amount(shipping),
            seller_discount=Decimal("0"),
            platform_discount=Decimal("0"),
            tax=Decimal("0"),
            total=model.read_amount(detail.get("total_amount")),
        ),
        seller_ships=False,
        shipping_type=_text(detail.get("shipping_carrier")),
        is_cod=bool(detail.get("cod")),
        cancel_reason=_text(detail.get("cancel_reason")),
        cancelled_by=_text(detail.get("cancel_by")),
        tracking_number=_text(detail.get("tracking_number")),
        raw=dict(detail),
    )


def windows(since: datetime, until: datetime, size: timedelta = MAX_WINDOW) -> Iterator[tuple[int, int]]:
    """[since, until) as Unix-second windows `get_order_list` takes (at most 15 days, bounds inclusive)."""
    start = int(since.timestamp())
    end = int(until.timestamp())
    step = int(size.total_seconds())
    while start < end:
        stop = min(end, start + step)
        yield start, stop - 1
        start = stop


class ShopeeOrderReader(OrderReader):
    """Shopee's order details and order pushes, read without a call: a code 3 push of IN_CANCEL or
    CANCELLED is the news of a cancellation, done once CANCELLED."""

    cancellation_fields = ("ordersn", "status")
    cancelled_statuses = frozenset({CANCELLED})

    def order_from_detail(self, detail: Mapping[str, Any]) -> model.Order:
        return order_from_detail(detail)


class ShopeeOrders(ShopeeOrderReader):
    """Orders on Shopee (the `OrderApi` of its session)."""

    api: ShopeeClient

    def orders_changed(self, since: datetime, until: datetime) -> Iterator[model.OrderChange]:
        for time_from, time_to in windows(since, until):
            cursor = ""
            while True:
                page = self.api.response(
                    "GET",
                    "/api/v2/order/get_order_list",
                    params={
                        "time_range_field": "update_time",
                        "time_from": time_from,
                        "time_to": time_to,
                        "page_size": LIST_PAGE_SIZE,
                        "cursor": cursor,
                        "response_optional_fields": "order_status",
                    },
                )
                for found in page.get("order_list") or []:
                    yield model.OrderChange(str(found["order_sn"]), None)
                if not page.get("more"):
                    break
                cursor = str(page.get("next_cursor") or "")

    def order_details(self, order_ids: Sequence[str]) -> list[model.Order]:
        return [order_from_detail(d) for d in self.order_detail_list(order_ids)]

    def order_detail_list(self, order_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not order_ids:
            return []
        if len(order_ids) > self.capabilities.orders_per_detail_call:
            raise ValueError(f"at most {self.capabilities.orders_per_detail_call} orders a detail call")
        answer = self.api.response(
            "GET",
            "/api/v2/order/get_order_detail",
            params={
                "order_sn_list": ",".join(order_ids),
                "response_optional_fields": DETAIL_FIELDS,
            },
        )
        return list(answer.get("order_list") or [])

    def returns_changed(self, since: datetime, until: datetime) -> Iterator[model.Return]:
        return iter(())

    def returns_of(self, order_id: str) -> Iterator[model.Return]:
        return iter(())

    def cancel_order(self, order_id: str, reason: str) -> None:
        body: dict[str, Any] = {"order_sn": order_id, "cancel_reason": reason}
        if reason == OUT_OF_STOCK:
            [detail] = self.order_detail_list([order_id]) or [{}]
            body["item_list"] = [
                {"item_id": line["item_id"], "model_id": line.get("model_id", 0)}
                for line in detail.get("item_list") or []
            ]
        self.api.response("POST", "/api/v2/order/cancel_order", json=body)
