"""Orders on Mercado Livre (the `OrderApi` of its session, reference §6–§7): the order detail read into
`core.models.orders`, with the address of its shipment, and the order search by last change.

How an order reads:
- `status` paid / confirmed → paid; payment_required, payment_in_process, partially_paid → awaiting
  payment; cancelled, invalid → cancelled; anything else waits (`UNKNOWN`);
- `order_items[]` one line per item or variation, named by its `SELLER_SKU` (`item.seller_sku`);
- the address is the shipment's (`GET /shipments/{id}`, either format), read with the order and kept
  beside it in the detail (`{"order": ..., "shipment": ...}`), so the order map reads it back without a
  call;
- amounts are JSON numbers, times ISO-8601 with an offset.

A cart purchase (several orders, one `pack_id`, one shipment) stays one VTEX order per Mercado Livre
order: each is a sale of its own on Mercado Livre (its own payment, amounts and fee, cancelled on its
own), and each names the shared shipment as its package, so the box is shipped, labelled and tracked
once for all of them (docs/mercado_livre.md).

The buyer's CPF (or CNPJ) is not in the order: it is read from `GET /orders/{id}/billing_info`
(UNCONFIRMED: Mercado Livre's billing-info resource, absent from the reference, its path the
application's `billing_info_path`, MERCADO_LIVRE_BILLING_INFO_PATH; an answer without it,
or a 404, leaves the order without a document, which VTEX then refuses for a person to fix).

Returns (claims, `post_purchase`) and a seller's cancellation are not in the reference: none is read,
and a cancellation is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tiktok_pipelines.channels.base.errors import ChannelRequestError
from tiktok_pipelines.channels.base.orders import OrderReader
from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreClient, MercadoLivreNotFoundError
from tiktok_pipelines.core.models import orders as model
from tiktok_pipelines.core.names import ChannelName

# What an order's status means for the lanes; any other is UNKNOWN.
ORDER_STATES = {
    "paid": model.OrderState.PAID,
    "confirmed": model.OrderState.PAID,
    "payment_required": model.OrderState.AWAITING_PAYMENT,
    "payment_in_process": model.OrderState.AWAITING_PAYMENT,
    "partially_paid": model.OrderState.AWAITING_PAYMENT,
    "cancelled": model.OrderState.CANCELLED,
    "invalid": model.OrderState.CANCELLED,
}
SEARCH_PAGE = 50


def order_state(status: str | None) -> model.OrderState:
    return ORDER_STATES.get(str(status or ""), model.OrderState.UNKNOWN)


def iso_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(at: datetime) -> str:
    """A time as the order search takes it (milliseconds and offset)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _line(
    order_id: str, line: Mapping[str, Any], package: str | None, currency: str | None
) -> model.OrderLine:
    item = line.get("item") or {}
    variation = item.get("variation_id")
    names = [str(a.get("value_name")) for a in item.get("variation_attributes") or [] if a.get("value_name")]
    unit = model.read_amount(line.get("unit_price"))
    full = model.read_amount(line.get("full_unit_price", line.get("unit_price")))
    discount = full - unit if unit is not None and full is not None and full > unit else Decimal("0")
    return model.OrderLine(
        line_id=f"{order_id}:{item.get('id')}:{variation or ''}",
        seller_sku=item.get("seller_sku") or item.get("seller_custom_field"),
        quantity=int(line.get("quantity") or 0),
        sale_price=unit,
        original_price=full,
        seller_discount=discount,
        platform_discount=Decimal("0"),
        currency=line.get("currency_id") or currency,
        package_id=package,
        channel_product_id=str(item.get("id")) if item.get("id") else None,
        channel_sku_id=str(variation or item.get("id") or "") or None,
        product_name=item.get("title"),
        sku_name=", ".join(names) or None,
    )


def _address(shipment: Mapping[str, Any]) -> model.Address:
    destination = shipment.get("destination") or {}
    place = destination.get("shipping_address") or shipment.get("receiver_address") or {}
    state = (place.get("state") or {}).get("id") or ""
    return model.Address(
        name=destination.get("receiver_name") or place.get("receiver_name"),
        postal_code=place.get("zip_code"),
        state=state.removeprefix("BR-") or (place.get("state") or {}).get("name"),
        city=(place.get("city") or {}).get("name"),
        district=(place.get("neighborhood") or {}).get("name"),
        street_line=place.get("street_name") or place.get("address_line"),
        number=place.get("street_number"),
        complement=place.get("comment"),
        region_code=(place.get("country") or {}).get("id") or "BR",
        phone=place.get("receiver_phone"),
    )


def buyer_of(billing: Mapping[str, Any] | None) -> model.Buyer:
    """The buyer's tax id from a billing-info answer (`{"billing_info": {"doc_type", "doc_number"}}`)."""
    info = (billing or {}).get("billing_info") or {}
    digits = "".join(ch for ch in str(info.get("doc_number") or "") if ch.isdigit())
    if not digits:
        return model.Buyer(document_origin="billing_info.doc_number (none given)")
    return model.Buyer(document=digits, document_origin="billing_info.doc_number")


def order_from_detail(detail: Mapping[str, Any]) -> model.Order:
    """An order from `{"order": <GET /orders/{id}>, "shipment": <its shipment, or None>,
    "billing_info": <its billing info, or None>}`."""
    order = detail.get("order") or {}
    shipment = detail.get("shipment") or {}
    order_id = str(order.get("id"))
    package = str((order.get("shipping") or {}).get("id") or "") or None
    currency = order.get("currency_id")
    lines = tuple(_line(order_id, line, package, currency) for line in order.get("order_items") or [])
    cancelled = order_state(order.get("status")) == model.OrderState.CANCELLED
    detail_status = order.get("status_detail")
    reason = detail_status.get("code") if isinstance(detail_status, dict) else detail_status
    total = model.read_amount(order.get("total_amount"))
    shipping_cost = model.read_amount((shipment.get("lead_time") or {}).get("cost") or 0)
    return model.Order(
        order_id=order_id,
        channel=ChannelName.MERCADO_LIVRE,
        state=order_state(order.get("status")),
        status=order.get("status"),
        updated_at=iso_time(order.get("last_updated")),
        created_at=iso_time(order.get("date_created")),
        paid_at=iso_time(order.get("date_closed")),
        lines=lines,
        packages=(package,) if package else (),
        buyer=buyer_of(detail.get("billing_info")),
        address=_address(shipment),
        amounts=model.OrderAmounts(
            currency=currency,
            subtotal=total,
            shipping_fee=shipping_cost,
            seller_discount=Decimal("0"),
            platform_discount=Decimal("0"),
            tax=Decimal("0"),
            total=model.read_amount(order.get("paid_amount", order.get("total_amount"))),
        ),
        seller_ships=shipment.get("mode") not in (None, "me2"),
        shipping_type=shipment.get("logistic_type") or shipment.get("mode"),
        cancel_reason=str(reason) if cancelled and reason else None,
        tracking_number=shipment.get("tracking_number"),
        raw={
            "order": dict(order),
            "shipment": dict(shipment) if shipment else None,
            "billing_info": detail.get("billing_info"),
        },
    )


class MercadoLivreOrderReader(OrderReader):
    def order_from_detail(self, detail: Mapping[str, Any]) -> model.Order:
        return order_from_detail(detail)

    def cancellation_notice(self, payload: Mapping[str, Any]) -> tuple[str, str | None] | None:
        return None  # a notification names only its resource; the order detail says it is cancelled

    def cancellation_done(self, status: str | None) -> bool:
        return order_state(status) is model.OrderState.CANCELLED


class MercadoLivreOrders(MercadoLivreOrderReader):
    """The `OrderApi` of a seller (`api`, `seller_id`)."""

    api: MercadoLivreClient
    seller_id: str

    def orders_changed(self, since: datetime, until: datetime) -> Iterator[model.OrderChange]:
        offset = 0
        while True:
            page = self.api.request(
                "GET",
                "/orders/search",
                params={
                    "seller": self.seller_id,
                    "order.date_last_updated.from": iso(since),
                    "order.date_last_updated.to": iso(until),
                    "sort": "date_asc",
                    "offset": offset,
                    "limit": SEARCH_PAGE,
                },
            )
            for order in page.get("results") or []:
                updated = iso_time(order.get("last_updated"))
                if updated is None or since <= updated < until:
                    yield model.OrderChange(str(order["id"]), updated)
            offset += SEARCH_PAGE
            if offset >= int((page.get("paging") or {}).get("total") or 0):
                return

    def shipment(self, shipment_id: str) -> dict[str, Any] | None:
        try:
            return self.api.request("GET", f"/shipments/{shipment_id}")
        except MercadoLivreNotFoundError:
            return None

    def billing_info(self, order_id: str) -> dict[str, Any] | None:
        try:
            return self.api.request("GET", self.api.app.billing_info_path.format(order_id=order_id))
        except MercadoLivreNotFoundError:
            return None

    def order_details(self, order_ids: Sequence[str]) -> list[model.Order]:
        found: list[model.Order] = []
        shipments: dict[str, dict[str, Any] | None] = {}
        for order_id in order_ids:
            try:
                order = self.api.request("GET", f"/orders/{order_id}")
            except MercadoLivreNotFoundError:
                continue
            shipment_id = str((order.get("shipping") or {}).get("id") or "")
            if shipment_id and shipment_id not in shipments:
                shipments[shipment_id] = self.shipment(shipment_id)
            detail = {
                "order": order,
                "shipment": shipments.get(shipment_id),
                "billing_info": self.billing_info(order_id),
            }
            found.append(order_from_detail(detail))
        return found

    def returns_changed(self, since: datetime, until: datetime) -> Iterator[model.Return]:
        return iter(())

    def returns_of(self, order_id: str) -> Iterator[model.Return]:
        return iter(())

    def cancel_order(self, order_id: str, reason: str) -> None:
        raise ChannelRequestError(
            f"Mercado Livre order {order_id}: the API documents no cancellation by the seller; "
            "cancel it in Mercado Livre's seller panel"
        )
