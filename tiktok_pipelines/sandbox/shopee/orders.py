"""Orders (reference §6) and the buyers that place them: `get_order_list` (by `create_time` or
`update_time`, a window of at most 15 days, cursor paging, one `order_status` filter), `get_order_detail`
(1–50 order_sn, default and optional fields, unknown ones in `warning`); every status of the enum, including
Brazil's INVOICE_PENDING (a paid order waits there for its NF-e); each change pushed (code 3, `ordersn`).
Cancellations: the seller's (`cancel_order`, before shipping; out of stock names the items) and the
buyer's (IN_CANCEL until `handle_buyer_cancellation` accepts or rejects it).
Stock: an order reserves its units, shipping takes them from the stock, a cancellation gives them back;
a promotion (a flash sale) reserves stock of its own, and each change of it is pushed (code 8).

The buyer simulator (`autopilot_step`, run every few seconds by `start_autopilot`): a new UNPAID order of
listed items with stock, then the unpaid orders paid, or a share of them cancelled."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from tiktok_pipelines.core.nfe import cpf_with_check_digits
from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints, need
from tiktok_pipelines.sandbox.shopee.errors import ApiError, param_error
from tiktok_pipelines.sandbox.shopee.state import Shop, new_order_sn, unix_now

ORDER_STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
    "COMPLETED",
    "INVOICE_PENDING",
)
# Which status an order may move to from each (the platform's flow; the simulator and control keep to it).
NEXT_STATUSES = {
    "UNPAID": ("READY_TO_SHIP", "INVOICE_PENDING", "CANCELLED"),
    "INVOICE_PENDING": ("READY_TO_SHIP", "IN_CANCEL", "CANCELLED"),
    "READY_TO_SHIP": ("PROCESSED", "IN_CANCEL", "CANCELLED"),
    "PROCESSED": ("SHIPPED", "RETRY_SHIP", "IN_CANCEL", "CANCELLED"),
    "RETRY_SHIP": ("PROCESSED", "CANCELLED"),
    "SHIPPED": ("TO_CONFIRM_RECEIVE", "TO_RETURN", "COMPLETED"),
    "TO_CONFIRM_RECEIVE": ("COMPLETED", "TO_RETURN"),
    "IN_CANCEL": ("CANCELLED", "READY_TO_SHIP", "INVOICE_PENDING", "PROCESSED"),
    "TO_RETURN": ("COMPLETED", "CANCELLED"),
    "CANCELLED": (),
    "COMPLETED": (),
}
# The way of an order that goes well (INVOICE_PENDING only where the NF-e comes first).
FORWARD = (
    "UNPAID",
    "INVOICE_PENDING",
    "READY_TO_SHIP",
    "PROCESSED",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "COMPLETED",
)
DEFAULT_FIELDS = (
    "order_sn",
    "region",
    "currency",
    "cod",
    "order_status",
    "message_to_seller",
    "create_time",
    "update_time",
    "days_to_ship",
    "ship_by_date",
    "booking_sn",
)
OPTIONAL_FIELDS = (
    "buyer_user_id",
    "buyer_username",
    "buyer_cpf_id",
    "recipient_address",
    "item_list",
    "pay_time",
    "total_amount",
    "shipping_carrier",
    "payment_method",
    "estimated_shipping_fee",
    "actual_shipping_fee",
    "cancel_by",
    "cancel_reason",
    "buyer_cancel_reason",
    "package_list",
    "note",
    "fulfillment_flag",
    "invoice_data",
    "pickup_done_time",
    "dropshipper",
    "checkout_shipping_carrier",
    "goods_to_declare",
)
CANCEL_REASONS = ("OUT_OF_STOCK", "CUSTOMER_REQUEST", "UNDELIVERABLE_AREA", "COD_NOT_SUPPORTED")
CANCELLABLE = ("UNPAID", "INVOICE_PENDING", "READY_TO_SHIP", "RETRY_SHIP")
MSG_ORDER_WINDOW = "Start time must be earlier than end time and diff in 15days."
BUYERS = (
    ("Ana Souza", "SP", "São Paulo", "01310-100", "Av. Paulista, 1000"),
    ("Bruno Lima", "RJ", "Rio de Janeiro", "22250-040", "Praia de Botafogo, 300"),
    ("Carla Dias", "MG", "Belo Horizonte", "30130-010", "Av. Afonso Pena, 500"),
    ("Diego Alves", "PR", "Curitiba", "80010-000", "Rua XV de Novembro, 200"),
)


class OrdersMixin:
    """Orders of the shops of `ShopeeEmulator`, and the buyer simulator."""

    def order(self, order_sn: str) -> tuple[Shop, dict[str, Any]]:
        for shop in self.shops.values():
            if order_sn in shop.orders:
                return shop, shop.orders[order_sn]
        raise KeyError(f"no order {order_sn}")

    def create_order(
        self, shop_id: int, lines: list[tuple[int, int, int]] | None = None, status: str = "UNPAID"
    ) -> str:
        """A buyer's order of `lines` (item_id, model_id, quantity), or of one listed item with stock;
        created UNPAID, then moved to `status` through the platform's flow."""
        with self.lock:
            shop = self.shop(shop_id)
            if lines is None:
                lines = self._pick_lines(shop)
            now = time.time()
            order_lines, total = [], 0.0
            for item_id, model_id, quantity in lines:
                item = self.item(shop, item_id)
                target = item["models"][model_id] if item["has_model"] else item
                if item["item_status"] != "NORMAL" or target["stock"] - target["reserved"] < quantity:
                    raise ValueError(f"item {item_id} model {model_id} cannot take {quantity} more")
                target["reserved"] += quantity
                model = target if item["has_model"] else None
                order_lines.append(
                    {
                        "item_id": item_id,
                        "item_name": item["item_name"],
                        "item_sku": item["item_sku"],
                        "model_id": model_id,
                        "model_name": _model_name(item, model),
                        "model_sku": model["model_sku"] if model else "",
                        "model_quantity_purchased": quantity,
                        "model_original_price": target["price"],
                        "model_discounted_price": target["price"],
                        "weight": item["weight"],
                        "image_info": {"image_url": ""},
                    }
                )
                total += target["price"] * quantity
            name, state, city, zipcode, street = BUYERS[self.rng.randrange(len(BUYERS))]
            order_sn = new_order_sn(self.rng, now)
            while order_sn in shop.orders:
                order_sn = new_order_sn(self.rng, now)
            shop.orders[order_sn] = {
                "order_sn": order_sn,
                "region": shop.region,
                "currency": shop.currency,
                "cod": False,
                "order_status": "UNPAID",
                "message_to_seller": "",
                "create_time": int(now),
                "update_time": int(now),
                "days_to_ship": 2,
                "ship_by_date": int(now + 3 * 86400),
                "booking_sn": "",
                "buyer_user_id": self.rng.randrange(10**8, 10**9),
                "buyer_username": name.lower().replace(" ", "."),
                "buyer_cpf_id": cpf_with_check_digits("".join(str(self.rng.randrange(10)) for _ in range(9))),
                "recipient_address": {
                    "name": name,
                    "phone": "55119" + "".join(str(self.rng.randrange(10)) for _ in range(8)),
                    "town": "",
                    "district": "Centro",
                    "city": city,
                    "state": state,
                    "region": "BR",
                    "zipcode": zipcode,
                    "full_address": f"{street}, {city} - {state}, {zipcode}",
                },
                "item_list": order_lines,
                "pay_time": None,
                "total_amount": round(total, 2),
                "shipping_carrier": "Shopee Xpress",
                "payment_method": "Pix",
                "estimated_shipping_fee": 0.0,
                "actual_shipping_fee": 0.0,
                "cancel_by": "",
                "cancel_reason": "",
                "buyer_cancel_reason": "",
                "package_list": [],
                "note": "",
                "fulfillment_flag": "fulfilled_by_local_seller",
                "invoice_data": None,
                "pickup_done_time": 0,
                "dropshipper": "",
                "checkout_shipping_carrier": "Shopee Xpress",
                "goods_to_declare": False,
            }
            self._order_pushed(shop, shop.orders[order_sn])
            if status != "UNPAID":
                self.pay(order_sn)
                self.advance(order_sn, status)
            return order_sn

    def advance(self, order_sn: str, status: str) -> dict[str, Any]:
        """Moves an order to `status` through every status before it on the way to COMPLETED (its NF-e
        accepted, shipment arranged, shipped, received), or straight to a status off that way."""
        with self.lock:
            _, order = self.order(order_sn)
            if status in FORWARD:
                for step in FORWARD[FORWARD.index(order["order_status"]) + 1 : FORWARD.index(status) + 1]:
                    self.set_order_status(order_sn, step)
            elif status != order["order_status"]:
                self.set_order_status(order_sn, status)
            return order

    def _pick_lines(self, shop: Shop) -> list[tuple[int, int, int]]:
        choices = []
        for item in shop.items.values():
            if item["item_status"] != "NORMAL":
                continue
            targets = list(item["models"].values()) if item["has_model"] else [item]
            for target in targets:
                if target["stock"] - target["reserved"] >= 1:
                    choices.append((item["item_id"], target.get("model_id", 0)))
        if not choices:
            raise ValueError("no listed item has stock")
        item_id, model_id = choices[self.rng.randrange(len(choices))]
        return [(item_id, model_id, 1)]

    def pay(self, order_sn: str) -> dict[str, Any]:
        """The buyer pays: INVOICE_PENDING where the NF-e comes first (Brazil), else READY_TO_SHIP."""
        with self.lock:
            _shop, order = self.order(order_sn)
            if order["order_status"] != "UNPAID":
                raise ValueError(f"order {order_sn} is {order['order_status']}, not UNPAID")
            order["pay_time"] = unix_now()
            return self.set_order_status(
                order_sn, "INVOICE_PENDING" if self.config.invoice_pending else "READY_TO_SHIP"
            )

    def set_order_status(
        self, order_sn: str, status: str, *, cancel_by: str = "buyer", reason: str = ""
    ) -> dict[str, Any]:
        """Moves an order along the platform's flow (pushing code 3); stock follows."""
        with self.lock:
            shop, order = self.order(order_sn)
            current = order["order_status"]
            if status not in NEXT_STATUSES.get(current, ()):
                raise ValueError(f"order {order_sn} cannot go from {current} to {status}")
            if status == "CANCELLED":
                order["cancel_by"] = cancel_by
                order["cancel_reason"] = reason or (
                    "Unpaid order" if current == "UNPAID" else "Buyer request"
                )
                self._release(shop, order, shipped=False)
            elif status == "SHIPPED":
                self._release(shop, order, shipped=True)
            order["order_status"] = status
            order["update_time"] = unix_now()
            self._order_pushed(shop, order)
            return order

    def _release(self, shop: Shop, order: dict[str, Any], shipped: bool) -> None:
        for line in order["item_list"]:
            item = shop.items.get(line["item_id"])
            if item is None:
                continue
            target = item["models"].get(line["model_id"]) if item["has_model"] else item
            if target is None:
                continue
            quantity = line["model_quantity_purchased"]
            target["reserved"] = max(0, target["reserved"] - quantity)
            if shipped:
                target["stock"] = max(0, target["stock"] - quantity)

    def reserve_for_promotion(
        self, shop_id: int, item_id: int, model_id: int, quantity: int
    ) -> dict[str, Any]:
        """A promotion (a flash sale) takes `quantity` more units of a model as its reserved stock (a
        negative quantity gives them back); pushed as a reserved stock change (code 8)."""
        with self.lock:
            shop = self.shop(shop_id)
            item = self.item(shop, item_id)
            target = item["models"][model_id] if item["has_model"] else item
            old = target["reserved"]
            new = old + quantity
            if new < 0 or new > target["stock"]:
                raise ValueError(f"item {item_id} model {model_id} cannot reserve {new} of {target['stock']}")
            target["reserved"] = new
            data = {
                "shop_id": shop.shop_id,
                "item_id": item_id,
                "model_id": model_id,
                "action": "promotion_reserve" if quantity > 0 else "promotion_release",
                "changed_values": [{"name": "reserved_stock", "old": old, "new": new}],
                "update_time": unix_now(),
            }
            self.push(8, data, shop_id=shop.shop_id)
            return data

    def _order_pushed(self, shop: Shop, order: dict[str, Any]) -> None:
        self.push(
            3,
            {
                "items": [],
                "ordersn": order["order_sn"],
                "status": order["order_status"],
                "completed_scenario": "",
                "update_time": order["update_time"],
            },
            shop_id=shop.shop_id,
        )

    def request_cancellation(self, order_sn: str, reason: str = "Change of mind") -> dict[str, Any]:
        """The buyer asks to cancel a paid order: IN_CANCEL until the seller accepts or rejects."""
        with self.lock:
            _, order = self.order(order_sn)
            order["before_cancel"] = order["order_status"]
            order["buyer_cancel_reason"] = reason
            return self.set_order_status(order_sn, "IN_CANCEL")

    def answer_cancellation(self, shop: Shop, order_sn: str, operation: str) -> dict[str, Any]:
        """The seller accepts (CANCELLED) or rejects (back where it was) a buyer's cancellation."""
        order = shop.orders.get(order_sn)
        if order is None:
            raise ApiError("error_not_found", f"Wrong parameters, detail: order_sn {order_sn} not found.")
        if order["order_status"] != "IN_CANCEL":
            raise ApiError("order.order_status_error", "The order has no cancellation to handle.")
        if operation == "ACCEPT":
            return self.set_order_status(
                order_sn, "CANCELLED", cancel_by="buyer", reason=order["buyer_cancel_reason"]
            )
        return self.set_order_status(order_sn, order.pop("before_cancel", "READY_TO_SHIP"))

    def seller_cancel(self, shop: Shop, order_sn: str, reason: str, items: list[Any]) -> dict[str, Any]:
        """The seller cancels an order not yet shipped; out of stock names the items that are missing."""
        order = shop.orders.get(order_sn)
        if order is None:
            raise ApiError("error_not_found", f"Wrong parameters, detail: order_sn {order_sn} not found.")
        if reason not in CANCEL_REASONS:
            raise param_error(f"cancel_reason must be one of {', '.join(CANCEL_REASONS)}")
        if order["order_status"] not in CANCELLABLE:
            raise ApiError(
                "order.order_status_error", f"The order can not be cancelled in {order['order_status']}."
            )
        if reason == "OUT_OF_STOCK":
            lines = {(line["item_id"], line["model_id"]) for line in order["item_list"]}
            named = {(i.get("item_id"), i.get("model_id", 0)) for i in items if isinstance(i, dict)}
            if not named or not named <= lines:
                raise param_error("item_list must name the order's items that are out of stock")
        return self.set_order_status(order_sn, "CANCELLED", cancel_by="seller", reason=reason)

    # ------------------------------------------------------------------ the buyers
    def autopilot_step(self, shop_id: int, cancel_share: float = 0.1) -> dict[str, list[str]]:
        """One tick of the buyers: the unpaid orders paid (a share cancelled instead), one new order."""
        done: dict[str, list[str]] = {"paid": [], "cancelled": [], "created": []}
        with self.lock:
            shop = self.shop(shop_id)
            for order in list(shop.orders.values()):
                if order["order_status"] != "UNPAID":
                    continue
                if self.rng.random() < cancel_share:
                    self.set_order_status(order["order_sn"], "CANCELLED", cancel_by="system")
                    done["cancelled"].append(order["order_sn"])
                else:
                    self.pay(order["order_sn"])
                    done["paid"].append(order["order_sn"])
            with contextlib.suppress(ValueError):  # nothing listed with stock yet
                done["created"].append(self.create_order(shop_id))
        return done


def _model_name(item: dict[str, Any], model: dict[str, Any] | None) -> str:
    if model is None:
        return ""
    return ",".join(
        tier["option_list"][i]["option"]
        for tier, i in zip(item["tier_variation"], model["tier_index"], strict=False)
    )


def order_view(order: dict[str, Any], optional: list[str]) -> dict[str, Any]:
    view = {k: order[k] for k in DEFAULT_FIELDS}
    for name in optional:
        if name in order and order[name] is not None:
            view[name] = order[name]
    return view


# ---------------------------------------------------------------------- endpoints
endpoints = Endpoints()


@endpoints.get("order/get_order_list")
def h_get_order_list(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    field = ctx.q("time_range_field")
    if field not in ("create_time", "update_time"):
        raise param_error("time_range_field must be create_time or update_time")
    time_from, time_to = ctx.q_int("time_from"), ctx.q_int("time_to")
    if time_from > time_to or time_to - time_from > ctx.emulator.config.order_window_s:
        raise ApiError("order.order_list_invalid_time", MSG_ORDER_WINDOW)
    page_size = ctx.q_int("page_size", low=1, high=100)
    status = ctx.q("order_status")
    if status and status not in (*ORDER_STATUSES, "PENDING"):
        raise param_error(f"order_status {status} is invalid")
    raw_cursor = ctx.q("cursor") or ""
    if raw_cursor and not raw_cursor.isdigit():
        raise param_error("cursor is invalid")
    offset = int(raw_cursor or 0)
    orders = sorted(
        (
            o
            for o in ctx.shop.orders.values()
            if time_from <= o[field] <= time_to and (not status or o["order_status"] == status)
        ),
        key=lambda o: (o[field], o["order_sn"]),
    )
    chunk = orders[offset : offset + page_size]
    more = offset + page_size < len(orders)
    with_status = "order_status" in ctx.q_list("response_optional_fields", required=False)
    return {
        "more": more,
        "next_cursor": str(offset + page_size) if more else "",
        "order_list": [
            {"order_sn": o["order_sn"], **({"order_status": o["order_status"]} if with_status else {})}
            for o in chunk
        ],
    }


@endpoints.get("order/get_order_detail")
def h_get_order_detail(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    order_sns = ctx.q_list("order_sn_list")
    if len(order_sns) > 50:
        raise param_error("order_sn_list must have at most 50 order_sn")
    optional = ctx.q_list("response_optional_fields", required=False)
    unknown = [f for f in optional if f not in OPTIONAL_FIELDS and f not in DEFAULT_FIELDS]
    if unknown:
        raise param_error(f"response_optional_fields {unknown[0]} is invalid")
    found = [ctx.shop.orders[sn] for sn in order_sns if sn in ctx.shop.orders]
    missing = [sn for sn in order_sns if sn not in ctx.shop.orders]
    if missing:
        ctx.warning = f"order_sn {', '.join(missing)} not found"
    return {"order_list": [order_view(o, optional) for o in found]}


@endpoints.post("order/cancel_order")
def h_cancel_order(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    body = ctx.json()
    order = ctx.emulator.seller_cancel(
        ctx.shop, need(body, "order_sn", str), need(body, "cancel_reason", str), body.get("item_list") or []
    )
    return {"update_time": order["update_time"]}


@endpoints.post("order/handle_buyer_cancellation")
def h_handle_buyer_cancellation(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    body = ctx.json()
    operation = need(body, "operation", str)
    if operation not in ("ACCEPT", "REJECT"):
        raise param_error("operation must be ACCEPT or REJECT")
    order = ctx.emulator.answer_cancellation(ctx.shop, need(body, "order_sn", str), operation)
    return {"update_time": order["update_time"]}


ROUTES = endpoints.routes
