"""Return and refund API: cancellations (by the buyer through the simulator, by the seller through
`POST .../cancellations`), returns a buyer asks for, and their searches (reference §3)."""

from __future__ import annotations

from typing import Any

from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, json_body, paginate, sort_items, time_filter
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop, new_id, unix_now


class ReturnsMixin:
    """Cancellations and returns of `TikTokShopEmulator`."""

    def seller_cancel(self, order_id: str, cancel_reason: str) -> dict[str, Any]:
        """The seller cancels an order not yet handed to a carrier (`POST .../cancellations`)."""
        with self.lock:
            _, order = self._shop_of_order(order_id)
            if order["status"] not in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
                raise ApiError(
                    21023002,
                    f"order {order_id} in status {order['status']} can no longer be cancelled by the seller",
                )
            self.set_order_status(order_id, "CANCELLED", cancelled_by="SELLER", cancel_reason=cancel_reason)
            shop, _ = self._shop_of_order(order_id)
            return next(c for c in reversed(shop.cancellations.values()) if c["order_id"] == order_id)

    def _cancel(
        self, shop: Shop, order: dict[str, Any], now: int, role: str = "BUYER", reason: str | None = None
    ) -> None:
        for li in order["line_items"]:
            product = shop.products.get(li["product_id"])
            sku = next((s for s in product["skus"] if s["id"] == li["sku_id"]), None) if product else None
            if sku is None:
                continue
            wid = next((w for w, n in sku["committed"].items() if n > 0), None)
            if wid is not None:
                sku["committed"][wid] -= 1
                for inv in sku["inventory"]:
                    if inv["warehouse_id"] == wid:
                        inv["quantity"] += 1
        order["cancel_reason"] = reason or "Comprador desistiu da compra"
        order["cancellation_initiator"] = role
        cancel_id = new_id(self.rng)
        shop.cancellations[cancel_id] = {
            "cancel_id": cancel_id,
            "order_id": order["id"],
            "cancel_type": "BUYER_CANCEL" if role == "BUYER" else "CANCEL",
            "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
            "role": role,
            "cancel_reason_text": order["cancel_reason"],
            "refund_amount": {"currency": shop.currency, "refund_total": order["payment"]["total_amount"]},
            "cancel_line_items": [
                {"order_line_item_id": li["id"], "sku_id": li["sku_id"]} for li in order["line_items"]
            ],
            "create_time": now,
            "update_time": now,
        }
        self.emit(
            shop,
            "CANCELLATION_STATUS_CHANGE",
            {
                "order_id": order["id"],
                "cancellations_role": role,
                "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
                "cancel_id": cancel_id,
                "create_time": now,
            },
        )

    def request_return(self, order_id: str, return_type: str = "RETURN_AND_REFUND") -> str:
        """The buyer asks to return a delivered order; sends RETURN_STATUS_CHANGE. Returns the return id."""
        with self.lock:
            shop, order = self._shop_of_order(order_id)
            if order["status"] not in ("DELIVERED", "COMPLETED"):
                raise ValueError(
                    f"order {order_id} is {order['status']}: only delivered orders can be returned"
                )
            now = unix_now()
            return_id = new_id(self.rng)
            shop.returns[return_id] = {
                "return_id": return_id,
                "order_id": order_id,
                "return_type": return_type,
                "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
                "role": "BUYER",
                "return_reason_text": "Produto diferente do anunciado",
                "refund_amount": {"currency": shop.currency, "refund_total": order["payment"]["sub_total"]},
                "return_line_items": [
                    {
                        "order_line_item_id": li["id"],
                        "sku_id": li["sku_id"],
                        "seller_sku": li["seller_sku"],
                        "product_name": li["product_name"],
                        "refund_amount": {"currency": shop.currency, "refund_total": li["sale_price"]},
                    }
                    for li in order["line_items"]
                ],
                "create_time": now,
                "update_time": now,
            }
            self.emit(
                shop,
                "RETURN_STATUS_CHANGE",
                {
                    "order_id": order_id,
                    "return_role": "BUYER",
                    "return_type": return_type,
                    "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
                    "return_id": return_id,
                    "create_time": now,
                    "update_time": now,
                },
            )
            return return_id


def _search_records(
    ctx: Ctx,
    records: dict[str, dict[str, Any]],
    filters: tuple[tuple[str, str], ...],
    key: str,
    low: int,
    high: int,
) -> dict[str, Any]:
    """A search over records: list filters (body key → record field), time filters, sort, page."""
    body = json_body(ctx)
    items = list(records.values())
    for body_key, field_name in filters:
        if body.get(body_key):
            items = [r for r in items if r[field_name] in body[body_key]]
    items = time_filter(items, body)
    return paginate(ctx, sort_items(ctx, items), key, low, high, required=False)


def h_search_returns(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    filters = (
        ("return_ids", "return_id"),
        ("order_ids", "order_id"),
        ("return_types", "return_type"),
        ("return_status", "return_status"),
    )
    return _search_records(ctx, ctx.shop.returns, filters, "return_orders", 10, 50)


def h_search_cancellations(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    filters = (
        ("cancel_ids", "cancel_id"),
        ("order_ids", "order_id"),
        ("cancel_status", "cancel_status"),
        ("cancel_types", "cancel_type"),
    )
    return _search_records(ctx, ctx.shop.cancellations, filters, "cancellations", 1, 50)


def h_create_cancellation(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = json_body(ctx)
    order_id = str(body.get("order_id") or "")
    reason = str(body.get("cancel_reason") or "")
    if not order_id or not reason:
        raise ApiError(36009004, "invalid param error: order_id and cancel_reason are required")
    if order_id not in ctx.shop.orders:
        raise ApiError(21011001, f"order {order_id} not found")
    cancellation = ctx.emulator.seller_cancel(order_id, reason)
    return {"cancel_id": cancellation["cancel_id"], "cancel_status": cancellation["cancel_status"]}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("POST", "/return_refund/202309/returns/search", h_search_returns),
    ApiRoute("POST", "/return_refund/202309/cancellations/search", h_search_cancellations),
    ApiRoute("POST", "/return_refund/202309/cancellations", h_create_cancellation),
)
