"""A channel's order as a VTEX marketplace order (the fulfillment protocol: simulation, then the order
placed under the channel's affiliate), and the NF-e invoices an OMS order carries.

`marketplace_order` turns a core `Order` into the wire objects `VtexClient.place_order` sends: its lines
under VTEX SKU ids, priced by VTEX's simulation or at the channel's prices, the buyer and the address
split as VTEX wants them (street and number apart, a CEP of eight digits, a valid CPF).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from tiktok_pipelines.core.models.fulfilment import Invoice
from tiktok_pipelines.core.models.orders import Order
from tiktok_pipelines.core.money import to_cents
from tiktok_pipelines.core.nfe import is_valid_cpf
from tiktok_pipelines.core.orders import OrderMappingError, OrderOptions, vtex_items
from tiktok_pipelines.core.sku_ids import SkuIdMap


# ---------------------------------------------------------------- the wire objects (fulfillment protocol)
def _camel_case_fields(wire_object: Any) -> dict[str, Any]:
    """A wire object's fields under VTEX's names, the same in camelCase (`first_name` → `firstName`)."""
    return {
        re.sub(r"_([a-z])", lambda m: m.group(1).upper(), f.name): getattr(wire_object, f.name)
        for f in fields(wire_object)
    }


@dataclass(frozen=True)
class OrderItem:
    """An order line. `price_cents` is the unit price the marketplace sold at (integer cents)."""

    vtex_sku_id: str
    quantity: int
    price_cents: int
    seller: str = "1"
    commission_cents: int = 0
    freight_commission_cents: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.vtex_sku_id),
            "quantity": int(self.quantity),
            "seller": self.seller,
            "price": int(self.price_cents),
            "commission": int(self.commission_cents),
            "freightCommission": int(self.freight_commission_cents),
            "priceTags": [],
        }


@dataclass(frozen=True)
class Customer:
    email: str
    first_name: str
    last_name: str
    document: str
    document_type: str = "cpf"
    phone: str | None = None
    corporate_name: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            **_camel_case_fields(self),
            "tradeName": None,
            "corporateDocument": None,
            "stateInscription": None,
            "corporatePhone": None,
            "isCorporate": self.document_type == "cnpj",
        }


@dataclass(frozen=True)
class Address:
    receiver_name: str
    postal_code: str
    city: str
    state: str
    street: str
    number: str
    neighborhood: str
    complement: str | None = None
    reference: str | None = None
    country: str = "BRA"
    address_type: str = "residential"

    def payload(self) -> dict[str, Any]:
        return {**_camel_case_fields(self), "geoCoordinates": []}


@dataclass(frozen=True)
class Payment:
    """How the marketplace was paid, as a custom payment system configured in the store (optional)."""

    payment_system: str
    payment_system_name: str
    group: str
    value_cents: int
    installments: int = 1

    def payload(self) -> dict[str, Any]:
        return {
            "payments": [
                {
                    "paymentSystem": self.payment_system,
                    "paymentSystemName": self.payment_system_name,
                    "group": self.group,
                    "installments": self.installments,
                    "value": int(self.value_cents),
                    "referenceValue": int(self.value_cents),
                }
            ]
        }


@dataclass(frozen=True)
class MarketplaceOrder:
    """An order placed by the marketplace (TikTok Shop) in the seller's VTEX store.

    `shipping_cents` is the freight the buyer paid; VTEX totals the `price` of every logistics line, so
    it is put on the first item's line and the others carry zero.
    """

    marketplace_order_id: str
    items: tuple[OrderItem, ...]
    customer: Customer
    address: Address
    shipping_cents: int = 0
    sla: str = "Normal"
    shipping_estimate: str = "7d"
    lock_ttl: str = "8d"
    marketplace_services_endpoint: str | None = None
    payment: Payment | None = None
    is_created_async: bool = False
    open_text: str | None = None

    @property
    def value_cents(self) -> int:
        return sum(i.price_cents * i.quantity for i in self.items) + self.shipping_cents

    def payload(self, default_services_endpoint: str | None = None) -> dict[str, Any]:
        if not self.items:
            raise ValueError("an order needs at least one item")
        logistics = [
            {
                "itemIndex": index,
                "selectedSla": self.sla,
                "selectedDeliveryChannel": "delivery",
                "lockTTL": self.lock_ttl,
                "shippingEstimate": self.shipping_estimate,
                "price": int(self.shipping_cents) if index == 0 else 0,
                "deliveryWindow": None,
            }
            for index in range(len(self.items))
        ]
        return {
            "marketplaceOrderId": str(self.marketplace_order_id),
            "marketplaceServicesEndpoint": self.marketplace_services_endpoint or default_services_endpoint,
            "marketplacePaymentValue": self.value_cents,
            "isCreatedAsync": self.is_created_async,
            "items": [item.payload() for item in self.items],
            "clientProfileData": self.customer.payload(),
            "shippingData": {"address": self.address.payload(), "logisticsInfo": logistics},
            "paymentData": self.payment.payload() if self.payment else None,
            "openTextField": {"value": self.open_text} if self.open_text else None,
        }


@dataclass(frozen=True)
class PlacedOrder:
    """The seller's order created for a marketplace order: VTEX id `{affiliateId}-{marketplaceOrderId}`."""

    order_id: str
    marketplace_order_id: str
    raw: dict[str, Any]


# ---------------------------------------------------------------- a channel's order in VTEX terms

_NUMBER = re.compile(r"^(?P<street>.*?)[,\s]+(?:n[º°o.]?\s*)?(?P<number>\d+[A-Za-z]?)\s*$", re.IGNORECASE)


def vtex_address(order: Order) -> Address:
    """The order's address as VTEX takes it: a CEP of eight digits, the number apart from the street (read
    from the end of the street line when the channel gives them together; `S/N` when there is none)."""
    address = order.address
    postal = re.sub(r"\D", "", address.postal_code or "")
    if len(postal) != 8:
        raise OrderMappingError(f"order {order.order_id} has no valid Brazilian postal code")
    line = address.street_line or ""
    if address.number:
        street, number = line.strip(" ,"), address.number
    else:
        match = _NUMBER.match(line)
        street, number = (
            (match.group("street").strip(" ,"), match.group("number")) if match else (line, "S/N")
        )
    if not (street and address.state and address.city):
        raise OrderMappingError(f"order {order.order_id} address lacks street, state or city")
    return Address(
        receiver_name=(address.name or "").strip() or "Destinatário",
        postal_code=f"{postal[:5]}-{postal[5:]}",
        city=address.city,
        state=address.state,
        street=street,
        number=number,
        neighborhood=address.district or "-",
        complement=address.complement or None,
    )


def vtex_customer(order: Order, marketplace: str) -> Customer:
    """The buyer as a VTEX customer: a valid CPF is required; the name is the receiver's; without an email
    the order gets one no one reads, under the marketplace's name (`<order id>@tiktokshop.invalid`)."""
    buyer = order.buyer
    document = buyer.document or ""
    if not is_valid_cpf(document):
        raise OrderMappingError(
            f"order {order.order_id} has no valid CPF (looked in {buyer.document_origin or 'the order'})"
        )
    names = (order.address.name or "").split()
    first = names[0] if names else "Cliente"
    last = " ".join(names[1:]) or first
    phone = re.sub(r"[^\d+]", "", order.address.phone or "") or None
    domain = re.sub(r"[^a-z0-9]", "", marketplace.lower())
    email = (buyer.email or "").strip() or f"{order.order_id}@{domain}.invalid"
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


def simulation_items(order: Order, ids: SkuIdMap) -> list[tuple[str, int]]:
    """What VTEX's simulation is asked to price: (VTEX SKU id, quantity) per SKU of the order."""
    return [(sku, quantity) for sku, quantity, _ in vtex_items(order, ids)]


def marketplace_order(
    order: Order,
    simulation: dict[str, Any],
    options: OrderOptions,
    ids: SkuIdMap,
    marketplace: str = "TikTok Shop",
    services_endpoint: str | None = None,
) -> MarketplaceOrder:
    """The VTEX marketplace order for a paid order of the channel `marketplace` (its display name), priced
    per `options.price_source`: VTEX's simulated prices and freight, or what the channel sold at."""
    simulated = {str(item.get("id")): int(item.get("price") or 0) for item in simulation.get("items") or []}
    items = []
    for sku, quantity, channel_price in vtex_items(order, ids):
        if options.price_source == "vtex":
            if sku not in simulated:
                raise OrderMappingError(f"VTEX's simulation did not price SKU {sku}")
            price = simulated[sku]
        else:
            price = to_cents(channel_price)
        items.append(OrderItem(vtex_sku_id=sku, quantity=quantity, price_cents=price))
    sla, estimate, freight = choose_sla(simulation, options.sla)
    if options.price_source == "vtex":
        shipping = freight
    elif order.amounts.shipping_fee is None:
        raise OrderMappingError(f"order {order.order_id} has an unreadable shipping fee")
    else:
        shipping = to_cents(order.amounts.shipping_fee)
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
        marketplace_order_id=order.order_id,
        items=tuple(items),
        customer=vtex_customer(order, marketplace),
        address=vtex_address(order),
        shipping_cents=shipping,
        sla=sla,
        shipping_estimate=estimate,
        marketplace_services_endpoint=services_endpoint,
        payment=payment,
        is_created_async=options.price_source == "tiktok",
        open_text=f"{marketplace} order {order.order_id}",
    )


# ---------------------------------------------------------------- invoices of an OMS order


def output_invoices(order: dict[str, Any]) -> list[Invoice]:
    """The sale invoices of an OMS order's `packageAttachment.packages[]` (return invoices left out), with
    the SKUs each covers."""
    items = order.get("items") or []
    out = []
    for package in (order.get("packageAttachment") or {}).get("packages") or []:
        if (package.get("type") or "Output") != "Output":
            continue
        skus: Counter = Counter()
        for line in package.get("items") or []:
            index = line.get("itemIndex")
            sku = line.get("id") or (
                items[index].get("id") if isinstance(index, int) and index < len(items) else None
            )
            if sku is not None:
                skus[str(sku)] += int(line.get("quantity") or 0)
        out.append(
            Invoice(
                number=str(package.get("invoiceNumber")),
                value_cents=int(package.get("invoiceValue") or 0),
                key=package.get("invoiceKey") or None,
                url=package.get("invoiceUrl") or None,
                xml=package.get("embeddedInvoice") or None,
                courier=package.get("courier") or None,
                tracking_number=package.get("trackingNumber") or None,
                skus=skus,
            )
        )
    return out
