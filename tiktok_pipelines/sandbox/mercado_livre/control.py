"""The `/_sandbox/` control routes: what a test or the demo drives the emulator with over HTTP (each is
also a method of `MercadoLivreEmulator`): call counters and fault switches, the application's settings
(a new `topics` list subscribes again after a fall back), sellers and who consents next, the buyer
simulator, cancellations and shipment progress, the autopilot, notifications sent, tokens expired or
revoked, and uploaded pictures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.controls import Owner, json_body, marketplace_routes

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.mercado_livre.emulator import MercadoLivreEmulator

SETTINGS = {
    "redirect_uri",
    "pkce_required",
    "offline_access",
    "callback_url",
    "topics",
    "rate_limit_per_second",
    "access_token_ttl",
    "auth_code_ttl",
    "query_token_accepted",
    "delete_with_sales",
    "orders_search_max_limit",
    "notification_deadline_s",
    "notification_retry_schedule",
    "notification_time_factor",
    "fallback_after_failures",
    "orders_v2_per_change",
    "scroll_ttl",
}


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def control_routes(emu: MercadoLivreEmulator) -> list[Route]:
    cfg = emu.config

    def settings_view() -> dict[str, Any]:
        return {k: getattr(cfg, k) for k in sorted(SETTINGS)} | {"app_id": cfg.app_id}

    def changed(payload: dict[str, Any]) -> None:
        if "topics" in payload:
            emu.notifications.resubscribe()

    async def ctl_sellers(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            seller = emu.add_seller(payload["nickname"], operator=bool(payload.get("operator", False)))
            return JSONResponse(seller.as_api())
        return JSONResponse({"sellers": [s.as_api() for s in emu.sellers.values()]})

    async def ctl_seller(request: Request) -> Response:
        action = request.path_params.get("action")
        try:
            seller = emu.seller(request.path_params["nickname"])
        except KeyError:
            return _error("no such seller", 404)
        payload = await json_body(request) if request.method == "POST" else {}
        try:
            if action is None:
                with emu.lock:
                    return JSONResponse(
                        seller.as_api()
                        | {
                            "items": len(seller.items),
                            "orders": len(seller.orders),
                            "shipments": len(seller.shipments),
                            "packs": len(seller.packs),
                        }
                    )
            if action == "items":
                with emu.lock:
                    return JSONResponse({"items": list(seller.items.values())})
            if action == "orders" and request.method == "POST":
                ids = emu.create_orders(
                    seller.nickname,
                    int(payload.get("count", 1)),
                    cart_size=int(payload.get("cart_size", 1)),
                    item_ids=payload.get("item_ids"),
                    quantity=int(payload.get("quantity", 1)),
                )
                return JSONResponse({"order_ids": ids})
            if action == "consent":
                emu.consenting = seller.nickname
                return JSONResponse({"consenting": seller.nickname})
        except ValueError as exc:
            return _error(str(exc))
        return _error(f"unknown action {action}", 404)

    async def ctl_move(request: Request) -> Response:
        """A buyer's cancellation (`/orders/{id}/cancel`) or a shipment's next status."""
        number = request.path_params["id"]
        cancel = request.url.path.endswith("/cancel")
        payload = await json_body(request)
        try:
            moved = emu.cancel_order(number) if cancel else emu.set_shipment_status(number, payload["status"])
        except KeyError:
            return _error(f"no such {'order' if cancel else 'shipment'} {number}", 404)
        except ValueError as exc:
            return _error(str(exc))
        return JSONResponse({"id": moved["id"], "status": moved["status"]})

    async def ctl_notifications(request: Request) -> Response:
        return JSONResponse(
            {"notifications": emu.notifications.snapshot(), "fallen_back": emu.notifications.fallen_back}
        )

    async def ctl_picture(request: Request) -> Response:
        picture = emu.pictures.get(request.path_params["picture_id"])
        if picture is None:
            return Response(status_code=404)
        if "bytes" in picture:
            return Response(picture["bytes"], media_type="application/octet-stream")
        return RedirectResponse(picture["source"], status_code=302)

    owner = Owner("nickname", lambda nickname: emu.seller(nickname).nickname, "no such seller")
    return [
        *marketplace_routes(emu, owner, SETTINGS, settings_view, changed),
        Route("/_sandbox/sellers", ctl_sellers, methods=["GET", "POST"]),
        Route("/_sandbox/sellers/{nickname}", ctl_seller, methods=["GET"]),
        Route("/_sandbox/sellers/{nickname}/{action}", ctl_seller, methods=["GET", "POST"]),
        Route("/_sandbox/orders/{id:int}/cancel", ctl_move, methods=["POST"]),
        Route("/_sandbox/shipments/{id:int}/status", ctl_move, methods=["POST"]),
        Route("/_sandbox/notifications", ctl_notifications),
        Route("/_sandbox/pictures/{picture_id}", ctl_picture),
    ]
