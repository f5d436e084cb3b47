"""Orders and packs (reference §6): the buyer simulator places paid orders on active items (stock taken,
sales counted), a cart purchase as several orders sharing one `pack_id` and one shipment, cancellations
(stock given back), each change told by notifications (`orders_v2` several times per change, as the
platform does; `items` and `shipments` beside); the demo's autopilot; and the API's order detail, order
search by seller and dates, packs, and an order's billing info (the buyer's CPF and fiscal address,
`/orders/{id}/billing_info`: absent from the reference, modelled on Mercado Livre's public docs,
UNCONFIRMED like the pack statuses)."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal
from typing import Any

from tiktok_pipelines.core.nfe import cpf_with_check_digits
from tiktok_pipelines.sandbox.mercado_livre.errors import bad_request, forbidden, not_found
from tiktok_pipelines.sandbox.mercado_livre.routes import Call, offset_page, table
from tiktok_pipelines.sandbox.mercado_livre.state import CURRENCY, SITE_ID, Seller, iso, parse_iso
from tiktok_pipelines.sandbox.tiktok_shop.seed import BR_CITIES, FIRST_NAMES, LAST_NAMES

ORDER_STATUSES = (
    "paid",
    "confirmed",
    "payment_in_process",
    "payment_required",
    "partially_paid",
    "cancelled",
    "invalid",
)


def _money(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class OrdersMixin:
    """The buyer simulator and the orders, packs and shipments it creates, of `MercadoLivreEmulator`."""

    def create_orders(
        self,
        nickname: str,
        count: int = 1,
        *,
        cart_size: int = 1,
        item_ids: list[str] | None = None,
        quantity: int = 1,
    ) -> list[int]:
        """`count` purchases by simulated buyers, each of `cart_size` active items with stock (one order
        per item; a cart's orders share a pack and a shipment), paid. Returns the order ids."""
        if cart_size < 1 or count < 0 or quantity < 1:
            raise ValueError("count, cart_size and quantity must be positive")
        created: list[int] = []
        with self.lock:
            seller = self.seller(nickname)
            for _ in range(count):
                created += self._purchase(seller, cart_size, item_ids, quantity)
        return created

    def _lines(
        self, seller: Seller, cart_size: int, item_ids: list[str] | None, quantity: int
    ) -> list[tuple]:
        candidates = [
            (item, variation)
            for item in seller.items.values()
            if item["status"] == "active" and (not item_ids or item["id"] in item_ids)
            for variation in (item["variations"] or [None])
            if (variation or item)["available_quantity"] >= quantity
        ]
        if not candidates:
            raise ValueError(f"seller {seller.nickname} has no active item with stock to sell")
        picks: list[tuple] = []
        for _ in range(cart_size):
            left = [c for c in candidates if all(c[0]["id"] != p[0]["id"] for p in picks)] or candidates
            picks.append(self.rng.choice(left))
        return picks

    def _purchase(
        self, seller: Seller, cart_size: int, item_ids: list[str] | None, quantity: int
    ) -> list[int]:
        rng = self.rng
        now = time.time()
        lines = self._lines(seller, cart_size, item_ids, quantity)
        state, city, cep, street = rng.choice(BR_CITIES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        buyer = {
            "id": rng.randrange(10**8, 2 * 10**9),
            "nickname": f"{first}{last}{rng.randrange(100, 999)}".upper(),
        }
        pack_id = rng.randrange(2 * 10**15, 3 * 10**15) if len(lines) > 1 else None
        shipment_id = rng.randrange(4 * 10**10, 5 * 10**10)
        orders = []
        for item, variation in lines:
            holder = variation or item
            holder["available_quantity"] -= quantity
            holder["sold_quantity"] += quantity
            if variation is not None:
                item["sold_quantity"] += quantity
            self._settle_stock(item)
            item["last_updated"] = iso(now)
            orders.append(self._order(seller, item, variation, quantity, buyer, pack_id, shipment_id, now))
        seller.shipments[shipment_id] = self.new_shipment(
            shipment_id,
            seller,
            orders,
            buyer,
            f"{street}, {city}, {state}, {cep}",
            (state, city, cep, street),
            now,
        )
        if pack_id:
            seller.packs[pack_id] = {
                "id": pack_id,
                "buyer": {"id": buyer["id"]},
                "shipment": {"id": shipment_id},
                "orders": [o["id"] for o in orders],
                "date_created": iso(now),
            }
        cpf = cpf_with_check_digits(str(rng.randrange(10**8, 10**9)))
        for order in orders:
            seller.orders[order["id"]] = order
            seller.billing_infos[order["id"]] = billing_info(first, last, cpf, (state, city, cep, street))
            self.notify_order(seller, order)
        for item, _ in lines:
            self.notify(seller, "items", f"/items/{item['id']}")
        self.notify(seller, "shipments", f"/shipments/{shipment_id}")
        return [o["id"] for o in orders]

    def _order(
        self,
        seller: Seller,
        item: dict,
        variation: dict | None,
        quantity: int,
        buyer: dict,
        pack_id: int | None,
        shipment_id: int,
        now: float,
    ) -> dict[str, Any]:
        rng = self.rng
        order_id = rng.randrange(2 * 10**15, 3 * 10**15)
        unit = Decimal(str(item["price"]))
        total = unit * quantity
        sku = next(
            (
                a["value_name"]
                for a in ((variation or {}).get("attributes") or item["attributes"])
                if a.get("id") == "SELLER_SKU"
            ),
            None,
        )
        tags = ["paid", "not_delivered"] + (["pack_order"] if pack_id else [])
        return {
            "id": order_id,
            "status": "paid",
            "status_detail": None,
            "date_created": iso(now),
            "date_closed": iso(now),
            "last_updated": iso(now),
            "expiration_date": iso(now + 28 * 86400),
            "pack_id": pack_id,
            "order_items": [
                {
                    "item": {
                        "id": item["id"],
                        "title": item["title"],
                        "category_id": item["category_id"],
                        "variation_id": variation["id"] if variation else None,
                        "variation_attributes": [
                            {
                                "id": c["id"],
                                "name": c["name"],
                                "value_id": c["value_id"],
                                "value_name": c["value_name"],
                            }
                            for c in (variation or {}).get("attribute_combinations") or []
                        ],
                        "seller_custom_field": (variation or item).get("seller_custom_field"),
                        "seller_sku": sku,
                    },
                    "quantity": quantity,
                    "unit_price": _money(unit),
                    "full_unit_price": _money(unit),
                    "gross_price": _money(total),
                    "currency_id": CURRENCY,
                    "sale_fee": _money((total * Decimal("0.14")).quantize(Decimal("0.01"))),
                    "listing_type_id": item["listing_type_id"],
                }
            ],
            "total_amount": _money(total),
            "paid_amount": _money(total),
            "currency_id": CURRENCY,
            "buyer": dict(buyer),
            "seller": {"id": seller.id},
            "payments": [
                {
                    "id": rng.randrange(10**10, 9 * 10**10),
                    "order_id": order_id,
                    "payer_id": buyer["id"],
                    "status": "approved",
                    "status_detail": "accredited",
                    "transaction_amount": _money(total),
                    "total_paid_amount": _money(total),
                    "shipping_cost": 0,
                    "currency_id": CURRENCY,
                    "payment_method_id": rng.choice(("pix", "master", "visa", "bolbradesco")),
                    "installments": 1,
                    "date_created": iso(now),
                    "date_approved": iso(now),
                    "date_last_modified": iso(now),
                }
            ],
            "shipping": {"id": shipment_id},
            "feedback": {"sale": None, "purchase": None},
            "tags": tags,
            "context": {"channel": "marketplace", "site": SITE_ID, "flows": []},
        }

    def notify_order(self, seller: Seller, order: dict[str, Any]) -> None:
        for _ in range(max(1, self.config.orders_v2_per_change)):
            self.notify(seller, "orders_v2", f"/orders/{order['id']}")

    def order_of(self, order_id: int) -> tuple[Seller, dict[str, Any]]:
        for seller in self.sellers.values():
            if order_id in seller.orders:
                return seller, seller.orders[order_id]
        raise KeyError(order_id)

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """The buyer cancels: stock comes back, the shipment is cancelled once all its orders are."""
        with self.lock:
            seller, order = self.order_of(order_id)
            if order["status"] == "cancelled":
                return order
            shipment = seller.shipments[order["shipping"]["id"]]
            if shipment["status"] in ("shipped", "delivered"):
                raise ValueError(f"order {order_id} has shipped: it is a return, not a cancellation")
            now = time.time()
            for line in order["order_items"]:
                item = seller.items.get(line["item"]["id"])
                if item is None:
                    continue
                variation = next(
                    (v for v in item["variations"] if v["id"] == line["item"]["variation_id"]), None
                )
                holder = variation or item
                holder["available_quantity"] += line["quantity"]
                holder["sold_quantity"] = max(0, holder["sold_quantity"] - line["quantity"])
                if variation is not None:
                    item["sold_quantity"] = max(0, item["sold_quantity"] - line["quantity"])
                self._settle_stock(item)
                item["last_updated"] = iso(now)
                self.notify(seller, "items", f"/items/{item['id']}")
            order.update(
                status="cancelled",
                status_detail={"code": "buyer_cancelled"},
                last_updated=iso(now),
                tags=[t for t in order["tags"] if t != "paid"],
            )
            for payment in order["payments"]:
                payment.update(status="refunded", status_detail="refunded", date_last_modified=iso(now))
            siblings = [seller.orders[o] for o in shipment["order_ids"] if o in seller.orders]
            if all(o["status"] == "cancelled" for o in siblings):
                self.set_shipment_status(shipment["id"], "cancelled")
            self.notify_order(seller, order)
            return order

    def autopilot_step(self, nickname: str) -> dict[str, Any]:
        """One tick of the demo's buyers: a purchase (now and then a cart), one shipment moved along,
        now and then a cancellation of an order not yet shipped."""
        done: dict[str, Any] = {"created": [], "moved": None}
        rng = self.rng
        with contextlib.suppress(ValueError):
            done["created"] = self.create_orders(nickname, 1, cart_size=rng.choice((1, 1, 1, 2, 3)))
        with self.lock:
            seller = self.seller(nickname)
            waiting = [s for s in seller.shipments.values() if s["status"] == "ready_to_ship"]
            moving = [s for s in seller.shipments.values() if s["status"] == "shipped"]
        if waiting and rng.random() < 0.1:
            order_id = rng.choice(rng.choice(waiting)["order_ids"])
            with contextlib.suppress(ValueError):
                self.cancel_order(order_id)
                done["moved"] = (order_id, "cancelled")
        elif waiting or moving:
            shipment = min(waiting + moving, key=lambda s: s["last_updated"])
            nxt = "shipped" if shipment["status"] == "ready_to_ship" else "delivered"
            self.set_shipment_status(shipment["id"], nxt)
            done["moved"] = (shipment["id"], nxt)
        return done


def billing_info(first: str, last: str, cpf: str, place: tuple[str, str, str, str]) -> dict[str, Any]:
    """The billing info a buyer gave at checkout (the unversioned answer: `doc_type`, `doc_number` and
    `additional_info` entries; UNCONFIRMED)."""
    state, city, cep, street = place
    street_name, _, number = street.rpartition(", ")
    extra = {
        "DOC_TYPE": "CPF",
        "DOC_NUMBER": cpf,
        "FIRST_NAME": first,
        "LAST_NAME": last,
        "STREET_NAME": street_name,
        "STREET_NUMBER": number,
        "CITY_NAME": city,
        "STATE_NAME": state,
        "ZIP_CODE": cep.replace("-", ""),
    }
    return {
        "billing_info": {
            "doc_type": "CPF",
            "doc_number": cpf,
            "additional_info": [{"type": k, "value": v} for k, v in extra.items()],
        }
    }


def _order_id(call: Call, name: str) -> int:
    try:
        return int(call.params[name])
    except ValueError:
        raise not_found(f"Order {call.params[name]} not found") from None


def h_order(call: Call) -> Any:
    order_id = _order_id(call, "order_id")
    try:
        seller, order = call.emulator.order_of(order_id)
    except KeyError:
        raise not_found(f"Order {order_id} not found") from None
    if seller.id != call.me.id:
        raise forbidden("Invalid caller.id: the order is not this seller's")
    return order


def h_billing_info(call: Call) -> Any:
    """The buyer's document and fiscal address of one of the seller's orders."""
    order = h_order(call)
    return call.me.billing_infos.get(order["id"]) or {"billing_info": {}}


def _window(orders: list[dict], query: dict[str, str], field: str) -> list[dict]:
    for bound in ("from", "to"):
        raw = query.get(f"order.{field}.{bound}")
        if not raw:
            continue
        try:
            limit = parse_iso(raw)
        except ValueError:
            raise bad_request(f"Invalid date in order.{field}.{bound}: {raw}") from None
        keep = (lambda ts, lim=limit: ts >= lim) if bound == "from" else (lambda ts, lim=limit: ts <= lim)
        orders = [o for o in orders if keep(parse_iso(o[field]))]
    return orders


def h_search(call: Call) -> Any:
    seller_id = call.query.get("seller")
    if not seller_id:
        raise bad_request("The parameter seller is required")
    if seller_id != str(call.me.id):
        raise forbidden("Invalid caller.id: the token's user is not this seller")
    orders = list(call.me.orders.values())
    status = call.query.get("order.status")
    if status:
        if status not in ORDER_STATUSES:
            raise bad_request(f"Invalid order.status {status}")
        orders = [o for o in orders if o["status"] == status]
    orders = _window(orders, call.query, "date_created")
    orders = _last_updated(orders, call.query)
    if call.query.get("q"):
        orders = [o for o in orders if call.query["q"] in (str(o["id"]), str(o["pack_id"] or ""))]
    sort = call.query.get("sort") or "date_asc"
    if sort not in ("date_asc", "date_desc"):
        raise bad_request(f"Invalid sort {sort}")
    orders.sort(key=lambda o: (parse_iso(o["date_created"]), o["id"]), reverse=sort == "date_desc")
    page, paging = offset_page(call, orders, call.emulator.config.orders_search_max_limit)
    return {
        "query": call.query.get("q", ""),
        "display": "complete",
        "paging": paging,
        "results": page,
        "sort": {"id": sort, "name": "Date ascending" if sort == "date_asc" else "Date descending"},
        "available_sorts": [{"id": s, "name": s} for s in ("date_asc", "date_desc") if s != sort],
        "filters": [],
        "available_filters": [{"id": "order.status", "values": [{"id": s} for s in ORDER_STATUSES]}],
    }


def _last_updated(orders: list[dict], query: dict[str, str]) -> list[dict]:
    """`order.date_last_updated.from/to`: the window the safety net reads orders changed in."""
    renamed = {
        k.replace("order.date_last_updated", "order.last_updated"): v
        for k, v in query.items()
        if k.startswith("order.date_last_updated")
    }
    return _window(orders, renamed, "last_updated")


def h_pack(call: Call) -> Any:
    try:
        pack_id = int(call.params["pack_id"])
    except ValueError:
        raise not_found(f"Pack {call.params['pack_id']} not found") from None
    pack = call.me.packs.get(pack_id)
    if pack is None:
        if any(pack_id in s.packs for s in call.emulator.sellers.values()):
            raise forbidden("Invalid caller.id: the pack is not this seller's")
        raise not_found(f"Pack {pack_id} not found")
    orders = [call.me.orders[o] for o in pack["orders"]]
    statuses = {o["status"] for o in orders}
    status = statuses.pop() if len(statuses) == 1 else "pending_cancel"
    return {
        "id": pack_id,
        "status": "released" if status == "paid" else status,
        "status_detail": None,
        "family_pack_id": None,
        "date_created": pack["date_created"],
        "last_updated": max(o["last_updated"] for o in orders),
        "buyer": pack["buyer"],
        "shipment": pack["shipment"],
        "orders": [{"id": o["id"]} for o in orders],
    }


ROUTES = table(
    {
        "GET /orders/search": h_search,
        "GET /orders/{order_id}": h_order,
        "GET /orders/{order_id}/billing_info": h_billing_info,
        "GET /packs/{pack_id}": h_pack,
    }
)
