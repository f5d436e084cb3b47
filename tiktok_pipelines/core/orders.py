"""TikTok orders: what to do with them, and how they become VTEX marketplace orders and lake rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.core.money import to_cents
from tiktok_pipelines.core.nfe import is_valid_cpf
from tiktok_pipelines.core.sku_ids import SkuIdMap
from tiktok_pipelines.vtex.client import Address, Customer, MarketplaceOrder, OrderItem, Payment

# Order statuses as the order API spells them (webhook type 1 says CANCEL for CANCELLED).
WAITING = frozenset({"UNPAID", "ON_HOLD"})
CANCELLED = frozenset({"CANCELLED", "CANCEL"})
PAID = frozenset(
    {"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"}
)
# Cancellation statuses that mean the order is cancelled for good.
CANCELLATION_DONE = frozenset({"CANCELLATION_REQUEST_SUCCESS", "CANCELLATION_REQUEST_COMPLETE"})


class OrderMappingError(ValueError):
    """The TikTok order lacks something VTEX needs (a CPF, an address field, a SKU); not retryable."""


def placement_decision(order: dict[str, Any]) -> str:
    """`place`, `wait` (not paid yet or on hold) or `cancel`, from a TikTok order detail."""
    status = str(order.get("status") or "")
    if status in CANCELLED:
        return "cancel"
    if status in WAITING or order.get("is_on_hold_order"):
        return "wait"
    if status in PAID:
        return "place"
    return "wait"


@dataclass(frozen=True)
class OrderOptions:
    """Per-client choices for placing orders in VTEX (client options of the same names)."""

    price_source: str = "vtex"  # vtex: VTEX's simulated prices; tiktok: the prices TikTok sold at
    sla: str | None = None  # preferred VTEX SLA name; default the cheapest one offered
    payment_system: str | None = None  # a custom payment system id configured in the store
    payment_system_name: str = "TikTok Shop"
    payment_group: str | None = None
    document_fields: tuple[str, ...] = ("cpf", "buyer_cpf", "buyer_tax_id")

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
    """A TikTok amount (a decimal string) as Decimal; empty is zero."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        raise OrderMappingError(f"unreadable amount {value!r}") from None


def vtex_items(order: dict[str, Any], ids: SkuIdMap) -> list[tuple[str, int, Decimal]]:
    """(VTEX SKU id, quantity, unit sale price) per SKU: TikTok sends one line item per unit, named by
    the seller SKU, which `ids` (the client's `vtex_sku_id_source`, `domain.sku_ids`) turns into the
    VTEX SKU id."""
    grouped: dict[str, tuple[int, Decimal]] = {}
    for line in order.get("line_items") or []:
        if line.get("display_status") in CANCELLED or line.get("is_gift"):
            continue
        sku = str(line.get("seller_sku") or "").strip()
        if not sku:
            raise OrderMappingError(f"line {line.get('id')} of order {order.get('id')} has no seller_sku")
        vtex_id = ids.vtex_id(sku)
        if not vtex_id:
            raise OrderMappingError(f"order {order.get('id')}: {ids.missing_reason(sku)}")
        quantity = int(line.get("quantity") or 1)
        count, price = grouped.get(vtex_id, (0, money(line.get("sale_price"))))
        grouped[vtex_id] = (count + quantity, price)
    if not grouped:
        raise OrderMappingError(f"order {order.get('id')} has no line to place")
    return [(sku, qty, price) for sku, (qty, price) in grouped.items()]


def _district(address: dict[str, Any], level: str) -> str | None:
    for part in address.get("district_info") or []:
        if part.get("address_level") == level:
            return part.get("address_name")
    return None


_NUMBER = re.compile(r"^(?P<street>.*?)[,\s]+(?:n[º°o.]?\s*)?(?P<number>\d+[A-Za-z]?)\s*$", re.IGNORECASE)


def vtex_address(order: dict[str, Any]) -> Address:
    addr = order.get("recipient_address") or {}
    postal = re.sub(r"\D", "", str(addr.get("postal_code") or ""))
    if len(postal) != 8:
        raise OrderMappingError(f"order {order.get('id')} has no valid Brazilian postal code")
    line1 = str(addr.get("address_line1") or "").strip() or str(addr.get("full_address") or "").split(",")[0]
    match = _NUMBER.match(line1)
    street, number = (match.group("street").strip(" ,"), match.group("number")) if match else (line1, "S/N")
    state = _district(addr, "L1")
    city = _district(addr, "L2")
    if not (street and state and city):
        raise OrderMappingError(f"order {order.get('id')} address lacks street, state or city")
    complement = " ".join(x for x in (addr.get("address_line2"), addr.get("address_detail")) if x) or None
    return Address(
        receiver_name=str(addr.get("name") or "").strip() or "Destinatário",
        postal_code=f"{postal[:5]}-{postal[5:]}",
        city=city,
        state=state,
        street=street,
        number=number,
        neighborhood=_district(addr, "L3") or str(addr.get("address_line3") or "") or "-",
        complement=complement,
    )


def vtex_customer(order: dict[str, Any], document_fields: tuple[str, ...]) -> Customer:
    document = next((re.sub(r"\D", "", str(order[f])) for f in document_fields if order.get(f)), "")
    if not is_valid_cpf(document):
        raise OrderMappingError(
            f"order {order.get('id')} has no valid CPF (looked in {', '.join(document_fields)})"
        )
    addr = order.get("recipient_address") or {}
    names = str(addr.get("name") or "").split()
    first = names[0] if names else "Cliente"
    last = " ".join(names[1:]) or first
    phone = re.sub(r"[^\d+]", "", str(addr.get("phone_number") or "")) or None
    email = str(order.get("buyer_email") or "").strip() or f"{order.get('id')}@tiktokshop.invalid"
    return Customer(email=email, first_name=first, last_name=last, document=document, phone=phone)


def choose_sla(simulation: dict[str, Any], preferred: str | None) -> tuple[str, str, int]:
    """(sla id, shipping estimate, freight in cents) offered by VTEX for the order's first item."""
    infos = simulation.get("logisticsInfo") or []
    slas = (infos[0].get("slas") if infos else None) or []
    if not slas:
        raise OrderMappingError("VTEX offers no delivery option (SLA) for this order")
    if preferred:
        for sla in slas:
            if preferred in (sla.get("id"), sla.get("name")):
                break
        else:
            raise OrderMappingError(f"VTEX does not offer the SLA {preferred!r} for this order")
    else:
        sla = min(slas, key=lambda s: int(s.get("price") or 0))
    freight = sum(
        int(s.get("price") or 0)
        for info in infos
        for s in info.get("slas") or []
        if s.get("id") == sla.get("id")
    )
    return str(sla.get("id") or sla.get("name")), str(sla.get("shippingEstimate") or "7d"), freight


def marketplace_order(
    order: dict[str, Any],
    simulation: dict[str, Any],
    options: OrderOptions,
    ids: SkuIdMap,
    services_endpoint: str | None = None,
) -> MarketplaceOrder:
    """The VTEX marketplace order for a paid TikTok order, priced per `options.price_source`."""
    lines = vtex_items(order, ids)
    simulated = {str(item.get("id")): int(item.get("price") or 0) for item in simulation.get("items") or []}
    items = []
    for sku, quantity, tiktok_price in lines:
        if options.price_source == "vtex":
            if sku not in simulated:
                raise OrderMappingError(f"VTEX's simulation did not price SKU {sku}")
            price = simulated[sku]
        else:
            price = to_cents(tiktok_price)
        items.append(OrderItem(sku_id=sku, quantity=quantity, price_cents=price))
    sla, estimate, freight = choose_sla(simulation, options.sla)
    shipping = (
        freight
        if options.price_source == "vtex"
        else to_cents(money((order.get("payment") or {}).get("shipping_fee")))
    )
    value = sum(i.price_cents * i.quantity for i in items) + shipping
    payment = None
    if options.payment_system:
        payment = Payment(
            payment_system=options.payment_system,
            payment_system_name=options.payment_system_name,
            group=options.payment_group or f"custom{options.payment_system}PaymentGroupPaymentGroup",
            value_cents=value,
        )
    return MarketplaceOrder(
        marketplace_order_id=str(order["id"]),
        items=tuple(items),
        customer=vtex_customer(order, options.document_fields),
        address=vtex_address(order),
        shipping_cents=shipping,
        sla=sla,
        shipping_estimate=estimate,
        marketplace_services_endpoint=services_endpoint,
        payment=payment,
        is_created_async=options.price_source == "tiktok",
        open_text=f"TikTok Shop order {order['id']}",
    )


# ---------------------------------------------------------------- lake rows (no personal data)


def _ts(seconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC) if seconds else None
    except (TypeError, ValueError, OverflowError):
        return None


def order_row(
    client_id: str,
    order: dict[str, Any],
    vtex_order_id: str | None,
    vtex_status: str | None,
    ingested_at: datetime,
) -> dict[str, Any]:
    payment = order.get("payment") or {}
    addr = order.get("recipient_address") or {}
    lines = [li for li in order.get("line_items") or []]
    return {
        "client_id": client_id,
        "order_id": str(order["id"]),
        "status": order.get("status"),
        "vtex_order_id": vtex_order_id,
        "vtex_status": vtex_status,
        "currency": payment.get("currency"),
        "subtotal": money(payment.get("sub_total")),
        "shipping_fee": money(payment.get("shipping_fee")),
        "seller_discount": money(payment.get("seller_discount")),
        "platform_discount": money(payment.get("platform_discount")),
        "tax": money(payment.get("tax")),
        "total": money(payment.get("total_amount")),
        "line_count": len(lines),
        "units": sum(int(li.get("quantity") or 1) for li in lines),
        "shipping_type": order.get("shipping_type"),
        "is_cod": bool(order.get("is_cod")),
        "is_sample": bool(order.get("is_sample_order")),
        "recipient_region": addr.get("region_code"),
        "recipient_state": _district(addr, "L1"),
        "recipient_city": _district(addr, "L2"),
        "cancel_reason": order.get("cancel_reason") or None,
        "cancellation_initiator": order.get("cancellation_initiator") or None,
        "tracking_number": order.get("tracking_number") or None,
        "created_at": _ts(order.get("create_time")),
        "paid_at": _ts(order.get("paid_time")),
        "updated_at": _ts(order.get("update_time")),
        "ingested_at": ingested_at,
    }


def line_rows(client_id: str, order: dict[str, Any], ingested_at: datetime) -> list[dict[str, Any]]:
    created = _ts(order.get("create_time"))
    return [
        {
            "client_id": client_id,
            "order_id": str(order["id"]),
            "line_id": str(li.get("id")),
            "tiktok_product_id": li.get("product_id"),
            "tiktok_sku_id": li.get("sku_id"),
            "seller_sku": li.get("seller_sku"),
            "product_name": li.get("product_name"),
            "sku_name": li.get("sku_name"),
            "quantity": int(li.get("quantity") or 1),
            "original_price": money(li.get("original_price")),
            "sale_price": money(li.get("sale_price")),
            "seller_discount": money(li.get("seller_discount")),
            "platform_discount": money(li.get("platform_discount")),
            "currency": li.get("currency"),
            "status": li.get("display_status"),
            "package_id": li.get("package_id"),
            "created_at": created,
            "ingested_at": ingested_at,
        }
        for li in order.get("line_items") or []
    ]
