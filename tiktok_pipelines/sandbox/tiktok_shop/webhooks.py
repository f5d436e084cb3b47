"""Webhooks: subscriptions per shop and event (Event API), and their delivery, signed as the platform
signs them (`signing.webhook_authorization`), retried on the platform's schedule times the app's time
factor, from a background thread (reference §4)."""

from __future__ import annotations

import heapq
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tiktok_pipelines.sandbox.tiktok_shop.context import Ctx, json_body
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.routing import ApiRoute
from tiktok_pipelines.sandbox.tiktok_shop.signing import webhook_authorization
from tiktok_pipelines.sandbox.tiktok_shop.state import Shop, unix_now

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_shop.emulator import TikTokShopEmulator

WEBHOOK_TYPES = {
    "ORDER_STATUS_CHANGE": 1,
    "REVERSE_STATUS_UPDATE": 2,
    "RECIPIENT_ADDRESS_UPDATE": 3,
    "PACKAGE_UPDATE": 4,
    "PRODUCT_STATUS_CHANGE": 5,
    "SELLER_DEAUTHORIZATION": 6,
    "UPCOMING_AUTHORIZATION_EXPIRATION": 7,
    "CANCELLATION_STATUS_CHANGE": 11,
    "RETURN_STATUS_CHANGE": 12,
    "INVOICE_STATUS_CHANGE": 36,
}


@dataclass
class Delivery:
    id: int
    url: str
    body: bytes
    event_type: str
    notification_id: str
    shop_id: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"  # pending | delivered | dropped

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "event_type": self.event_type,
            "type": json.loads(self.body).get("type"),
            "tts_notification_id": self.notification_id,
            "shop_id": self.shop_id,
            "state": self.state,
            "attempts": list(self.attempts),
            "body": json.loads(self.body),
        }


class WebhookSender:
    """Delivers webhooks from a background thread: at once, then after each delay of the retry schedule
    (times the time factor) until a 200, then gives up, as the platform does."""

    def __init__(self, emulator: TikTokShopEmulator):
        self.emulator = emulator
        self.deliveries: list[Delivery] = []
        self._queue: list[tuple[float, int, int]] = []  # (due, seq, delivery index)
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._http: httpx.Client | None = None

    def enqueue(self, url: str, body: bytes, event_type: str, notification_id: str, shop_id: str) -> Delivery:
        with self._cond:
            delivery = Delivery(len(self.deliveries) + 1, url, body, event_type, notification_id, shop_id)
            self.deliveries.append(delivery)
            heapq.heappush(self._queue, (time.monotonic(), next(self._seq), delivery.id - 1))
            self._ensure_thread()
            self._cond.notify_all()
        return delivery

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="tiktok-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._http is not None:
            self._http.close()
            self._http = None

    def pending(self) -> int:
        with self._cond:
            return sum(1 for d in self.deliveries if d.state == "pending")

    def snapshot(self) -> list[dict[str, Any]]:
        """Every delivery so far, with its attempts, as the control route shows them."""
        with self._cond:
            return [d.as_dict() for d in self.deliveries]

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = (self._queue[0][0] - time.monotonic()) if self._queue else None
                    self._cond.wait(timeout=timeout)
                if self._stopping:
                    return
                _, _, index = heapq.heappop(self._queue)
                delivery = self.deliveries[index]
            self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        cfg = self.emulator.config
        if self._http is None:
            self._http = httpx.Client(timeout=cfg.webhook_timeout_s)
        headers = {
            "Content-Type": "application/json",
            "Authorization": webhook_authorization(cfg.app_key, cfg.app_secret, delivery.body),
            "User-Agent": "TikTokShop-Webhook-Emulator",
        }
        started = time.time()
        try:
            response = self._http.post(delivery.url, content=delivery.body, headers=headers)
            outcome: dict[str, Any] = {"at": started, "status": response.status_code}
            ok = response.status_code == 200
        except httpx.HTTPError as exc:
            outcome = {"at": started, "error": type(exc).__name__}
            ok = False
        with self._cond:
            delivery.attempts.append(outcome)
            if ok:
                delivery.state = "delivered"
                return
            retry_index = len(delivery.attempts) - 1
            if retry_index >= len(cfg.webhook_retry_schedule):
                delivery.state = "dropped"
                return
            delay = cfg.webhook_retry_schedule[retry_index] * cfg.webhook_time_factor
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), delivery.id - 1))
            self._cond.notify_all()


class WebhooksMixin:
    """What `TikTokShopEmulator` tells a shop's subscribers."""

    def emit(self, shop: Shop, event_type: str, data: dict[str, Any]) -> Delivery | None:
        """Sends a webhook of `event_type` to the shop's subscription (or the app's default URL)."""
        subscription = shop.webhooks.get(event_type)
        url = subscription["address"] if subscription else self.config.webhook_url
        if not url:
            return None
        notification_id = str(self.rng.randrange(7 * 10**18, 8 * 10**18))
        body = json.dumps(
            {
                "type": WEBHOOK_TYPES[event_type],
                "tts_notification_id": notification_id,
                "shop_id": shop.id,
                "timestamp": unix_now(),
                "data": data,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        return self.webhooks.enqueue(url, body, event_type, notification_id, shop.id)


def h_get_webhooks(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    hooks = list(ctx.shop.webhooks.values())
    return {"webhooks": hooks, "total_count": len(hooks)}


def h_put_webhook(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = json_body(ctx)
    address, event_type = str(body.get("address") or ""), str(body.get("event_type") or "")
    if event_type not in WEBHOOK_TYPES:
        raise ApiError(36009004, f"invalid param error: event_type {event_type!r}")
    if not re.match(r"^https?://", address) or len(address) > 255:
        raise ApiError(
            36009004, "invalid param error: address must be an http(s) URL of at most 255 characters"
        )
    now = unix_now()
    previous = ctx.shop.webhooks.get(event_type)
    ctx.shop.webhooks[event_type] = {
        "address": address,
        "event_type": event_type,
        "create_time": previous["create_time"] if previous else now,
        "update_time": now,
    }
    return {}


def h_delete_webhook(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    event_type = str(json_body(ctx).get("event_type") or "")
    if ctx.shop.webhooks.pop(event_type, None) is None:
        raise ApiError(36009004, f"invalid param error: no subscription for {event_type!r}")
    return {}


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/event/202309/webhooks", h_get_webhooks),
    ApiRoute("PUT", "/event/202309/webhooks", h_put_webhook),
    ApiRoute("DELETE", "/event/202309/webhooks", h_delete_webhook),
)
