"""Orders: the simulator's buyers place orders on live products (stock is taken) and move them through
the platform's statuses, a webhook per step (packages follow, a cancellation restores stock); the demo's
autopilot; an address change; and the Order API's search and detail (reference §3)."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from tiktok_pipelines.core.nfe import cpf_with_check_digits
from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, json_body, matching, paginate, sort_items
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.seed import BR_CITIES, FIRST_NAMES, LAST_NAMES
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop, new_id, unix_now

ORDER_FLOW = ("UNPAID", "AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")
ORDER_TRANSITIONS = {
    "UNPAID": {"ON_HOLD", "AWAITING_SHIPMENT", "CANCELLED"},
    "ON_HOLD": {"AWAITING_SHIPMENT", "CANCELLED"},
    "AWAITING_SHIPMENT": {"AWAITING_COLLECTION", "CANCELLED"},
    "AWAITING_COLLECTION": {"IN_TRANSIT", "CANCELLED"},
    "IN_TRANSIT": {"DELIVERED"},
    "DELIVERED": {"COMPLETED"},
    "COMPLETED": set(),
    "CANCELLED": set(),
}


def _path_to(status: str) -> list[str]:
    if status == "ON_HOLD":
        return ["ON_HOLD"]
    if status == "CANCELLED":
        return ["AWAITING_SHIPMENT", "CANCELLED"]
    return list(ORDER_FLOW[1 : ORDER_FLOW.index(status) + 1])


class OrdersMixin:
    """The order simulator of `TikTokShopEmulator`."""

    def create_orders(
        self,
        shop_code: str,
        count: int = 1,
        *,
        status: str = "AWAITING_SHIPMENT",
        sku_ids: list[str] | None = None,
        items_per_order: int | None = None,
        create_time: int | None = None,
    ) -> list[str]:
        """Buyers place `count` orders of the shop's live products (stock is taken), then each order walks
        UNPAID → ... → `status`, a webhook per step. Returns the order ids."""
        if status not in ORDER_TRANSITIONS:
            raise ValueError(f"unknown order status {status}")
        ids = []
        with self.lock:
            shop = self.shop_by_code(shop_code)
            for _ in range(count):
                order = self._place_order(shop, sku_ids, items_per_order, create_time)
                ids.append(order["id"])
        for order_id in ids:
            if status == "UNPAID":
                continue
            for step in _path_to(status):
                self.set_order_status(order_id, step)
        return ids

    def _place_order(
        self, shop: Shop, sku_ids: list[str] | None, items_per_order: int | None, create_time: int | None
    ) -> dict[str, Any]:
        candidates = [
            (p, s)
            for p in shop.products.values()
            if p["status"] == "ACTIVATE"
            for s in p["skus"]
            if (not sku_ids or s["id"] in sku_ids or s["seller_sku"] in sku_ids)
            and sum(i["quantity"] for i in s["inventory"]) > 0
        ]
        if not candidates:
            raise ValueError(f"shop {shop.code} has no live product with stock to order")
        rng = self.rng
        n_items = items_per_order or rng.choice((1, 1, 1, 2, 2, 3))
        picks = [rng.choice(candidates) for _ in range(n_items)]
        now = create_time or unix_now()
        order_id = str(rng.randrange(576 * 10**15, 577 * 10**15))
        package_id = new_id(rng)
        state, city, cep, street = rng.choice(BR_CITIES)
        buyer = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        warehouse_id = shop.sales_warehouse_ids[0]
        line_items = []
        subtotal = Decimal("0")
        for product, sku in picks:
            # One line item per unit, as the platform does; stock leaves the first warehouse that has it.
            inv = next(i for i in sku["inventory"] if i["quantity"] > 0)
            inv["quantity"] -= 1
            sku["committed"][inv["warehouse_id"]] = sku["committed"].get(inv["warehouse_id"], 0) + 1
            warehouse_id = inv["warehouse_id"]
            price = Decimal(sku["price"]["amount"])
            original = Decimal((sku.get("list_price") or {}).get("amount") or price)
            subtotal += price
            line_items.append(
                {
                    "id": new_id(rng),
                    "sku_id": sku["id"],
                    "product_id": product["id"],
                    "product_name": product["title"],
                    "seller_sku": sku["seller_sku"],
                    "sku_name": ", ".join(a["value_name"] for a in sku["sales_attributes"]) or "Padrão",
                    "sku_image": product["main_images"][0]["urls"][0] if product["main_images"] else "",
                    "sale_price": str(price),
                    "original_price": str(max(original, price)),
                    "seller_discount": str(max(original - price, Decimal("0"))),
                    "platform_discount": "0",
                    "currency": shop.currency,
                    "display_status": "UNPAID",
                    "package_id": package_id,
                    "package_status": "TO_FULFILL",
                    "tracking_number": "",
                    "shipping_provider_name": "",
                    "is_gift": False,
                }
            )
        shipping = Decimal(rng.choice(("0", "9.90", "14.90", "19.90")))
        order = {
            "id": order_id,
            "status": "UNPAID",
            "create_time": now,
            "update_time": now,
            "paid_time": None,
            "user_id": str(rng.randrange(10**17, 10**18)),
            "buyer_email": f"{buyer.split()[0].lower()}.{order_id[-6:]}@scs.tiktokw.us",
            "buyer_message": "",
            "shipping_type": "TIKTOK",
            "fulfillment_type": "FULFILLMENT_BY_SELLER",
            "delivery_option_id": "7091146663229785857",
            "delivery_option_name": "Padrão",
            "warehouse_id": warehouse_id,
            "tracking_number": "",
            "shipping_provider": "",
            "shipping_provider_id": "",
            "is_cod": False,
            "is_on_hold_order": False,
            "is_sample_order": False,
            "cancel_reason": "",
            "cancellation_initiator": "",
            "rts_sla_time": now + 2 * 86400,
            "tts_sla_time": now + 5 * 86400,
            "recipient_address": {
                "name": buyer,
                "phone_number": f"(+55)11{rng.randrange(90000000, 99999999)}",
                "postal_code": cep,
                "full_address": f"{street}, {city}, {state}, {cep}",
                "address_detail": f"Apto {rng.randrange(1, 200)}",
                "address_line1": street,
                "address_line2": "",
                "region_code": "BR",
                "district_info": [
                    {"address_level_name": "Country", "address_name": "Brasil", "address_level": "L0"},
                    {"address_level_name": "State", "address_name": state, "address_level": "L1"},
                    {"address_level_name": "City", "address_name": city, "address_level": "L2"},
                ],
            },
            "payment": {
                "currency": shop.currency,
                "sub_total": str(subtotal),
                "shipping_fee": str(shipping),
                "seller_discount": str(sum(Decimal(li["seller_discount"]) for li in line_items)),
                "platform_discount": "0",
                "tax": "0",
                "total_amount": str(subtotal + shipping),
                "original_total_product_price": str(sum(Decimal(li["original_price"]) for li in line_items)),
                "original_shipping_fee": str(shipping),
            },
            "line_items": line_items,
            "packages": [{"id": package_id}],
            "cpf": cpf_with_check_digits(f"{rng.randrange(10**8, 10**9)}"),
        }
        shop.orders[order_id] = order
        shop.packages[package_id] = {
            "package_id": package_id,
            "package_status": "TO_FULFILL",
            "tracking_number": "",
            "shipping_provider_id": "",
            "shipping_provider_name": "",
            "orders": [{"id": order_id, "skus": [{"id": li["sku_id"], "quantity": 1} for li in line_items]}],
            "order_line_item_ids": [li["id"] for li in line_items],
            "handover_method": None,
            "create_time": now,
            "update_time": now,
        }
        shop.tracking[order_id] = [{"description": "Pedido realizado", "update_time_millis": now * 1000}]
        return order

    def _shop_of_order(self, order_id: str) -> tuple[Shop, dict[str, Any]]:
        for shop in self.shops.values():
            if order_id in shop.orders:
                return shop, shop.orders[order_id]
        raise KeyError(order_id)

    def set_order_status(
        self, order_id: str, status: str, *, cancelled_by: str = "BUYER", cancel_reason: str | None = None
    ) -> dict[str, Any]:
        """Moves an order one allowed step (cancellation restores stock); sends ORDER_STATUS_CHANGE."""
        with self.lock:
            shop, order = self._shop_of_order(order_id)
            current = order["status"]
            if status == current:
                return order
            if status not in ORDER_TRANSITIONS.get(current, set()):
                raise ValueError(f"order {order_id} cannot go from {current} to {status}")
            now = unix_now()
            order["status"] = status
            order["update_time"] = now
            order["is_on_hold_order"] = status == "ON_HOLD"
            if status in ("AWAITING_SHIPMENT", "ON_HOLD") and not order["paid_time"]:
                order["paid_time"] = now
            display = {
                "AWAITING_SHIPMENT": "TO_SHIP",
                "AWAITING_COLLECTION": "TO_SHIP",
                "IN_TRANSIT": "SHIPPED",
                "DELIVERED": "DELIVERED",
                "COMPLETED": "COMPLETED",
                "CANCELLED": "CANCELLED",
            }.get(status, status)
            for li in order["line_items"]:
                li["display_status"] = display
            package = shop.packages.get(order["packages"][0]["id"])
            package_before = package["package_status"] if package else None
            if status == "AWAITING_COLLECTION" and package and package["package_status"] == "TO_FULFILL":
                # Moved by the simulator rather than by a ship call: the platform's carrier takes it.
                package.update(
                    package_status="PROCESSING",
                    tracking_number="BR" + str(self.rng.randrange(10**11, 10**12)) + "TT",
                    shipping_provider_id="7117858858072016686",
                    shipping_provider_name="J&T Express Brasil",
                    handover_method="PICKUP",
                )
                order.update(
                    tracking_number=package["tracking_number"],
                    shipping_provider=package["shipping_provider_name"],
                    shipping_provider_id=package["shipping_provider_id"],
                )
            if status == "CANCELLED":
                self._cancel(shop, order, now, cancelled_by, cancel_reason)
                if package:
                    package["package_status"] = "CANCELLED"
            elif package and status in ("IN_TRANSIT", "DELIVERED", "COMPLETED"):
                package["package_status"] = (
                    "COMPLETED" if status in ("DELIVERED", "COMPLETED") else "FULFILLING"
                )
                shop.tracking[order_id].append(
                    {
                        "description": {
                            "IN_TRANSIT": "Em trânsito",
                            "DELIVERED": "Entregue",
                            "COMPLETED": "Concluído",
                        }[status],
                        "update_time_millis": now * 1000,
                    }
                )
            if package:
                package["update_time"] = now
                for li in order["line_items"]:
                    li["package_status"] = package["package_status"]
                if package["package_status"] != package_before:
                    self.emit(
                        shop,
                        "PACKAGE_UPDATE",
                        {
                            "sc_type": "ONLINE",
                            "role_type": "SELLER",
                            "package_list": [{"package_id": package["package_id"], "order_id": order_id}],
                            "update_time": now,
                        },
                    )
            self.emit(
                shop,
                "ORDER_STATUS_CHANGE",
                {
                    "order_id": order_id,
                    # The webhook spells cancellation CANCEL (reference §3).
                    "order_status": "CANCEL" if status == "CANCELLED" else status,
                    "is_on_hold_order": order["is_on_hold_order"],
                    "update_time": now,
                },
            )
            return order

    def autopilot_step(self, shop_code: str) -> dict[str, Any]:
        """One tick of the demo's buyers: a new order when the shop has live stock, and one older order
        moved a step along (paid → collected → in transit → delivered → completed, now and then a cancel)."""
        done: dict[str, Any] = {"created": None, "moved": None}
        with self.lock:
            shop = self.shop_by_code(shop_code)
            movable = [
                o
                for o in shop.orders.values()
                if o["status"] not in ("COMPLETED", "CANCELLED", "AWAITING_SHIPMENT")
            ]
            waiting = [o for o in shop.orders.values() if o["status"] == "AWAITING_SHIPMENT"]
        with contextlib.suppress(ValueError):  # nothing listed with stock yet
            done["created"] = self.create_orders(shop_code, 1, status="AWAITING_SHIPMENT")[0]
        rng = self.rng
        if waiting and rng.random() < 0.1:
            order = rng.choice(waiting)
            self.set_order_status(order["id"], "CANCELLED")
            done["moved"] = (order["id"], "CANCELLED")
        elif movable:
            order = min(movable, key=lambda o: o["update_time"])
            nxt = {
                "UNPAID": "AWAITING_SHIPMENT",
                "ON_HOLD": "AWAITING_SHIPMENT",
                "AWAITING_COLLECTION": "IN_TRANSIT",
                "IN_TRANSIT": "DELIVERED",
                "DELIVERED": "COMPLETED",
            }.get(order["status"])
            if nxt:
                self.set_order_status(order["id"], nxt)
                done["moved"] = (order["id"], nxt)
        return done

    def update_address(self, order_id: str, full_address: str) -> None:
        """The buyer changes the delivery address; sends RECIPIENT_ADDRESS_UPDATE."""
        with self.lock:
            shop, order = self._shop_of_order(order_id)
            order["recipient_address"]["full_address"] = full_address
            order["update_time"] = unix_now()
            self.emit(
                shop, "RECIPIENT_ADDRESS_UPDATE", {"order_id": order_id, "update_time": order["update_time"]}
            )


def h_search_orders(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = json_body(ctx)
    orders = matching(
        list(ctx.shop.orders.values()), body, {"order_status": "status", "buyer_user_id": "user_id"}
    )
    return paginate(ctx, sort_items(ctx, orders), "orders", 1, 100)


def h_get_orders(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    ids = [i for i in (ctx.query.get("ids") or "").split(",") if i]
    if not ids:
        raise ApiError(36009004, "invalid param error: ids is required")
    if len(ids) > 50:
        raise ApiError(36009004, "invalid param error: at most 50 ids")
    return {"orders": [ctx.shop.orders[i] for i in ids if i in ctx.shop.orders]}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", "/order/202309/orders/search", h_search_orders),
    ApiRoute("GET", "/order/202309/orders", h_get_orders),
    ApiRoute("GET", "/order/202507/orders", h_get_orders),
)
