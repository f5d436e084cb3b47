"""The `/_sandbox/` control routes: what a test or the demo drives the Shopee emulator with over HTTP
(each is also a method of `ShopeeEmulator`): counters and fault switches (shared with the other
emulators), app settings, shops and their consent, authorization expiry, items listed from a catalog,
orders created and moved through statuses, price locks, tokens expired or revoked, push deliveries and
health, the buyers, uploaded images and invoices."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.controls import Owner, json_body, marketplace_routes
from tiktok_pipelines.sandbox.shopee.state import EmulatorConfig

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.shopee.emulator import ShopeeEmulator

# What `/_sandbox/app` may change: every setting but the partner's identity, the host and the seed.
SETTINGS = tuple(
    f.name for f in fields(EmulatorConfig) if f.name not in {"partner_id", "partner_key", "base_url", "seed"}
)


def control_routes(emu: ShopeeEmulator) -> list[Route]:
    cfg = emu.config

    def settings_view() -> dict[str, Any]:
        return {"partner_id": cfg.partner_id} | {k: getattr(cfg, k) for k in SETTINGS}

    async def ctl_shops(request: Request) -> Response:
        if request.method == "POST":
            p = await json_body(request)
            try:
                shop = emu.add_shop(
                    p.get("shop_id"),
                    p.get("name"),
                    merchant_id=p.get("merchant_id"),
                    main_account_id=p.get("main_account_id"),
                    auto_consent=bool(p.get("auto_consent")),
                )
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=409)
            return JSONResponse(shop.as_api())
        with emu.lock:
            return JSONResponse({"shops": [s.as_api() for s in emu.shops.values()]})

    async def ctl_shop(request: Request) -> Response:
        try:
            shop = emu.shop(request.path_params["shop_id"])
        except KeyError:
            return JSONResponse({"error": "no such shop"}, status_code=404)
        action = request.path_params.get("action")
        p: dict[str, Any] = await json_body(request) if request.method == "POST" else {}
        try:
            if action is None:
                with emu.lock:
                    return JSONResponse(shop.as_api() | {"logistics": shop.logistics})
            if action == "items":
                with emu.lock:
                    return JSONResponse(
                        {
                            "items": [
                                emu.item_view(i)
                                | {"models": [emu.model_view(m) for m in i["models"].values()]}
                                for i in shop.items.values()
                            ]
                        }
                    )
            if action == "consent":
                return JSONResponse(emu.consent(shop_id=shop.shop_id, days=p.get("days")))
            if action == "authorization":
                emu.set_authorization_expiry(shop.shop_id, int(p["expire_time"]))
                return JSONResponse(shop.as_api())
            if action == "orders" and request.method == "POST":
                lines = [tuple(line) for line in p["lines"]] if p.get("lines") else None
                sns = [
                    emu.create_order(shop.shop_id, lines, p.get("status", "UNPAID"))
                    for _ in range(int(p.get("count", 1)))
                ]
                return JSONResponse({"order_sn_list": sns})
            if action == "orders":
                with emu.lock:
                    return JSONResponse({"orders": list(shop.orders.values())})
            if action == "promotion_stock" and request.method == "POST":
                return JSONResponse(
                    emu.reserve_for_promotion(
                        shop.shop_id, int(p["item_id"]), int(p.get("model_id", 0)), int(p["quantity"])
                    )
                )
            if action == "price_locks":
                with emu.lock:
                    emu.price_locks.update((int(i), int(m)) for i, m in p.get("lock", []))
                    emu.price_locks.difference_update((int(i), int(m)) for i, m in p.get("unlock", []))
                    return JSONResponse({"price_locks": sorted(emu.price_locks)})
            if action == "logistics":
                with emu.lock:
                    shop.logistics.update({int(k): bool(v) for k, v in p.items()})
                    return JSONResponse({"logistics": shop.logistics})
            if action == "invoices":
                with emu.lock:
                    return JSONResponse({sn: v["data"] for sn, v in shop.invoices.items()})
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def ctl_order(request: Request) -> Response:
        order_sn, action = request.path_params["order_sn"], request.path_params["action"]
        p = await json_body(request)
        try:
            if action == "pay":
                order = emu.pay(order_sn)
            elif action == "cancel":
                order = emu.request_cancellation(order_sn, p.get("reason", "Change of mind"))
            elif action == "status":
                order = emu.advance(order_sn, p["status"])
            else:
                return JSONResponse({"error": f"unknown action {action}"}, status_code=404)
        except (ValueError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"order_sn": order_sn, "order_status": order["order_status"]})

    async def ctl_pushes(request: Request) -> Response:
        if request.method == "POST":
            emu.pushes.enable()
        return JSONResponse({"health": emu.pushes.health(), "deliveries": emu.pushes.snapshot()})

    async def ctl_image(request: Request) -> Response:
        image = emu.images.get(request.path_params["image_id"])
        if image is None:
            return Response(status_code=404)
        return Response(image["bytes"], media_type=f"image/{'jpeg' if image['format'] == 'jpg' else 'png'}")

    owner = Owner("shop_id", lambda shop_id: emu.shop(shop_id).shop_id, "no such shop")
    return [
        *marketplace_routes(emu, owner, SETTINGS, settings_view),
        Route("/_sandbox/shops", ctl_shops, methods=["GET", "POST"]),
        Route("/_sandbox/shops/{shop_id}", ctl_shop, methods=["GET"]),
        Route("/_sandbox/shops/{shop_id}/{action}", ctl_shop, methods=["GET", "POST"]),
        Route("/_sandbox/orders/{order_sn}/{action}", ctl_order, methods=["POST"]),
        Route("/_sandbox/pushes", ctl_pushes, methods=["GET", "POST"]),
        Route("/_sandbox/images/{image_id}", ctl_image),
    ]
