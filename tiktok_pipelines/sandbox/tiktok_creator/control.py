"""The `/_sandbox/` control routes: what a test or the demo drives the emulator with over HTTP (each is
also a method of `TikTokCreatorEmulator`): call counters, fault switches, apps and their settings,
creators and their videos as the platform holds them, tokens expired or revoked (the creator removing the
app), the clock moved forward, and the signed CDN links of covers and avatars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.controls import counter_routes, json_body, token_routes
from tiktok_pipelines.sandbox.tiktok_creator.state import CreatorApp

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator

# A 1×1 JPEG: what a cover or avatar link serves while its signature holds.
PIXEL = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f14"
    "1d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9"
)
LIMITS = ("rate_limit", "rate_window_s", "rate_limit_key", "oauth_error_http_status")
APP_SETTINGS = {
    "app_type",
    "redirect_uris",
    "scopes",
    "access_ttl",
    "refresh_ttl",
    "rotate_refresh",
    "code_ttl",
    "auto_approve",
    "auto_creator",
    "auto_scopes",
    "audited",
    "verified_url_prefixes",
}


def control_routes(emu: TikTokCreatorEmulator) -> list[Route]:
    """The `/_sandbox/` routes of `emu`."""
    cfg = emu.config

    def _error(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def ctl_limits(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            unknown = set(payload) - set(LIMITS)
            if unknown:
                return _error(f"unknown settings {sorted(unknown)}")
            with emu.lock:
                cfg.__dict__.update(payload)
                emu.windows.clear()
        return JSONResponse({key: getattr(cfg, key) for key in LIMITS})

    async def ctl_apps(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            try:
                app = emu.add_app(CreatorApp(**_app_fields(payload, {"client_key", "client_secret"})))
            except (TypeError, ValueError) as exc:
                return _error(str(exc))
            return JSONResponse(app.settings())
        return JSONResponse({"apps": [a.settings() for a in emu.apps.values()]})

    async def ctl_app(request: Request) -> Response:
        app = emu.app(request.path_params["client_key"])
        if app is None:
            return _error("no such app", 404)
        if request.method == "POST":
            try:
                changes = _app_fields(await json_body(request), set())
                with emu.lock:
                    before = {key: getattr(app, key) for key in changes}
                    app.__dict__.update(changes)
                    try:
                        app.check()
                    except ValueError:
                        app.__dict__.update(before)  # a refused change leaves the app as it was
                        raise
            except (TypeError, ValueError) as exc:
                return _error(str(exc))
        return JSONResponse(app.settings())

    async def ctl_creators(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            try:
                creator = emu.add_creator(
                    payload["username"],
                    payload.get("display_name"),
                    payload.get("seed"),
                    **{k: payload[k] for k in ("followers", "posts_per_day", "time_zone") if k in payload},
                )
            except (KeyError, TypeError, ValueError) as exc:
                return _error(f"bad creator: {exc}")
            return JSONResponse({"username": creator.username, "videos": len(creator.videos)})
        return JSONResponse({"creators": list(emu.creators)})

    async def ctl_creator(request: Request) -> Response:
        try:
            creator = emu.creator(request.path_params["username"])
        except KeyError as exc:
            return _error(str(exc), 404)
        now = emu.now()
        if request.path_params.get("what") == "videos":
            speed = cfg.growth_speedup
            return JSONResponse(
                {
                    "videos": [
                        {"id": v.id, "create_time": v.create_time, "public": v.public, "title": v.title}
                        | v.counts(now, speed)
                        for v in sorted(creator.videos, key=lambda v: v.create_time, reverse=True)
                        if v.create_time <= now
                    ]
                }
            )
        if request.path_params.get("what") == "publishes":
            with emu.lock:
                views = [
                    {
                        "publish_id": p.id,
                        "kind": p.kind,
                        "source": p.source,
                        "privacy_level": p.privacy_level,
                        "title": p.title,
                        "video_id": p.video_id,
                    }
                    | emu.publish_view(p)
                    for p in emu.publishes.values()
                    if p.creator == creator.username
                ]
            return JSONResponse({"publishes": views})
        return JSONResponse(
            {
                "username": creator.username,
                "display_name": creator.display_name,
                "union_id": creator.union_id,
                "time_zone": creator.time_zone,
                **creator.stats(now, cfg.growth_speedup),
                "connected_apps": emu.connected_apps(creator.username),
            }
        )

    async def ctl_clock(request: Request) -> Response:
        if request.method == "POST":
            payload = await json_body(request)
            emu.advance_clock(float(payload.get("advance_s", 0)))
        return JSONResponse({"now": emu.now(), "offset_s": emu.clock_offset})

    async def ctl_cdn(request: Request) -> Response:
        path = request.path_params["path"]
        try:
            expires = int(request.query_params.get("x-expires", ""))
        except ValueError:
            return Response(status_code=403)
        signature = request.query_params.get("x-signature", "")
        if signature != emu.cdn_signature(path, expires) or expires < emu.now():
            return Response(b"Access Denied", status_code=403)
        return Response(PIXEL, media_type="image/jpeg")

    return [
        *counter_routes(emu),
        Route("/_sandbox/limits", ctl_limits, methods=["GET", "POST"]),
        Route("/_sandbox/apps", ctl_apps, methods=["GET", "POST"]),
        Route("/_sandbox/apps/{client_key}", ctl_app, methods=["GET", "POST"]),
        Route("/_sandbox/creators", ctl_creators, methods=["GET", "POST"]),
        Route("/_sandbox/creators/{username}", ctl_creator),
        Route("/_sandbox/creators/{username}/{what}", ctl_creator),
        *token_routes(emu, "creator"),
        Route("/_sandbox/clock", ctl_clock, methods=["GET", "POST"]),
        Route("/_sandbox/cdn/{path:path}", ctl_cdn),
    ]


def _app_fields(payload: dict[str, Any], extra: set[str]) -> dict[str, Any]:
    unknown = set(payload) - APP_SETTINGS - extra
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    return {
        k: tuple(v)
        if k in ("redirect_uris", "scopes", "auto_scopes", "verified_url_prefixes") and v is not None
        else v
        for k, v in payload.items()
    }
