"""Pushes (reference §7): the app's live push to its callback URL, signed over `url|body` with the partner
key (`Authorization` header), delivered from a background thread and retried on the schedule (times the
time factor) when the answer is not a 2xx with an EMPTY body; a push out of retries becomes a lost push
message, listed for 3 days by `get_lost_push_message` (the earliest 100 not yet confirmed, each with the
push as it was sent in `data`, the time it was lost in `timestamp`, and no `shop_id` for a partner-level
push) until `confirm_consumed_lost_push_message` confirms every message up to a `last_message_id` it
listed (confirming one again changes nothing).

The health policy watches every delivery over the window: once more than the minimum were made, a success
share below 70 % warns and below 30 % disables the subscription, after which nothing is sent (and nothing
missed meanwhile is replayed, nor listed as lost) until the partner sets the push config again. A slow or chatty receiver fails
deliveries, so it shows up here as it would on the platform."""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.background import RetryQueue
from tiktok_pipelines.sandbox.records import field_view
from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints, need
from tiktok_pipelines.sandbox.shopee.errors import param_error
from tiktok_pipelines.sandbox.shopee.signing import ApiType, push_authorization
from tiktok_pipelines.sandbox.shopee.state import DAY, unix_now

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.shopee.emulator import ShopeeEmulator

PUSH_CODES = {
    1: "shop_authorization",
    2: "shop_deauthorization",
    3: "order_status",
    4: "order_tracking_number",
    5: "shopee_updates",
    6: "banned_item",
    7: "item_promotion",
    8: "reserved_stock_change",
    9: "promotion_update",
    10: "webchat",
    11: "video_upload",
    12: "authorization_expiry",
    13: "brand_register_result",
    15: "shipping_document_status",
}


@dataclass
class Delivery:
    id: int
    url: str
    body: bytes
    code: int
    shop_id: int | None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"  # pending | delivered | lost | not_sent (subscription disabled)

    def as_dict(self) -> dict[str, Any]:
        view = field_view(self, "id", "url", "code", "shop_id", "state", "attempts")
        return view | {"body": json.loads(self.body)}


class PushSender(RetryQueue):
    """Delivers pushes at once, then after each delay of the retry schedule, until a 2xx with an empty
    body; keeps the health policy's window of outcomes and the lost messages."""

    thread_name = "shopee-pushes"

    def __init__(self, emulator: ShopeeEmulator):
        super().__init__()
        self.emulator = emulator
        self.outcomes: deque[tuple[float, bool]] = deque()
        self.disabled_at: float | None = None
        self.warnings: list[float] = []
        self.lost: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1)

    def enqueue(self, url: str, body: bytes, code: int, shop_id: int | None) -> Delivery:
        """A push to send; while the subscription is disabled it is recorded as not sent, and never is."""
        with self.cond:
            delivery = Delivery(len(self.deliveries) + 1, url, body, code, shop_id)
            if self.disabled_at is not None:
                delivery.state = "not_sent"
            return self.add(delivery, send=self.disabled_at is None)

    def enable(self) -> None:
        with self.cond:
            self.disabled_at = None
            self.outcomes.clear()

    def health(self) -> dict[str, Any]:
        with self.cond:
            total = len(self.outcomes)
            ok = sum(1 for _, good in self.outcomes if good)
            return {
                "window_pushes": total,
                "window_successes": ok,
                "success_rate": ok / total if total else None,
                "disabled": self.disabled_at is not None,
                "disabled_at": self.disabled_at,
                "warnings": len(self.warnings),
                "lost": sum(1 for m in self.lost if not m["consumed"]),
            }

    def attempt(self, delivery: Delivery) -> float | None:
        cfg = self.emulator.config
        with self.cond:
            if self.disabled_at is not None:
                delivery.state = "not_sent"
                return None
        authorization = push_authorization(cfg.partner_key, delivery.url, delivery.body)
        headers = {"Authorization": authorization, "User-Agent": "Shopee-Push-Emulator"}
        response, outcome = self.post(delivery.url, delivery.body, headers, cfg.push_timeout_s)
        # Acknowledged: a 2xx with an empty body; anything else (a chatty or failing receiver) is retried.
        ok = response is not None and 200 <= response.status_code < 300 and not response.content.strip()
        outcome |= {"ok": ok, "body_bytes": len(response.content) if response is not None else 0}
        with self.cond:
            delivery.attempts.append(outcome)
            self._judge(ok)
            if ok:
                delivery.state = "delivered"
                return None
            retry = len(delivery.attempts) - 1
            if retry >= len(cfg.push_retry_schedule) or self.disabled_at is not None:
                delivery.state = "lost"
                self._lose(delivery)
                return None
            return cfg.push_retry_schedule[retry] * cfg.push_time_factor

    def _judge(self, ok: bool) -> None:
        cfg = self.emulator.config
        now = time.time()
        self.outcomes.append((now, ok))
        while self.outcomes and self.outcomes[0][0] < now - cfg.push_health_window_s:
            self.outcomes.popleft()
        total = len(self.outcomes)
        if total <= cfg.push_health_min_pushes or self.disabled_at is not None:
            return
        rate = sum(1 for _, good in self.outcomes if good) / total
        if rate < cfg.push_disable_below:
            self.disabled_at = now
        elif rate < cfg.push_warn_below and (not self.warnings or now - self.warnings[-1] >= 1800):
            self.warnings.append(now)

    def _lose(self, delivery: Delivery) -> None:
        """The delivery, out of retries, listed as a lost message: the push as it was sent, and when it
        was lost."""
        self.lost.append(
            {
                "message_id": next(self._message_ids),
                "shop_id": delivery.shop_id,
                "code": delivery.code,
                "timestamp": unix_now(),
                "data": delivery.body.decode("utf-8"),
                "consumed": False,
            }
        )


class PushMixin:
    """What `ShopeeEmulator` tells the partner's callback."""

    def push(
        self, code: int, data: dict[str, Any], shop_id: int | None = None, shop_level: bool = True
    ) -> Delivery | None:
        """A push of `code` to the live callback, when the app takes that code."""
        cfg = self.config
        if not cfg.push_url or code not in cfg.push_codes:
            return None
        message: dict[str, Any] = {"data": data}
        if shop_level and shop_id is not None:
            message["shop_id"] = shop_id
        message |= {"code": code, "timestamp": unix_now()}
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return self.pushes.enqueue(cfg.push_url, body, code, shop_id if shop_level else None)


endpoints = Endpoints()


@endpoints.get("push/get_lost_push_message", api_type=ApiType.PUBLIC)
def h_get_lost_push_message(ctx: Ctx) -> dict[str, Any]:
    sender = ctx.emulator.pushes
    since = time.time() - ctx.emulator.config.lost_push_days * DAY
    with sender.cond:
        waiting = [m for m in sender.lost if not m["consumed"] and m["timestamp"] >= since]
    page = waiting[:100]
    return {
        "push_message_list": [
            {k: m[k] for k in ("shop_id", "code", "timestamp", "data") if m[k] is not None} for m in page
        ],
        "has_next_page": len(waiting) > 100,
        "last_message_id": page[-1]["message_id"] if page else 0,
    }


@endpoints.post("push/confirm_consumed_lost_push_message", api_type=ApiType.PUBLIC)
def h_confirm_consumed_lost_push_message(ctx: Ctx) -> dict[str, Any]:
    last = need(ctx.json(), "last_message_id", int)
    sender = ctx.emulator.pushes
    with sender.cond:
        if not any(m["message_id"] == last for m in sender.lost):
            raise param_error(f"last_message_id {last} is invalid")
        for message in sender.lost:
            if message["message_id"] <= last:
                message["consumed"] = True
    return {}


@endpoints.get("push/get_app_push_config", api_type=ApiType.PUBLIC)
def h_get_app_push_config(ctx: Ctx) -> dict[str, Any]:
    cfg, health = ctx.emulator.config, ctx.emulator.pushes.health()
    return {
        "callback_url": cfg.push_url or "",
        "live_push_status": "Suspended" if health["disabled"] else "Normal",
        "suspended_time": int(health["disabled_at"] or 0),
        "push_config_on_list": list(cfg.push_codes),
        "push_config_off_list": [c for c in PUSH_CODES if c not in cfg.push_codes],
    }


@endpoints.post("push/set_app_push_config", api_type=ApiType.PUBLIC)
def h_set_app_push_config(ctx: Ctx) -> dict[str, Any]:
    """A new callback URL or push codes; setting the config again lifts a suspension."""
    body, cfg = ctx.json(), ctx.emulator.config
    url = body.get("callback_url")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise param_error("callback_url must be an http(s) URL")
        cfg.push_url = url
    codes = set(cfg.push_codes)
    for key, add in (("set_push_config_on", True), ("set_push_config_off", False)):
        for code in body.get(key) or []:
            if code not in PUSH_CODES:
                raise param_error(f"push code {code} is invalid")
            (codes.add if add else codes.discard)(code)
    cfg.push_codes = tuple(sorted(codes))
    ctx.emulator.pushes.enable()
    return {"result": "success"}


ROUTES = endpoints.routes
