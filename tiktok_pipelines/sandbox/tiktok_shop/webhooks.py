"""Webhooks: subscriptions per shop and event (Event API), and their delivery, signed as the platform
signs them (`signing.webhook_authorization`), retried on the platform's schedule times the app's time
factor, from a background thread (reference §4)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.background import RetryQueue
from tiktok_pipelines.sandbox.records import field_view
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
        body = json.loads(self.body)
        view = field_view(
            self,
            "id",
            "url",
            "event_type",
            "shop_id",
            "state",
            "attempts",
            tts_notification_id="notification_id",
        )
        return view | {"type": body.get("type"), "body": body}


class WebhookSender(RetryQueue):
    """Delivers webhooks from a background thread: at once, then after each delay of the retry schedule
    (times the time factor) until a 200, then gives up, as the platform does."""

    thread_name = "tiktok-webhooks"

    def __init__(self, emulator: TikTokShopEmulator):
        super().__init__()
        self.emulator = emulator

    def enqueue(self, url: str, body: bytes, event_type: str, notification_id: str, shop_id: str) -> Delivery:
        with self.cond:
            delivery = Delivery(len(self.deliveries) + 1, url, body, event_type, notification_id, shop_id)
            return self.add(delivery)

    def attempt(self, delivery: Delivery) -> float | None:
        cfg = self.emulator.config
        authorization = webhook_authorization(cfg.app_key, cfg.app_secret, delivery.body)
        headers = {"Authorization": authorization, "User-Agent": "TikTokShop-Webhook-Emulator"}
        response, outcome = self.post(delivery.url, delivery.body, headers, cfg.webhook_timeout_s)
        ok = response is not None and response.status_code == 200
        with self.cond:
            delivery.attempts.append(outcome)
            if ok:
                delivery.state = "delivered"
                return None
            retry_index = len(delivery.attempts) - 1
            if retry_index >= len(cfg.webhook_retry_schedule):
                delivery.state = "dropped"
                return None
            return cfg.webhook_retry_schedule[retry_index] * cfg.webhook_time_factor


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
