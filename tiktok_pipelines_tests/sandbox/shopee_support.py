"""The Shopee emulator served on a free loopback port for a test, and a caller that signs as the
reference says (its own HMAC, never the emulator's or the project's signing code)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.shopee import (
    SANDBOX_PARTNER_ID,
    SANDBOX_PARTNER_KEY,
    EmulatorConfig,
    ShopeeEmulator,
    create_shopee_app,
)

SHOP_ID = 700000001
REDIRECT = "https://app.example.com/shopee/callback"


def hmac_hex(key: str, message: str | bytes) -> str:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


class Caller:
    """Signed calls to the emulator: `public`, `shop` or `merchant`, per the reference's base strings."""

    def __init__(
        self, http: httpx.Client, partner_id: int = SANDBOX_PARTNER_ID, key: str = SANDBOX_PARTNER_KEY
    ):
        self.http, self.partner_id, self.key = http, partner_id, key
        self.access_token = ""
        self.refresh_token = ""
        self.shop_id = SHOP_ID

    def common(
        self, path: str, owner: tuple[str, int] | None = None, token: str | None = None, ts: int | None = None
    ) -> dict[str, Any]:
        ts = int(time.time()) if ts is None else ts
        params: dict[str, Any] = {"partner_id": self.partner_id, "timestamp": ts}
        base = f"{self.partner_id}{path}{ts}"
        if owner is not None:
            token = self.access_token if token is None else token
            base += f"{token}{owner[1]}"
            params |= {"access_token": token, owner[0]: owner[1]}
        params["sign"] = hmac_hex(self.key, base)
        return params

    def call(
        self,
        method: str,
        path: str,
        owner: tuple[str, int] | None,
        params: Any = None,
        json: Any = None,
        token: str | None = None,
        ts: int | None = None,
        **kw: Any,
    ) -> httpx.Response:
        common = self.common(path, owner, token, ts)
        query = list(common.items()) + (
            list(params.items()) if isinstance(params, dict) else list(params or [])
        )
        return self.http.request(method, path, params=query, json=json, **kw)

    def public(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.call(method, path, None, **kw)

    def shop(self, method: str, path: str, shop_id: int | None = None, **kw: Any) -> httpx.Response:
        return self.call(method, path, ("shop_id", shop_id or self.shop_id), **kw)

    def merchant(self, method: str, path: str, merchant_id: int, **kw: Any) -> httpx.Response:
        return self.call(method, path, ("merchant_id", merchant_id), **kw)

    def ok(self, response: httpx.Response) -> dict[str, Any]:
        body = response.json()
        assert response.status_code == 200 and body["error"] == "", body
        return body.get("response", body)

    # ------------------------------------------------------------ authorization
    def consent(self, redirect: str = REDIRECT) -> dict[str, str]:
        params = self.common("/api/v2/shop/auth_partner") | {"redirect": redirect}
        response = self.http.get("/api/v2/shop/auth_partner", params=params)
        assert response.status_code == 302, response.text
        return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}

    def authorize(self, shop_id: int | None = None) -> dict[str, Any]:
        params = self.consent()
        shop_id = shop_id or int(params["shop_id"])
        body = self.ok(
            self.public(
                "POST",
                "/api/v2/auth/token/get",
                json={"code": params["code"], "partner_id": self.partner_id, "shop_id": shop_id},
            )
        )
        self.access_token, self.refresh_token, self.shop_id = (
            body["access_token"],
            body["refresh_token"],
            shop_id,
        )
        return body

    def refresh(self, refresh_token: str | None = None, **owner: int) -> httpx.Response:
        body = {"refresh_token": refresh_token or self.refresh_token, "partner_id": self.partner_id}
        return self.public(
            "POST", "/api/v2/auth/access_token/get", json=body | (owner or {"shop_id": self.shop_id})
        )


@contextmanager
def served(
    config: EmulatorConfig | None = None, demo_shop: bool = True
) -> Iterator[tuple[ShopeeEmulator, Caller]]:
    """A fresh emulator (with the demo seller's shop, which consents without a click) and a caller."""
    emulator = ShopeeEmulator(config or EmulatorConfig())
    if demo_shop:
        emulator.add_shop(SHOP_ID, "Loja Demo", auto_consent=True)
    with ServerThread(create_shopee_app(emulator)) as server:
        emulator.config.base_url = server.url
        with httpx.Client(base_url=server.url, timeout=10) as http:
            try:
                yield emulator, Caller(http)
            finally:
                emulator.stop()


class Receiver:
    """A push callback that records what arrives and answers as `mode` says: "ok" (204, empty), "chatty"
    (200 with a body), "error" (500), "slow" (204 after half a second), or a list of those, one per
    arrival, the last repeated."""

    def __init__(self, mode: str | list[str] = "ok"):
        self.modes = mode if isinstance(mode, list) else [mode]
        self.received: list[tuple[dict[str, str], bytes]] = []

        async def push(request: Request) -> Response:
            body = await request.body()
            self.received.append((dict(request.headers), body))
            mode = self.modes[min(len(self.received), len(self.modes)) - 1]
            if mode == "chatty":
                return Response(b'{"status":"ok"}', status_code=200, media_type="application/json")
            if mode == "error":
                return Response(status_code=500)
            if mode == "slow":
                await asyncio.sleep(0.5)
            return Response(status_code=204)

        self.server = ServerThread(Starlette(routes=[Route("/shopee/push", push, methods=["POST"])]))

    @property
    def url(self) -> str:
        return self.server.url + "/shopee/push"

    def __enter__(self) -> Receiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def save_shop_grant(db, client_id: str, shop_id: int = SHOP_ID) -> None:
    """A Shopee grant for `client_id` naming `shop_id`, stored as the receiver's callback stores one."""
    from datetime import UTC, datetime, timedelta

    from pydantic import SecretStr

    from tiktok_pipelines.core.models.auth import Grant
    from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore

    now = datetime.now(UTC)
    grant = Grant(
        access_token=SecretStr("a" * 32),
        access_token_expires_at=now + timedelta(hours=4),
        refresh_token=SecretStr("r" * 32),
        refresh_token_expires_at=now + timedelta(days=30),
        open_id=f"shop:{shop_id}",
    )
    ChannelTokenStore(db, "shopee").save_tokens(client_id, grant)
