"""The `/_sandbox/` control routes: what a test or the demo drives the emulator with over HTTP (each is
also a method of `TikTokShopEmulator`): call counters, fault switches, app settings, shops, orders moved
through statuses, invoice verdicts, tokens expired or revoked, the demo's autopilot, webhook deliveries,
and the uploaded images."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.controls import Owner, json_body, marketplace_routes
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_shop.emulator import TikTokShopEmulator

# What `/_sandbox/app` may change.
SETTINGS = (
    "redirect_url",
    "webhook_url",
    "rate_limit_per_second",
    "rate_limit_scope",
    "access_token_ttl",
    "webhook_time_factor",
    "webhook_retry_schedule",
    "invoice_review_s",
    "require_invoice_to_ship",
)


def control_routes(emu: TikTokShopEmulator) -> list[Route]:
    """The `/_sandbox/` routes of `emu`."""
    cfg = emu.config

    def settings_view() -> dict[str, Any]:
        return {
            "app_key": cfg.app_key,
            "service_id": cfg.service_id,
            "redirect_url": cfg.redirect_url,
            "webhook_url": cfg.webhook_url,
            "rate_limit_per_second": cfg.rate_limit_per_second,
            "rate_limit_scope": cfg.rate_limit_scope,
            "webhook_time_factor": cfg.webhook_time_factor,
            "invoice_review_s": cfg.invoice_review_s,
            "require_invoice_to_ship": cfg.require_invoice_to_ship,
        }

    async def ctl_shops(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            shop = emu.add_shop(
                payload["code"], payload.get("name"), warehouses=int(payload.get("warehouses", 2))
            )
            return JSONResponse(shop.as_api() | {"warehouse_ids": shop.sales_warehouse_ids})
        return JSONResponse(
            {"shops": [s.as_api() | {"warehouse_ids": s.sales_warehouse_ids} for s in emu.shops.values()]}
        )

    def _shop(request: Request) -> Shop:
        return emu.shop_by_code(request.path_params["code"])

    async def ctl_shop(request: Request) -> Response:
        try:
            shop = _shop(request)
        except KeyError:
            return JSONResponse({"error": "no such shop"}, status_code=404)
        action = request.path_params.get("action")
        payload = await json_body(request) if request.method == "POST" else {}
        try:
            if action is None:
                with emu.lock:
                    return JSONResponse(
                        shop.as_api()
                        | {
                            "warehouse_ids": shop.sales_warehouse_ids,
                            "products": len(shop.products),
                            "orders": len(shop.orders),
                            "invoices": {k: v["invoice_status"] for k, v in shop.invoices.items()},
                            "price_locks": sorted(shop.price_locks),
                            "webhooks": list(shop.webhooks.values()),
                        }
                    )
            if action == "products" and request.method == "GET":
                with emu.lock:
                    return JSONResponse(
                        {"products": [emu.product_view(p, shop) for p in shop.products.values()]}
                    )
            if action == "orders" and request.method == "POST":
                ids = emu.create_orders(
                    shop.code,
                    int(payload.get("count", 1)),
                    status=payload.get("status", "AWAITING_SHIPMENT"),
                    sku_ids=payload.get("sku_ids"),
                    items_per_order=payload.get("items_per_order"),
                )
                return JSONResponse({"order_ids": ids})
            if action == "price_locks":
                with emu.lock:
                    shop.price_locks.update(str(s) for s in payload.get("sku_ids", []))
                    for s in payload.get("unlock", []):
                        shop.price_locks.discard(str(s))
                    return JSONResponse({"price_locks": sorted(shop.price_locks)})
            if action == "auth_code":
                return JSONResponse({"code": emu.issue_auth_code(shop.code)})
        except (ValueError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def ctl_order(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        action = request.path_params["action"]
        payload = await json_body(request)
        try:
            if action == "status":
                order = emu.set_order_status(order_id, payload["status"])
                return JSONResponse({"order_id": order_id, "status": order["status"]})
            if action == "return":
                return JSONResponse(
                    {
                        "return_id": emu.request_return(
                            order_id, payload.get("return_type", "RETURN_AND_REFUND")
                        )
                    }
                )
            if action == "address":
                emu.update_address(order_id, payload["full_address"])
                return JSONResponse({"order_id": order_id})
        except (ValueError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def ctl_invoices(request: Request) -> Response:
        with emu.lock:
            return JSONResponse(
                {
                    "uploads": [
                        u | {"shop_code": s.code} for s in emu.shops.values() for u in s.invoice_uploads
                    ]
                }
            )

    async def ctl_invoice(request: Request) -> Response:
        payload = await json_body(request)
        try:
            invoice = emu.set_invoice_outcome(
                request.path_params["package_id"], payload["status"], payload.get("reason")
            )
        except KeyError:
            return JSONResponse({"error": "no invoice for this package"}, status_code=404)
        return JSONResponse({k: v for k, v in invoice.items() if k != "xml"})

    async def ctl_deliveries(request: Request) -> Response:
        return JSONResponse({"deliveries": emu.webhooks.snapshot()})

    async def ctl_image(request: Request) -> Response:
        image = emu.images.get(request.path_params["uri"])
        if image is None:
            return Response(status_code=404)
        return Response(image["bytes"], media_type="application/octet-stream")

    owner = Owner("shop_code", lambda code: emu.shop_by_code(code).code, "no such shop")
    return [
        *marketplace_routes(emu, owner, SETTINGS, settings_view),
        Route("/_sandbox/shops", ctl_shops, methods=["GET", "POST"]),
        Route("/_sandbox/shops/{code}", ctl_shop, methods=["GET"]),
        Route("/_sandbox/shops/{code}/{action}", ctl_shop, methods=["GET", "POST"]),
        Route("/_sandbox/orders/{order_id}/{action}", ctl_order, methods=["POST"]),
        Route("/_sandbox/invoices", ctl_invoices),
        Route("/_sandbox/invoices/{package_id}/outcome", ctl_invoice, methods=["POST"]),
        Route("/_sandbox/webhooks/deliveries", ctl_deliveries),
        Route("/_sandbox/images/{uri:path}", ctl_image),
    ]
