"""Orders feed v3 and hook: filters (by workflow status, or a FromOrders expression in the sandbox's
subset of JSONata), a feed queue per app key (visibility timeout, commit by handle), and a hook per app
key that must answer its ping before it is saved."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from starlette.responses import Response

from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.oms import KNOWN_STATUSES
from tiktok_pipelines.sandbox.vtex.resources import FEED_ADMIN, FEED_CONSUME, FEED_VIEW
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Router, query_int
from tiktok_pipelines.sandbox.vtex.values import now_utc, parse_time, strict_int, vtex_time


@dataclass
class FeedQueue:
    """One app key's orders feed v3."""

    filter: dict[str, Any]
    visibility_timeout: int
    retention: int
    items: list[dict[str, Any]] = field(default_factory=list)


class OrderFeedMixin:
    """The orders feeds and hooks of a `SandboxAccount`."""

    @staticmethod
    def check_filter(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("filter"), dict):
            raise ApiError(400, "filter is required")
        flt = body["filter"]
        if flt.get("type") == "FromWorkflow":
            statuses = flt.get("status") or []
            if not isinstance(statuses, list) or any(s not in KNOWN_STATUSES for s in statuses):
                raise ApiError(400, f"unknown status in filter: {statuses!r}")
            return {"type": "FromWorkflow", "status": list(statuses)}
        if flt.get("type") == "FromOrders":
            expression = flt.get("expression")
            if not isinstance(expression, str) or not expression.strip():
                raise ApiError(400, "a FromOrders filter needs an expression")
            compile_expression(expression)
            return {
                "type": "FromOrders",
                "expression": expression,
                "disableSingleFire": bool(flt.get("disableSingleFire")),
            }
        raise ApiError(400, "filter.type must be FromWorkflow or FromOrders")

    @staticmethod
    def matches(flt: dict[str, Any], order: dict[str, Any]) -> bool:
        if flt["type"] == "FromWorkflow":
            return not flt["status"] or order["status"] in flt["status"]
        return compile_expression(flt["expression"])(order)

    def configure_feed(self, app_key: str, body: Any) -> None:
        flt = self.check_filter(body)
        existing = self.feeds.get(app_key)
        if existing and existing.filter["type"] != flt["type"]:
            raise ApiError(409, "The feed already has a filter of another type; delete it first")
        queue = body.get("queue") or {}
        visibility = strict_int(queue.get("visibilityTimeoutInSeconds", 240), "visibilityTimeoutInSeconds", 0)
        retention = strict_int(
            queue.get("messageRetentionPeriodInSeconds", 345600), "messageRetentionPeriodInSeconds", 0
        )
        if not 345600 <= retention <= 1209600:
            raise ApiError(400, "messageRetentionPeriodInSeconds must be between 345600 and 1209600")
        if existing:
            existing.filter, existing.visibility_timeout, existing.retention = flt, visibility, retention
        else:
            self.feeds[app_key] = FeedQueue(flt, visibility, retention)

    def feed_config(self, app_key: str) -> dict[str, Any]:
        feed = self.feeds.get(app_key)
        if feed is None:
            raise ApiError(404, "No feed is configured for this app key")
        now = now_utc()
        oldest = min((parse_time(i["currentChange"], "t") for i in feed.items), default=None)
        return {
            "filter": feed.filter,
            "queue": {
                "visibilityTimeoutInSeconds": feed.visibility_timeout,
                "messageRetentionPeriodInSeconds": feed.retention,
            },
            "quantity": len(feed.items),
            "approximateAgeOfOldestMessageInSeconds": (now - oldest).total_seconds() if oldest else 0,
        }

    def feed_items(self, app_key: str, max_lot: int) -> list[dict[str, Any]]:
        feed = self.feeds.get(app_key)
        if feed is None:
            raise ApiError(404, "No feed is configured for this app key")
        now = now_utc()
        out = []
        for item in feed.items:
            if len(out) >= max_lot:
                break
            if item["_visible_at"] > now:
                continue
            item["handle"] = uuid.uuid4().hex
            item["_visible_at"] = now + timedelta(seconds=feed.visibility_timeout)
            out.append({k: v for k, v in item.items() if not k.startswith("_")})
        return out

    def commit_feed(self, app_key: str, handles: Any) -> None:
        feed = self.feeds.get(app_key)
        if feed is None:
            raise ApiError(404, "No feed is configured for this app key")
        if not isinstance(handles, list):
            raise ApiError(400, "handles must be a list")
        wanted = {str(h) for h in handles}
        feed.items = [i for i in feed.items if i.get("handle") not in wanted]

    def push_feed_event(self, order: dict[str, Any], last_state: str | None) -> None:
        for feed in self.feeds.values():
            if self.matches(feed.filter, order):
                feed.items.append(
                    {
                        "eventId": uuid.uuid4().hex,
                        "handle": None,
                        "domain": "Fulfillment",
                        "state": order["status"],
                        "lastState": last_state,
                        "orderId": order["orderId"],
                        "lastChange": order["lastChange"],
                        "currentChange": order["lastChange"],
                        "_visible_at": now_utc(),
                    }
                )


_CLAUSE = re.compile(r"^\s*(\w+)\s*(=|!=|>=|<=|>|<|in)\s*(.+?)\s*$")


def compile_expression(expression: str) -> Callable[[dict[str, Any]], bool]:
    """The sandbox's subset of the JSONata of a FromOrders filter: comparisons of order fields
    (`status = "invoiced"`, `value > 10000`, `salesChannel in ["1","2"]`) joined by `and` / `or`."""

    def clause(text: str) -> Callable[[dict[str, Any]], bool]:
        m = _CLAUSE.match(text)
        if not m:
            raise ApiError(400, f"the sandbox cannot evaluate the expression part {text!r}")
        name, op, raw = m.groups()
        try:
            literal = json.loads(raw)
        except json.JSONDecodeError:
            raise ApiError(400, f"not a literal in the expression: {raw!r}") from None
        if op == "in" and not isinstance(literal, list):
            raise ApiError(400, "`in` takes a list")

        def test(order: dict[str, Any]) -> bool:
            value = order.get(name)
            if op == "=":
                return value == literal
            if op == "!=":
                return value != literal
            if op == "in":
                return value in literal
            if value is None:
                return False
            return {
                ">": value > literal,
                "<": value < literal,
                ">=": value >= literal,
                "<=": value <= literal,
            }[op]

        return test

    alternatives = [
        [clause(c) for c in re.split(r"\s+and\s+", part)] for part in re.split(r"\s+or\s+", expression)
    ]
    return lambda order: any(all(c(order) for c in group) for group in alternatives)


router = Router()


def key_of(ctx: Ctx) -> str:
    assert ctx.app_key is not None
    return ctx.app_key.key


@router.api("POST", "/api/orders/feed/config", "feed", FEED_ADMIN)
async def feed_config_post(ctx: Ctx) -> Response:
    ctx.account.configure_feed(key_of(ctx), ctx.body)
    return Response(status_code=204)


@router.api("GET", "/api/orders/feed/config", "feed", FEED_VIEW)
async def feed_config_get(ctx: Ctx) -> Response:
    return JSON(ctx.account.feed_config(key_of(ctx)))


@router.api("DELETE", "/api/orders/feed/config", "feed", FEED_ADMIN)
async def feed_config_delete(ctx: Ctx) -> Response:
    if ctx.account.feeds.pop(key_of(ctx), None) is None:
        raise ApiError(404, "No feed is configured for this app key")
    return Response(status_code=204)


@router.api("GET", "/api/orders/feed", "feed", FEED_CONSUME)
async def feed_get(ctx: Ctx) -> Response:
    max_lot = query_int(ctx, "maxlot", 1)
    if not 1 <= max_lot <= 10:
        raise ApiError(400, "maxlot must be between 1 and 10")
    return JSON(ctx.account.feed_items(key_of(ctx), max_lot))


@router.api("POST", "/api/orders/feed", "feed", FEED_CONSUME)
async def feed_commit(ctx: Ctx) -> Response:
    handles = ctx.body.get("handles") if isinstance(ctx.body, dict) else None
    ctx.account.commit_feed(key_of(ctx), handles)
    return Response(status_code=204)


@router.api("POST", "/api/orders/hook/config", "feed", FEED_ADMIN)
async def hook_post(ctx: Ctx) -> Response:
    flt = ctx.account.check_filter(ctx.body)
    hook = ctx.body.get("hook") if isinstance(ctx.body, dict) else None
    url = hook.get("url") if isinstance(hook, dict) else None
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        raise ApiError(400, "hook.url must be an http(s) URL")
    headers = hook.get("headers") or {}
    if not isinstance(headers, dict):
        raise ApiError(400, "hook.headers must be an object")
    try:
        async with httpx.AsyncClient(timeout=ctx.emulator.delivery_timeout) as http:
            ping = await http.post(url, json={"hookConfig": "ping"}, headers=headers)
        answered = ping.status_code
    except httpx.HTTPError as exc:
        answered = type(exc).__name__
    ctx.emulator.deliveries.append(
        {
            "id": uuid.uuid4().hex,
            "kind": "hook-ping",
            "account": ctx.account.name,
            "url": url,
            "body": {"hookConfig": "ping"},
            "headers": headers,
            "attempts": 1,
            "status": answered if isinstance(answered, int) else None,
            "delivered": answered == 200,
            "queuedAt": vtex_time(),
        }
    )
    if answered != 200:
        raise ApiError(400, f"The hook URL must answer the ping with 200 (it answered {answered})")
    ctx.account.hooks[key_of(ctx)] = {
        "filter": flt,
        "hook": {"url": url, "headers": headers},
        "origin": {"account": ctx.account.name, "appKey": key_of(ctx)},
    }
    return Response(status_code=200)


@router.api("GET", "/api/orders/hook/config", "feed", FEED_VIEW)
async def hook_get(ctx: Ctx) -> Response:
    hook = ctx.account.hooks.get(key_of(ctx))
    if hook is None:
        raise ApiError(404, "No hook is configured for this app key")
    return JSON(hook)


@router.api("DELETE", "/api/orders/hook/config", "feed", FEED_ADMIN)
async def hook_delete(ctx: Ctx) -> Response:
    if ctx.account.hooks.pop(key_of(ctx), None) is None:
        raise ApiError(404, "No hook is configured for this app key")
    return Response(status_code=204)
