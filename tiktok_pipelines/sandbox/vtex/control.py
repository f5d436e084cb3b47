"""The `/_sandbox/` control routes of the VTEX emulator (`VtexSandboxControl` is their client): counters
and stats, faults, latency and rate limits, delivery settings and the outbox; per account: settings,
app keys, affiliates, where broadcasts go, a SKU's stock and prices, the random walk, orders moved along,
and the ERP's invoices and NF-e XML."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.vtex.account import SandboxAccount
from tiktok_pipelines.sandbox.vtex.catalog_records import SALES_CHANNELS
from tiktok_pipelines.sandbox.vtex.emulator import DEFAULT_LIMITS
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.marketplace import Affiliate
from tiktok_pipelines.sandbox.vtex.resources import ALL_RESOURCES, AppKey
from tiktok_pipelines.sandbox.vtex.routing import JSON, error_response

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.vtex.emulator import VtexEmulator


async def _payload(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def control_routes(emu: VtexEmulator) -> list[Route]:
    def control(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            emu.attach_loop()
            try:
                result = await fn(request)
            except ApiError as exc:
                return error_response(exc)
            return result if isinstance(result, Response) else JSON(result)

        return endpoint

    def account_of(request: Request) -> SandboxAccount:
        return emu.account(request.path_params["account"])

    async def health(request: Request) -> dict:
        return {"status": "ok", "accounts": sorted(emu.accounts)}

    async def calls(request: Request) -> dict:
        name = request.query_params.get("account")
        names = [name] if name else sorted(emu.calls)
        if request.method == "DELETE":
            for n in names:
                emu.calls.pop(n, None)
                emu.responses.pop(n, None)
                emu.max_in_flight.pop(n, None)
            return {"reset": names}
        return {
            n: {
                "calls": dict(emu.calls.get(n, {})),
                "responses": dict(emu.responses.get(n, {})),
                "maxInFlight": emu.max_in_flight.get(n, 0),
            }
            for n in names
        }

    async def faults(request: Request) -> dict:
        if request.method == "DELETE":
            emu.faults.clear()
            return {"faults": 0}
        data = await _payload(request)
        if not data.get("status") and not data.get("delay"):
            raise ApiError(400, "a fault needs a status, a delay, or both")
        data["times"] = int(data.get("times", 1))
        if data.get("path"):
            re.compile(data["path"])
        emu.faults.append(data)
        return {"faults": len(emu.faults)}

    async def latency(request: Request) -> dict:
        data = await _payload(request)
        emu.latency = (float(data.get("seconds", 0)), float(data.get("jitter", 0)))
        return {"seconds": emu.latency[0], "jitter": emu.latency[1]}

    async def rate_limits(request: Request) -> dict:
        if request.method == "DELETE":
            emu.limits = dict(DEFAULT_LIMITS)
            emu.buckets.clear()
        elif request.method == "POST":
            data = await _payload(request)
            emu.set_limit(str(data.get("family")), float(data.get("rate", 0)), float(data.get("burst", 1)))
        return {k: {"rate": r, "burst": b} for k, (r, b) in emu.limits.items()}

    async def settings(request: Request) -> dict:
        data = await _payload(request)
        for name, attr in (
            ("delivery_retries", "delivery_retries"),
            ("delivery_retry_seconds", "delivery_retry_seconds"),
            ("delivery_timeout", "delivery_timeout"),
        ):
            if name in data:
                setattr(emu, attr, type(getattr(emu, attr))(data[name]))
        return {
            "delivery_retries": emu.delivery_retries,
            "delivery_retry_seconds": emu.delivery_retry_seconds,
            "delivery_timeout": emu.delivery_timeout,
        }

    async def stats(request: Request) -> dict:
        """What the store received and did, per account: requests per endpoint and per answer, orders by
        status, notifications sent (the counterpart of the TikTok emulator's `/_sandbox/stats`)."""
        if request.method == "DELETE":
            emu.calls.clear()
            emu.responses.clear()
            emu.max_in_flight.clear()
        accounts = {}
        for name, account in sorted(emu.accounts.items()):
            calls, answers = emu.calls.get(name, Counter()), emu.responses.get(name, Counter())
            sent = [d for d in emu.deliveries if d["account"] == name]
            accounts[name] = {
                "calls": dict(calls),
                "total_calls": sum(calls.values()),
                "answers": dict(answers),
                "http_429": sum(n for key, n in answers.items() if key.endswith(" 429")),
                "orders": dict(Counter(o["status"] for o in account.orders.values())),
                "notifications": {
                    "sent": sum(1 for d in sent if d.get("delivered")),
                    "not_delivered": sum(1 for d in sent if not d.get("delivered")),
                },
                "walk": {k: v for k, v in emu.walks.get(name, {}).items() if k != "task"},
            }
        return {"accounts": accounts}

    async def deliveries(request: Request) -> Any:
        if request.method == "DELETE":
            emu.deliveries.clear()
            return {"deliveries": 0}
        kind = request.query_params.get("kind")
        account = request.query_params.get("account")
        return [
            d
            for d in emu.deliveries
            if (not kind or d["kind"] == kind) and (not account or d["account"] == account)
        ]

    async def flush(request: Request) -> dict:
        data = await _payload(request)
        done = await emu.flush(float(data.get("timeout", 10)))
        return {"flushed": done, "pending": sum(1 for d in emu.deliveries if d["attempts"] == 0)}

    async def account_config(request: Request) -> dict:
        account = account_of(request)
        data = await _payload(request)
        if "window_to_cancel_seconds" in data:
            account.window_to_cancel_seconds = float(data["window_to_cancel_seconds"])
        if "weight_unit" in data:
            if data["weight_unit"] not in ("g", "kg"):
                raise ApiError(400, "weight_unit is g or kg")
            account.weight_unit = data["weight_unit"]
        if "auto_invoice" in data:
            auto = data["auto_invoice"] or {}
            if not isinstance(auto, dict) or set(auto) - {
                "seconds",
                "broken_share",
                "correct_seconds",
                "tracking",
            }:
                raise ApiError(400, "auto_invoice takes seconds, broken_share, correct_seconds, tracking")
            account.auto_invoice = auto
        return {
            "window_to_cancel_seconds": account.window_to_cancel_seconds,
            "weight_unit": account.weight_unit,
            "auto_invoice": account.auto_invoice,
        }

    async def app_key(request: Request) -> dict:
        account = account_of(request)
        key = request.path_params["key"]
        if request.method == "DELETE":
            account.app_keys.pop(key, None)
            return {"deleted": key}
        data = await _payload(request)
        resources = data.get("resources", [])
        granted = ALL_RESOURCES if resources == "all" else frozenset(resources)
        if not data.get("token"):
            raise ApiError(400, "token is required")
        account.app_keys[key] = AppKey(key, str(data["token"]), granted)
        return {"key": key, "resources": sorted(granted)}

    async def affiliate(request: Request) -> dict:
        account = account_of(request)
        data = await _payload(request)
        aff_id = request.path_params["affiliate_id"]
        current = account.affiliates.get(aff_id)
        sales_channel = str(data.get("salesChannel") or (current.sales_channel if current else "1"))
        if sales_channel not in SALES_CHANNELS:
            raise ApiError(400, f"unknown sales channel {sales_channel}")
        account.affiliates[aff_id] = Affiliate(
            aff_id,
            str(data.get("name") or (current.name if current else aff_id)),
            sales_channel,
            data.get("notificationUrl", current.notification_url if current else None),
        )
        return {
            "id": aff_id,
            "salesChannel": sales_channel,
            "notificationUrl": account.affiliates[aff_id].notification_url,
        }

    async def notifications(request: Request) -> dict:
        account = account_of(request)
        data = await _payload(request)
        target = data.get("affiliateId")
        chosen = [a for a in account.affiliates.values() if target in (None, a.id)]
        if not chosen:
            raise ApiError(404, f"no affiliate {target} in {account.name}")
        for a in chosen:
            a.notification_url = data.get("url")
        return {a.id: a.notification_url for a in account.affiliates.values()}

    async def sku_view(request: Request) -> dict:
        account = account_of(request)
        product, sku = account.sku(request.path_params["sku_id"])
        try:
            record = account.price_record(sku.sku_id)
            computed = {sc: account.computed_json(sku.sku_id, sc) for sc in SALES_CHANNELS}
            price = record.to_json(str(sku.sku_id))
        except ApiError:
            computed, price = {}, None
        return {
            "skuId": sku.sku_id,
            "productId": product.product_id,
            "stock": {wh: account.warehouse_view(sku, wh) for wh in account.catalog.warehouses},
            "price": price,
            "computed": computed,
            "feed": {"price": str(sku.price), "listPrice": str(sku.list_price), "available": sku.available},
        }

    async def sku_stock(request: Request) -> dict:
        account = account_of(request)
        data = await _payload(request)
        wh = str(data.get("warehouseId") or account.catalog.warehouses[0])
        sku_id = request.path_params["sku_id"]
        if "available" in data:
            account.set_available(sku_id, wh, int(data["available"]))
        elif "quantity" in data:
            account.set_total(sku_id, wh, int(data["quantity"]), unlimited=bool(data.get("unlimited")))
        else:
            raise ApiError(400, "give available or quantity")
        return await sku_view(request)

    async def sku_price(request: Request) -> dict:
        account = account_of(request)
        data = await _payload(request)
        if data.get("price") is None:
            raise ApiError(400, "price is required")
        account.set_trade_policy_price(
            request.path_params["sku_id"],
            Decimal(str(data["price"])),
            Decimal(str(data["listPrice"])) if data.get("listPrice") is not None else None,
            str(data.get("tradePolicyId") or "1"),
        )
        return await sku_view(request)

    async def walk(request: Request) -> dict:
        account = account_of(request)
        action = request.path_params["action"]
        data = await _payload(request)
        options = {
            "skus_per_step": int(data.get("skus_per_step", 3)),
            "stock": bool(data.get("stock", True)),
            "prices": bool(data.get("prices", True)),
        }
        state = emu.walks.setdefault(account.name, {"running": False, "steps": 0, "changes": 0, "task": None})
        if action == "start":
            if state["task"]:
                state["task"].cancel()
            interval = float(data.get("interval", 5.0))
            if interval <= 0:
                raise ApiError(400, "interval must be positive")
            state["task"] = asyncio.get_running_loop().create_task(emu.run_walk(account, interval, options))
            state["running"] = True
        elif action == "stop":
            if state["task"]:
                state["task"].cancel()
            state["task"], state["running"] = None, False
        elif action == "step":
            changes = []
            for _ in range(int(data.get("steps", 1))):
                changes.extend(account.walk_step(**options))
                state["steps"] += 1
            state["changes"] += len(changes)
            await emu.flush()
            return {"changes": changes, "version": account.catalog.version}
        elif action != "status":
            raise ApiError(404, f"unknown walk action {action}")
        return {k: v for k, v in state.items() if k != "task"}

    async def orders(request: Request) -> list:
        account = account_of(request)
        return [
            {
                "orderId": o["orderId"],
                "marketplaceOrderId": o["marketplaceOrderId"],
                "status": o["status"],
                "value": o["value"],
                "history": account.order_history[o["orderId"]],
            }
            for o in account.orders.values()
        ]

    async def order(request: Request) -> dict:
        account = account_of(request)
        found = account.order(request.path_params["order_id"])
        return {**account.public_order(found), "history": account.order_history[found["orderId"]]}

    async def advance(request: Request) -> dict:
        account = account_of(request)
        data = await _payload(request)
        order_id = request.path_params["order_id"]
        found = account.order(order_id)
        target = data.get("to", "ready-for-handling")
        if found["status"] == "window-to-cancel":
            account.end_window(order_id)
        if target == "handling" and found["status"] == "ready-for-handling":
            account.start_handling(order_id)
        if found["status"] != target:
            raise ApiError(409, f"order {order_id} is {found['status']}, it cannot be moved to {target}")
        return {"orderId": order_id, "status": found["status"]}

    async def invoice(request: Request) -> dict:
        """The merchant's ERP: issues the NF-e and notifies the invoice to the OMS."""
        data = await _payload(request)
        return emu.erp_invoice(
            account_of(request),
            request.path_params["order_id"],
            broken=data.get("broken"),
            tracking=data.get("tracking", True),
            courier=data.get("courier", "Transportadora Sandbox"),
        )

    async def correct_invoice(request: Request) -> dict:
        """The merchant's ERP replaces the order's NF-e with a new one (after TikTok refused it)."""
        data = await _payload(request)
        return emu.erp_correct_invoice(
            account_of(request), request.path_params["order_id"], broken=data.get("broken")
        )

    async def invoice_xml(request: Request) -> Response:
        account = account_of(request)
        xml = account.nfe_documents.get(request.path_params["key"])
        if xml is None:
            raise ApiError(404, "no such invoice")
        return Response(xml, media_type="application/xml; charset=utf-8")

    prefix = "/_sandbox/vtex"
    acct = f"{prefix}/accounts/{{account}}"
    table = [
        ("/health", health, ["GET"]),
        ("/_sandbox/stats", stats, ["GET", "DELETE"]),
        (f"{prefix}/calls", calls, ["GET", "DELETE"]),
        (f"{prefix}/faults", faults, ["POST", "DELETE"]),
        (f"{prefix}/latency", latency, ["POST"]),
        (f"{prefix}/rate-limits", rate_limits, ["GET", "POST", "DELETE"]),
        (f"{prefix}/config", settings, ["GET", "POST"]),
        (f"{prefix}/deliveries", deliveries, ["GET", "DELETE"]),
        (f"{prefix}/deliveries/flush", flush, ["POST"]),
        (f"{acct}/config", account_config, ["GET", "POST"]),
        (f"{acct}/appkeys/{{key}}", app_key, ["PUT", "DELETE"]),
        (f"{acct}/affiliates/{{affiliate_id}}", affiliate, ["PUT"]),
        (f"{acct}/notifications", notifications, ["POST"]),
        (f"{acct}/skus/{{sku_id}}", sku_view, ["GET"]),
        (f"{acct}/skus/{{sku_id}}/stock", sku_stock, ["PUT"]),
        (f"{acct}/skus/{{sku_id}}/price", sku_price, ["PUT"]),
        (f"{acct}/walk/{{action}}", walk, ["GET", "POST"]),
        (f"{acct}/orders", orders, ["GET"]),
        (f"{acct}/orders/{{order_id}}", order, ["GET"]),
        (f"{acct}/orders/{{order_id}}/advance", advance, ["POST"]),
        (f"{acct}/orders/{{order_id}}/invoice", invoice, ["POST"]),
        (f"{acct}/orders/{{order_id}}/invoice/correct", correct_invoice, ["POST"]),
        (f"{acct}/invoices/{{key}}.xml", invoice_xml, ["GET"]),
    ]
    return [Route(path, control(fn), methods=methods) for path, fn, methods in table]
