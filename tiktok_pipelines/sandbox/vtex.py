"""The VTEX emulator: Catalog, Logistics, Pricing v2, fulfillment (external marketplace), OMS, orders
feed and hook, on loopback, as strict as the real APIs where their behaviour is documented.

URL scheme. One port serves every account; the account is the first path segment, so the project's
host templates work unchanged: `VTEX_BASE_URL=http://127.0.0.1:8703/{account}` (core APIs at
`/{account}/api/...`) and `VTEX_PRICING_BASE_URL=http://127.0.0.1:8703/{account}` (Pricing at
`/{account}/pricing/...`, as `https://api.vtex.com/{account}/pricing/...`). The Host header is ignored.

Strictness: app key and token headers are required (401), each route needs a License Manager resource
(403), each account has token buckets per API (429 + Retry-After; Pricing answers always carry
`Ratelimit-Limit/Remaining/Reset`), request bodies must be JSON, order money must be integer cents.

`GET /_sandbox/stats`: what each account received and did (requests per endpoint and answer, orders by
status, notifications sent); `DELETE` resets the request counts.

Switches, all under `/_sandbox/vtex/` (see `VtexSandboxControl` for a client):
- `calls` (GET, DELETE): requests per account and endpoint (`"GET /api/logistics/..."`), and by status.
- `faults` (POST, DELETE): answer the next N matching requests with a status (and Retry-After), or
  delay them (a delay longer than the client's timeout is a timeout); with `after`, the request is
  processed first and only its answer is lost.
- `latency` (POST): added to every request; `rate-limits` (POST, DELETE): token buckets per API.
- `deliveries` (GET, DELETE, POST `/flush`): notifications sent (SKU broadcasts, order hook,
  marketplace callbacks) with their status and attempts.
- `accounts/{account}/...`: `config` (window-to-cancel seconds, weight unit, `auto_invoice`: the ERP
  invoicing orders by itself after a delay, some NF-es broken and corrected later), `appkeys/{key}`,
  `affiliates/{id}`, `notifications` (where SKU-change broadcasts go), `skus/{id}/stock`,
  `skus/{id}/price`, `walk/start|stop|step` (the seeded random walk of stock and prices), `orders`,
  `orders/{id}/advance`, `orders/{id}/invoice` (the ERP issues an NF-e and invoices the order;
  `broken` makes the XML bad on purpose), `orders/{id}/invoice/correct` (the ERP replaces a refused
  NF-e with a new one), `invoices/{key}.xml` (the NF-e XML).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.catalog import Catalog, Sku
from tiktok_pipelines.sandbox.nfe import BROKEN_KINDS, Emitter, build_nfe
from tiktok_pipelines.sandbox.vtex_account import (
    Affiliate,
    ApiError,
    AppKey,
    SandboxAccount,
    now_utc,
    vtex_time,
)
from tiktok_pipelines.sandbox.vtex_catalog import (
    CATEGORY_NODES,
    SALES_CHANNELS,
    brand_record,
    category_record,
    category_tree,
    product_record,
    sales_channel_records,
    sku_context,
    sku_record,
)

log = logging.getLogger(__name__)

# License Manager resources (VTEX Admin > Account settings > Roles) each route needs; any one suffices.
CATALOG_READ = ("Product and SKU Management",)
INVENTORY_READ = ("Logistics inventory read only", "Logistics inventory full access", "Logistics full access")
INVENTORY_WRITE = ("Logistics inventory full access", "Logistics full access")
WAREHOUSES_READ = ("Logistics viewer", "Logistics full access", "Logistics inventory full access")
PRICES_READ = ("Read prices", "Modify prices")
PRICES_WRITE = ("Modify prices",)
SIMULATION = ("Shopping Cart Full Access", "Orders Full Access")
MARKETPLACE_ORDERS = ("Orders Full Access",)
ORDER_VIEW = ("View order",)
ORDER_CANCEL = ("Cancel order",)
ORDER_WORKFLOW = ("Change order workflow status",)
ORDER_INVOICE = ("Notify invoice",)
FEED_ADMIN = ("Feed v3 and Hook Admin",)
FEED_VIEW = ("Feed v3 and Hook Admin", "Feed v3 and Hook view only")
FEED_CONSUME = ("Order feed subscription", "Feed v3 and Hook Admin")
ALL_RESOURCES = frozenset(
    {
        *CATALOG_READ,
        *INVENTORY_READ,
        *WAREHOUSES_READ,
        *PRICES_READ,
        *SIMULATION,
        *ORDER_VIEW,
        *ORDER_CANCEL,
        *ORDER_WORKFLOW,
        *ORDER_INVOICE,
        "Notify refund",
        *FEED_VIEW,
        *FEED_CONSUME,
    }
)

# A second key of every sandbox account that may only read the catalog (for 403 tests).
CATALOG_ONLY_KEY_SUFFIX = "CATALOG"


def sandbox_credentials(account: str) -> tuple[str, str]:
    """The app key and token every sandbox account accepts with all resources, no setup needed."""
    return f"vtexappkey-{account}-SANDBOX", f"sandbox-app-token-{account}"


def catalog_only_credentials(account: str) -> tuple[str, str]:
    return f"vtexappkey-{account}-{CATALOG_ONLY_KEY_SUFFIX}", f"sandbox-catalog-token-{account}"


# Token buckets per API (rate per second, burst). Pricing's are documented; the others are not
# published, so these are generous stand-ins.
DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "catalog": (750.0, 750.0),
    "logistics": (500.0, 1000.0),
    "pricing-read": (40.0, 1000.0),
    "pricing-write": (33.0, 500.0),
    "pricing-delete": (16.0, 300.0),
    "fulfillment": (100.0, 100.0),
    "checkout": (100.0, 100.0),
    "oms": (100.0, 100.0),
    "feed": (100.0, 100.0),
}


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self) -> tuple[bool, float]:
        """(allowed, seconds until a token is available)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, 0.0
        return False, (1 - self.tokens) / self.rate

    def headers(self) -> dict[str, str]:
        return {
            "Ratelimit-Limit": str(int(self.burst)),
            "Ratelimit-Remaining": str(max(0, int(self.tokens))),
            "Ratelimit-Reset": str(math.ceil((self.burst - self.tokens) / self.rate)),
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # JSON numbers, as Pricing sends them (decimal reais)
    raise TypeError(f"cannot encode {type(value).__name__}")


class JSON(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_json_default, ensure_ascii=False, separators=(",", ":")).encode()


def error_response(exc: ApiError, headers: dict[str, str] | None = None) -> Response:
    return JSON(exc.body(), status_code=exc.status, headers=headers)


@dataclass
class Ctx:
    """One API request, resolved: account, authenticated key, path and query parameters, JSON body."""

    request: Request
    account: SandboxAccount
    app_key: AppKey | None
    path: dict[str, Any]
    query: dict[str, str]
    body: Any


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    family: str
    resources: tuple[str, ...] | None  # None: public, no credentials needed
    handler: Handler


class VtexEmulator:
    """The emulator's state: accounts, switches, counters and the notification outbox."""

    def __init__(
        self, image_base_url: str = "http://127.0.0.1:8701", public_url: str = "http://127.0.0.1:8703"
    ):
        self.image_base_url = image_base_url
        self.public_url = public_url.rstrip("/")
        self.accounts: dict[str, SandboxAccount] = {}
        self.faults: list[dict[str, Any]] = []
        self.latency = (0.0, 0.0)
        self.limits: dict[str, tuple[float, float]] = dict(DEFAULT_LIMITS)
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.calls: dict[str, Counter[str]] = {}
        self.responses: dict[str, Counter[str]] = {}
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.deliveries: list[dict[str, Any]] = []
        self.delivery_retries = 2
        self.delivery_retry_seconds = 0.2
        self.delivery_timeout = 5.0
        self.walks: dict[str, dict[str, Any]] = {}
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------ accounts
    def add_account(
        self,
        catalog: Catalog,
        *,
        app_keys: list[AppKey] | None = None,
        affiliates: list[Affiliate] | None = None,
    ) -> SandboxAccount:
        """Serves `catalog` as a VTEX account (its sandbox keys and a TikTok Shop affiliate `TTS` on
        trade policy 1 are there from the start)."""
        key, token = sandbox_credentials(catalog.account)
        ro_key, ro_token = catalog_only_credentials(catalog.account)
        keys = [AppKey(key, token, ALL_RESOURCES), AppKey(ro_key, ro_token, frozenset(CATALOG_READ))]
        account = SandboxAccount(
            catalog,
            image_base_url=self.image_base_url,
            public_url=self.public_url,
            app_keys=keys + list(app_keys or []),
            affiliates=affiliates or [Affiliate("TTS", "TikTok Shop", "1")],
            listener=self,
        )
        self.accounts[catalog.account] = account
        return account

    def account(self, name: str) -> SandboxAccount:
        account = self.accounts.get(name)
        if account is None:
            raise ApiError(404, f"Account {name} not found")
        return account

    # ------------------------------------------------------------ Listener (called by accounts)
    def sku_changed(self, account: SandboxAccount, sku: Sku, *, stock: bool, price: bool) -> None:
        found = account.find_sku(sku.sku_id)
        product = found[0] if found else None
        for affiliate in account.affiliates.values():
            if not affiliate.notification_url:
                continue
            self._enqueue(
                "broadcast",
                account.name,
                affiliate.notification_url,
                {
                    "idSKU": str(sku.sku_id),
                    "productId": product.product_id if product else None,
                    "an": account.name,
                    "idAffiliate": affiliate.id,
                    "DateModified": vtex_time(),
                    "isActive": bool(sku.active and (product.active if product else False)),
                    "StockModified": stock,
                    "PriceModified": price,
                    "HasStockKeepingUnitModified": False,
                    "HasStockKeepingUnitRemovedFromAffiliate": False,
                },
            )

    def order_changed(self, account: SandboxAccount, order: dict[str, Any], last_state: str | None) -> None:
        account.push_feed_event(order, last_state)
        delay = account.auto_invoice.get("seconds")
        if order["status"] == "ready-for-handling" and delay is not None:
            order_id = order["orderId"]
            self.call_later(float(delay), lambda: self._auto_invoice(account, order_id))
        for app_key, hook in account.hooks.items():
            if not account.matches(hook["filter"], order):
                continue
            self._enqueue(
                "hook",
                account.name,
                hook["hook"]["url"],
                {
                    "Domain": "Fulfillment",
                    "OrderId": order["orderId"],
                    "State": order["status"],
                    "LastState": last_state,
                    "LastChange": order["lastChange"],
                    "CurrentChange": order["lastChange"],
                    "Origin": {"Account": account.name, "Key": app_key},
                },
                headers=hook["hook"].get("headers") or {},
            )

    def marketplace_callback(
        self, account: SandboxAccount, order: dict[str, Any], kind: str, body: dict
    ) -> None:
        endpoint = order.get("marketplaceServicesEndpoint")
        if endpoint:
            url = f"{endpoint.rstrip('/')}/pvt/orders/{order['marketplaceOrderId']}/{kind}"
            self._enqueue("marketplace", account.name, url, body)

    def call_later(self, seconds: float, fn: Callable[[], None]) -> None:
        if seconds <= 0:
            fn()
            return
        loop = self._running_loop() or self._loop
        if loop is None:
            fn()
        else:
            loop.call_later(seconds, fn)

    # ------------------------------------------------------------ notifications
    @staticmethod
    def _running_loop() -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _enqueue(self, kind: str, account: str, url: str, body: dict, headers: dict | None = None) -> None:
        delivery = {
            "id": uuid.uuid4().hex,
            "kind": kind,
            "account": account,
            "url": url,
            "body": body,
            "headers": dict(headers or {}),
            "queuedAt": vtex_time(),
            "attempts": 0,
            "status": None,
            "delivered": False,
        }
        self.deliveries.append(delivery)
        if self._running_loop() is not None:
            self._put(delivery)
        elif self._loop is not None:
            self._loop.call_soon_threadsafe(self._put, delivery)
        else:
            delivery["error"] = "the emulator is not being served"

    def _put(self, delivery: dict[str, Any]) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._work())
        self._queue.put_nowait(delivery)

    async def _work(self) -> None:
        # One worker delivers in order, as a target expects the states of an order in sequence.
        assert self._queue is not None
        async with httpx.AsyncClient(timeout=self.delivery_timeout) as http:
            while True:
                delivery = await self._queue.get()
                try:
                    await self._deliver(http, delivery)
                finally:
                    self._queue.task_done()

    async def _deliver(self, http: httpx.AsyncClient, delivery: dict[str, Any]) -> None:
        for attempt in range(self.delivery_retries + 1):
            if attempt:
                await asyncio.sleep(self.delivery_retry_seconds * 2 ** (attempt - 1))
            delivery["attempts"] = attempt + 1
            try:
                response = await http.post(
                    delivery["url"], json=delivery["body"], headers=delivery["headers"]
                )
            except httpx.HTTPError as exc:
                delivery["status"], delivery["error"] = None, type(exc).__name__
                continue
            delivery["status"] = response.status_code
            if 200 <= response.status_code < 300:
                delivery["delivered"] = True
                delivery["deliveredAt"] = vtex_time()
                delivery.pop("error", None)
                return

    async def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every queued notification has been delivered or given up."""
        if self._queue is None:
            return True
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
            return True
        except TimeoutError:
            return False

    # ------------------------------------------------------------ switches
    def take_fault(self, account: str, family: str, method: str, path: str) -> dict[str, Any] | None:
        for fault in self.faults:
            if fault.get("account") not in (None, account):
                continue
            if fault.get("family") not in (None, family):
                continue
            if fault.get("method") not in (None, method):
                continue
            if fault.get("path") and not re.search(fault["path"], path):
                continue
            fault["times"] -= 1
            if fault["times"] <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def bucket(self, account: str, family: str, method: str) -> tuple[str, Bucket]:
        name = family
        if family == "pricing":
            name = {"GET": "pricing-read", "DELETE": "pricing-delete"}.get(method, "pricing-write")
        key = (account, name)
        bucket = self.buckets.get(key)
        if bucket is None:
            rate, burst = self.limits.get(name, (100.0, 100.0))
            bucket = self.buckets[key] = Bucket(rate, burst)
        return name, bucket

    def set_limit(self, family: str, rate: float, burst: float) -> None:
        if family not in DEFAULT_LIMITS:
            raise ApiError(400, f"unknown family {family}; one of {', '.join(DEFAULT_LIMITS)}")
        if rate <= 0 or burst < 1:
            raise ApiError(400, "rate must be positive and burst at least 1")
        self.limits[family] = (rate, burst)
        for key in [k for k in self.buckets if k[1] == family]:
            del self.buckets[key]

    def authenticate(self, account: SandboxAccount, request: Request, resources: tuple[str, ...]) -> AppKey:
        key = request.headers.get("x-vtex-api-appkey")
        token = request.headers.get("x-vtex-api-apptoken")
        if not key or not token:
            raise ApiError(401, "X-VTEX-API-AppKey and X-VTEX-API-AppToken are required")
        app = account.app_keys.get(key)
        if app is None or not hmac.compare_digest(app.token.encode(), token.encode()):
            raise ApiError(401, "Unauthorized: invalid app key or app token")
        if not app.resources.intersection(resources):
            raise ApiError(
                403,
                f"Forbidden: the app key needs one of the License Manager resources {', '.join(resources)}",
            )
        return app

    # ------------------------------------------------------------ the request pipeline
    async def handle(self, request: Request, template: str, endpoints: dict[str, Endpoint]) -> Response:
        self._loop = asyncio.get_running_loop()
        name = request.path_params["account"]
        method = request.method
        endpoint = endpoints.get(method) or endpoints["GET"]  # Starlette answers HEAD with GET routes
        key = f"{method} {template}"
        self.calls.setdefault(name, Counter())[key] += 1
        self.in_flight[name] += 1
        self.max_in_flight[name] = max(self.max_in_flight[name], self.in_flight[name])
        try:
            response = await self._respond(request, name, method, endpoint)
        finally:
            self.in_flight[name] -= 1
        self.responses.setdefault(name, Counter())[f"{key} {response.status_code}"] += 1
        return response

    @staticmethod
    def _fault_response(fault: dict[str, Any], path: str) -> Response:
        status = int(fault["status"])
        headers = {}
        if status == 429 or fault.get("retry_after") is not None:
            headers["Retry-After"] = str(fault.get("retry_after", 1))
        if status == 423:
            return Response(f"Unable to acquire lock for key: {path}", status_code=423, headers=headers)
        body = fault.get("body") or {"error": {"code": None, "message": f"sandbox fault {status}"}}
        return JSON(body, status_code=status, headers=headers)

    async def _respond(self, request: Request, name: str, method: str, endpoint: Endpoint) -> Response:
        seconds, jitter = self.latency
        if seconds or jitter:
            await asyncio.sleep(seconds + random.uniform(0, jitter))
        fault = self.take_fault(name, endpoint.family, method, request.url.path)
        # A fault strikes before the request is processed, or `after` it: the work is done but the
        # answer is lost (a 5xx or a timeout after VTEX acted), which only idempotent retries survive.
        if fault and not fault.get("after"):
            if fault.get("delay"):
                await asyncio.sleep(float(fault["delay"]))
            if fault.get("status"):
                return self._fault_response(fault, request.url.path)
        response = await self._process(request, name, method, endpoint)
        if fault and fault.get("after"):
            if fault.get("delay"):
                await asyncio.sleep(float(fault["delay"]))
            if fault.get("status"):
                return self._fault_response(fault, request.url.path)
        return response

    async def _process(self, request: Request, name: str, method: str, endpoint: Endpoint) -> Response:
        try:
            account = self.account(name)
            app_key = None
            if endpoint.resources is not None:
                app_key = self.authenticate(account, request, endpoint.resources)
            bucket_name, bucket = self.bucket(name, endpoint.family, method)
            allowed, wait = bucket.take()
            extra = bucket.headers() if endpoint.family == "pricing" else {}
            if not allowed:
                extra["Retry-After"] = str(max(1, math.ceil(wait)))
                return JSON(
                    {"error": {"code": "429", "message": f"Too many requests ({bucket_name})"}},
                    status_code=429,
                    headers=extra,
                )
            body = await self._body(request)
            ctx = Ctx(request, account, app_key, dict(request.path_params), dict(request.query_params), body)
            response = await endpoint.handler(ctx)
            response.headers.update(extra)
            return response
        except ApiError as exc:
            return error_response(exc)

    @staticmethod
    async def _body(request: Request) -> Any:
        raw = await request.body()
        if not raw:
            return None
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise ApiError(415, "Content-Type must be application/json")
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(400, f"the body is not valid JSON: {exc.msg}") from None

    # ------------------------------------------------------------ the merchant's ERP
    def erp_invoice(
        self,
        account: SandboxAccount,
        order_id: str,
        *,
        broken: str | None = None,
        tracking: bool = True,
        courier: str = "Transportadora Sandbox",
    ) -> dict[str, Any]:
        """The ERP issues an NF-e for the order and notifies the invoice to the OMS (XML embedded and at
        `invoiceUrl`); `broken` makes the XML bad on purpose (see `sandbox.nfe`)."""
        if broken is not None and broken not in BROKEN_KINDS:
            raise ApiError(400, f"broken must be one of {', '.join(BROKEN_KINDS)}")
        found = account.order(order_id)
        if found["status"] == "ready-for-handling":
            account.start_handling(order_id)
        if found["status"] != "handling":
            raise ApiError(409, f"order {order_id} is {found['status']}; it is invoiced from handling")
        body = self._issue_nfe(account, found, broken)
        body.update(
            type="Output",
            items=[
                {"id": i["id"], "quantity": i["quantity"], "price": i["sellingPrice"]} for i in found["items"]
            ],
        )
        if tracking:
            number = int(body["invoiceNumber"])
            body.update(
                courier=courier,
                trackingNumber=f"SB{number:09d}BR",
                trackingUrl=f"https://rastreio.example.com/SB{number:09d}BR",
                dispatchedDate=now_utc().isoformat(),
            )
        receipt = account.invoice(order_id, body)
        return {
            **receipt,
            "invoiceNumber": body["invoiceNumber"],
            "invoiceKey": body["invoiceKey"],
            "invoiceUrl": body["invoiceUrl"],
            "status": found["status"],
            "broken": broken,
        }

    def erp_correct_invoice(
        self, account: SandboxAccount, order_id: str, *, broken: str | None = None
    ) -> dict[str, Any]:
        """The ERP replaces a refused NF-e: it cancels it with SEFAZ, issues a new one (new number and
        access key) and replaces the order's latest sale invoice in the OMS, which posts the invoice to
        the marketplace again. (How a merchant swaps an invoice in VTEX depends on its ERP and admin;
        the order keeps one sale invoice here.)"""
        if broken is not None and broken not in BROKEN_KINDS:
            raise ApiError(400, f"broken must be one of {', '.join(BROKEN_KINDS)}")
        found = account.order(order_id)
        body = self._issue_nfe(account, found, broken)
        replaced = account.replace_invoice(order_id, body)
        return {**body, "replaced": replaced, "broken": broken, "embeddedInvoice": None}

    def _issue_nfe(
        self, account: SandboxAccount, order: dict[str, Any], broken: str | None
    ) -> dict[str, Any]:
        number = account.next_invoice_number
        account.next_invoice_number += 1
        document = build_nfe(
            account.public_order(order), Emitter.for_account(account.name), number=number, broken=broken
        )
        account.nfe_documents[document.access_key] = document.xml
        return {
            "invoiceNumber": str(number),
            "invoiceValue": str(order["value"]),
            "issuanceDate": document.issued_at.isoformat(),
            "invoiceKey": document.access_key,
            "invoiceUrl": f"{self.public_url}/_sandbox/vtex/accounts/{account.name}/invoices/{document.access_key}.xml",
            "embeddedInvoice": document.xml.decode("utf-8"),
        }

    def _auto_invoice(self, account: SandboxAccount, order_id: str) -> None:
        """The demo's ERP: invoices an order once it may be handled; now and then a bad NF-e, corrected
        later (see the account's `auto_invoice_*` settings)."""
        settings = account.auto_invoice
        order = account.orders.get(order_id)
        if order is None or order["status"] not in ("ready-for-handling", "handling"):
            return
        broken = None
        if settings.get("broken_share", 0) and account.erp_rng.random() < float(settings["broken_share"]):
            broken = account.erp_rng.choice(BROKEN_KINDS)
        try:
            self.erp_invoice(account, order_id, broken=broken, tracking=bool(settings.get("tracking", False)))
        except ApiError as exc:
            log.warning("sandbox ERP could not invoice %s: %s", order_id, exc)
            return
        correct_after = settings.get("correct_seconds")
        if broken and correct_after is not None:
            self.call_later(float(correct_after), lambda: self._auto_correct(account, order_id))

    def _auto_correct(self, account: SandboxAccount, order_id: str) -> None:
        try:
            self.erp_correct_invoice(account, order_id)
        except ApiError as exc:
            log.warning("sandbox ERP could not correct the invoice of %s: %s", order_id, exc)

    # ------------------------------------------------------------ random walk
    async def _walk(self, account: SandboxAccount, interval: float, options: dict[str, Any]) -> None:
        state = self.walks[account.name]
        while True:
            await asyncio.sleep(interval)
            state["changes"] += len(account.walk_step(**options))
            state["steps"] += 1


def _query_int(ctx: Ctx, name: str, default: int | None = None) -> int:
    raw = ctx.query.get(name)
    if raw in (None, ""):
        if default is None:
            raise ApiError(400, f"the query parameter {name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a number, got {raw!r}") from None


def _sku_of(ctx: Ctx, name: str = "sku_id"):
    return ctx.account.sku(ctx.path[name])


# ---------------------------------------------------------------- API handlers
def api_endpoints(emu: VtexEmulator) -> dict[str, dict[str, Endpoint]]:
    """Path template (after `/{account}`) → method → endpoint."""
    routes: dict[str, dict[str, Endpoint]] = {}

    def api(method: str, template: str, family: str, resources: tuple[str, ...] | None):
        def register(fn: Handler) -> Handler:
            routes.setdefault(template, {})[method] = Endpoint(family, resources, fn)
            return fn

        return register

    # -- catalog
    @api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitids", "catalog", CATALOG_READ)
    async def sku_ids(ctx: Ctx) -> Response:
        page = _query_int(ctx, "page")
        size = _query_int(ctx, "pagesize")
        if page < 1 or not 1 <= size <= 1000:
            raise ApiError(400, "page must be 1 or more and pagesize between 1 and 1000")
        ids = sorted(s.sku_id for s in ctx.account.catalog.skus())
        return JSON(ids[(page - 1) * size : page * size])

    @api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel", "catalog", CATALOG_READ)
    async def sku_ids_by_channel(ctx: Ctx) -> Response:
        sc = ctx.query.get("sc", "1")
        if sc not in SALES_CHANNELS:
            return JSON([])
        page = _query_int(ctx, "page", 1)
        size = _query_int(ctx, "pageSize", 100)
        only_assigned = ctx.query.get("onlyAssigned", "true").lower() != "false"
        ids = sorted(
            s.sku_id
            for p in ctx.account.catalog.products
            for s in p.skus
            if not only_assigned or (s.active and p.active)
        )
        return JSON(ids[(page - 1) * size : page * size])

    @api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku_id}", "catalog", CATALOG_READ)
    async def sku_by_id(ctx: Ctx) -> Response:
        product, sku = _sku_of(ctx)
        return JSON(
            sku_context(ctx.account.catalog, product, sku, emu.image_base_url, ctx.account.weight_unit)
        )

    @api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitbyean/{ean}", "catalog", CATALOG_READ)
    async def sku_by_ean(ctx: Ctx) -> Response:
        for product in ctx.account.catalog.products:
            for sku in product.skus:
                if sku.ean == ctx.path["ean"]:
                    return JSON(
                        sku_context(
                            ctx.account.catalog, product, sku, emu.image_base_url, ctx.account.weight_unit
                        )
                    )
        raise ApiError(404, f"No SKU with EAN {ctx.path['ean']}")

    @api("GET", "/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/{ref_id}", "catalog", CATALOG_READ)
    async def sku_by_ref(ctx: Ctx) -> Response:
        for sku in ctx.account.catalog.skus():
            if sku.ref_id == ctx.path["ref_id"]:
                return JSON(str(sku.sku_id))
        raise ApiError(404, f"No SKU with RefId {ctx.path['ref_id']}")

    @api(
        "GET", "/api/catalog_system/pvt/sku/stockkeepingunitByProductId/{product_id}", "catalog", CATALOG_READ
    )
    async def skus_of_product(ctx: Ctx) -> Response:
        product = ctx.account.product(ctx.path["product_id"])
        return JSON([sku_record(product, s, ctx.account.weight_unit) for s in product.skus])

    @api("GET", "/api/catalog/pvt/stockkeepingunit/{sku_id}/ean", "catalog", CATALOG_READ)
    async def sku_eans(ctx: Ctx) -> Response:
        _, sku = _sku_of(ctx)
        return JSON([sku.ean])

    @api("GET", "/api/catalog/pvt/product/{product_id}", "catalog", CATALOG_READ)
    async def product(ctx: Ctx) -> Response:
        return JSON(product_record(ctx.account.product(ctx.path["product_id"])))

    @api("GET", "/api/catalog_system/pvt/products/productget/{product_id}", "catalog", CATALOG_READ)
    async def product_get(ctx: Ctx) -> Response:
        return JSON(product_record(ctx.account.product(ctx.path["product_id"]), with_stores=True))

    @api("GET", "/api/catalog_system/pvt/products/GetProductAndSkuIds", "catalog", CATALOG_READ)
    async def product_and_skus(ctx: Ctx) -> Response:
        first = _query_int(ctx, "_from", 1)
        last = _query_int(ctx, "_to", 10)
        if first < 1 or last < first or last - first + 1 > 250:
            raise ApiError(400, "_from and _to must select between 1 and 250 products")
        category = ctx.query.get("categoryId")
        products = sorted(ctx.account.catalog.products, key=lambda p: p.product_id)
        if category:
            products = [p for p in products if str(p.category.id) == category]
        chunk = products[first - 1 : last]
        return JSON(
            {
                "data": {str(p.product_id): [s.sku_id for s in p.skus] for p in chunk},
                "range": {"total": len(products), "from": first, "to": last},
            }
        )

    @api("GET", "/api/catalog_system/pvt/brand/list", "catalog", CATALOG_READ)
    async def brands(ctx: Ctx) -> Response:
        return JSON([brand_record(b.id, b.name) for b in ctx.account.catalog.brands])

    @api("GET", "/api/catalog_system/pvt/brand/pagedlist", "catalog", CATALOG_READ)
    async def brands_paged(ctx: Ctx) -> Response:
        size = _query_int(ctx, "pageSize")
        page = _query_int(ctx, "page")
        if size < 1 or page < 1:
            raise ApiError(400, "page and pageSize must be positive")
        all_brands = ctx.account.catalog.brands
        chunk = all_brands[(page - 1) * size : page * size]
        return JSON(
            {
                "items": [brand_record(b.id, b.name) for b in chunk],
                "paging": {
                    "page": page,
                    "perPage": size,
                    "total": len(all_brands),
                    "pages": -(-len(all_brands) // size),
                },
            }
        )

    @api("GET", "/api/catalog_system/pvt/brand/{brand_id}", "catalog", CATALOG_READ)
    async def brand(ctx: Ctx) -> Response:
        for b in ctx.account.catalog.brands:
            if str(b.id) == ctx.path["brand_id"]:
                return JSON(brand_record(b.id, b.name))
        raise ApiError(404, f"Brand {ctx.path['brand_id']} not found")

    @api("GET", "/api/catalog_system/pub/category/tree/{levels}", "catalog", None)
    async def tree(ctx: Ctx) -> Response:
        try:
            levels = int(ctx.path["levels"])
        except ValueError:
            raise ApiError(400, "levels must be a number") from None
        return JSON(category_tree(ctx.account.catalog.store_url, max(1, levels)))

    @api("GET", "/api/catalog/pvt/category/{category_id}", "catalog", CATALOG_READ)
    async def category(ctx: Ctx) -> Response:
        try:
            node = CATEGORY_NODES[int(ctx.path["category_id"])]
        except (KeyError, ValueError):
            raise ApiError(404, f"Category {ctx.path['category_id']} not found") from None
        google = next(
            (c.google_product_category for c in ctx.account.catalog.categories if c.id == node.id), None
        )
        return JSON(category_record(node, google))

    @api("GET", "/api/catalog_system/pvt/saleschannel/list", "catalog", CATALOG_READ)
    async def sales_channels(ctx: Ctx) -> Response:
        return JSON(sales_channel_records())

    # -- logistics
    def warehouse_name(wh: str) -> str:
        return "Estoque Principal" if wh == "1_1" else f"Armazém {wh}"

    @api("GET", "/api/logistics/pvt/configuration/warehouses", "logistics", WAREHOUSES_READ)
    async def warehouses(ctx: Ctx) -> Response:
        return JSON(
            [
                {
                    "id": wh,
                    "name": warehouse_name(wh),
                    "warehouseDocks": [{"dockId": "1", "time": "1.00:00:00", "cost": 0.0}],
                    "pickupPointIds": [],
                    "priority": n,
                    "isActive": True,
                }
                for n, wh in enumerate(ctx.account.catalog.warehouses)
            ]
        )

    @api("GET", "/api/logistics/pvt/inventory/skus/{sku_id}", "logistics", INVENTORY_READ)
    async def inventory_by_sku(ctx: Ctx) -> Response:
        _, sku = _sku_of(ctx)
        balance = []
        for wh in ctx.account.catalog.warehouses:
            view = ctx.account.warehouse_view(sku, wh)
            balance.append(
                {
                    "warehouseId": wh,
                    "warehouseName": warehouse_name(wh),
                    "totalQuantity": view["total"],
                    "reservedQuantity": view["reserved"],
                    "hasUnlimitedQuantity": view["unlimited"],
                    "timeToRefill": None,
                    "dateOfSupplyUtc": None,
                    "leadTime": view["lead_time"],
                }
            )
        return JSON({"skuId": str(sku.sku_id), "balance": balance})

    @api(
        "GET",
        "/api/logistics/pvt/inventory/items/{sku_id}/warehouses/{warehouse_id}",
        "logistics",
        INVENTORY_READ,
    )
    async def inventory_item(ctx: Ctx) -> Response:
        _, sku = _sku_of(ctx)
        wh = ctx.path["warehouse_id"]
        ctx.account.check_warehouse(wh)
        view = ctx.account.warehouse_view(sku, wh)
        return JSON(
            [
                {
                    "skuId": str(sku.sku_id),
                    "warehouseId": wh,
                    "warehouseName": warehouse_name(wh),
                    "dockId": "1",
                    "totalQuantity": view["total"],
                    "reservedQuantity": view["reserved"],
                    "availableQuantity": view["available"],
                    "isUnlimited": view["unlimited"],
                    "salesChannel": list(SALES_CHANNELS),
                    "deliveryChannels": ["delivery"],
                    "timeToRefill": None,
                    "dateOfSupplyUtc": None,
                    "dateUtcOnBalanceSystem": view["date_utc"],
                    "keepSellingAfterExpiration": False,
                }
            ]
        )

    @api(
        "PUT",
        "/api/logistics/pvt/inventory/skus/{sku_id}/warehouses/{warehouse_id}",
        "logistics",
        INVENTORY_WRITE,
    )
    async def inventory_put(ctx: Ctx) -> Response:
        if not isinstance(ctx.body, dict) or "quantity" not in ctx.body:
            raise ApiError(400, "quantity is required")
        ctx.account.set_total(
            ctx.path["sku_id"],
            ctx.path["warehouse_id"],
            ctx.body["quantity"],
            unlimited=bool(ctx.body.get("unlimitedQuantity")),
            lead_time=ctx.body.get("leadTime"),
        )
        return JSON(True)

    # -- pricing
    @api("GET", "/pricing/prices/{item_id}", "pricing", PRICES_READ)
    async def price_get(ctx: Ctx) -> Response:
        record = ctx.account.price_record(ctx.path["item_id"])
        return JSON(record.to_json(str(ctx.path["item_id"])))

    @api("PUT", "/pricing/prices/{item_id}", "pricing", PRICES_WRITE)
    async def price_put(ctx: Ctx) -> Response:
        ctx.account.put_price(ctx.path["item_id"], ctx.body)
        return Response(status_code=200)

    @api("DELETE", "/pricing/prices/{item_id}", "pricing", PRICES_WRITE)
    async def price_delete(ctx: Ctx) -> Response:
        ctx.account.delete_price(ctx.path["item_id"])
        return Response(status_code=200)

    @api("GET", "/pricing/prices/{item_id}/computed/{price_table}", "pricing", PRICES_READ)
    async def computed(ctx: Ctx) -> Response:
        quantity = _query_int(ctx, "quantity", 1)
        if quantity < 1:
            raise ApiError(400, "quantity must be at least 1")
        return JSON(ctx.account.computed_json(ctx.path["item_id"], ctx.path["price_table"], quantity))

    @api("GET", "/pricing/prices/{item_id}/computed", "pricing", PRICES_READ)
    async def computed_all(ctx: Ctx) -> Response:
        return JSON([ctx.account.computed_json(ctx.path["item_id"], sc) for sc in SALES_CHANNELS])

    @api("GET", "/pricing/prices/{item_id}/fixed", "pricing", PRICES_READ)
    async def fixed_all(ctx: Ctx) -> Response:
        return JSON(ctx.account.price_record(ctx.path["item_id"]).fixed)

    @api("GET", "/pricing/prices/{item_id}/fixed/{price_table}", "pricing", PRICES_READ)
    async def fixed_one(ctx: Ctx) -> Response:
        fixed = ctx.account.price_record(ctx.path["item_id"]).fixed
        return JSON([f for f in fixed if f["tradePolicyId"] == ctx.path["price_table"]])

    # -- fulfillment (external marketplace)
    @api("POST", "/api/fulfillment/pvt/orderForms/simulation", "fulfillment", SIMULATION)
    async def simulation(ctx: Ctx) -> Response:
        return JSON(ctx.account.simulate(ctx.body, ctx.query.get("sc"), ctx.query.get("affiliateId")))

    @api("POST", "/api/checkout/pub/orderForms/simulation", "checkout", None)
    async def public_simulation(ctx: Ctx) -> Response:
        return JSON(ctx.account.simulate(ctx.body, ctx.query.get("sc", "1"), ctx.query.get("affiliateId")))

    @api("POST", "/api/fulfillment/pvt/orders", "fulfillment", MARKETPLACE_ORDERS)
    async def place(ctx: Ctx) -> Response:
        return JSON(ctx.account.place_orders(ctx.body, ctx.query.get("sc"), ctx.query.get("affiliateId")))

    @api("POST", "/api/fulfillment/pvt/orders/{order_id}/fulfill", "fulfillment", MARKETPLACE_ORDERS)
    async def fulfill(ctx: Ctx) -> Response:
        return JSON(
            ctx.account.authorize(
                ctx.path["order_id"], ctx.body, ctx.query.get("sc"), ctx.query.get("affiliateId")
            )
        )

    # -- OMS
    @api("GET", "/api/oms/pvt/orders", "oms", ORDER_VIEW)
    async def list_orders(ctx: Ctx) -> Response:
        return JSON(ctx.account.list_orders(ctx.query))

    @api("GET", "/api/oms/pvt/orders/{order_id}", "oms", ORDER_VIEW)
    async def get_order(ctx: Ctx) -> Response:
        return JSON(ctx.account.public_order(ctx.account.order(ctx.path["order_id"])))

    @api("POST", "/api/oms/pvt/orders/{order_id}/cancel", "oms", ORDER_CANCEL)
    async def cancel(ctx: Ctx) -> Response:
        reason = ctx.body.get("reason") if isinstance(ctx.body, dict) else None
        return JSON(ctx.account.cancel(ctx.path["order_id"], reason))

    @api("POST", "/api/oms/pvt/orders/{order_id}/start-handling", "oms", ORDER_WORKFLOW)
    async def start_handling(ctx: Ctx) -> Response:
        ctx.account.start_handling(ctx.path["order_id"])
        return Response(status_code=204)

    @api("POST", "/api/oms/pvt/orders/{order_id}/invoice", "oms", ORDER_INVOICE)
    async def invoice(ctx: Ctx) -> Response:
        resources = ctx.app_key.resources if ctx.app_key else None
        return JSON(ctx.account.invoice(ctx.path["order_id"], ctx.body, resources))

    @api("PATCH", "/api/oms/pvt/orders/{order_id}/invoice/{invoice_number}", "oms", ORDER_INVOICE)
    async def tracking(ctx: Ctx) -> Response:
        return JSON(ctx.account.update_tracking(ctx.path["order_id"], ctx.path["invoice_number"], ctx.body))

    # -- orders feed v3 and hook
    def key_of(ctx: Ctx) -> str:
        assert ctx.app_key is not None
        return ctx.app_key.key

    @api("POST", "/api/orders/feed/config", "feed", FEED_ADMIN)
    async def feed_config_post(ctx: Ctx) -> Response:
        ctx.account.configure_feed(key_of(ctx), ctx.body)
        return Response(status_code=204)

    @api("GET", "/api/orders/feed/config", "feed", FEED_VIEW)
    async def feed_config_get(ctx: Ctx) -> Response:
        return JSON(ctx.account.feed_config(key_of(ctx)))

    @api("DELETE", "/api/orders/feed/config", "feed", FEED_ADMIN)
    async def feed_config_delete(ctx: Ctx) -> Response:
        if ctx.account.feeds.pop(key_of(ctx), None) is None:
            raise ApiError(404, "No feed is configured for this app key")
        return Response(status_code=204)

    @api("GET", "/api/orders/feed", "feed", FEED_CONSUME)
    async def feed_get(ctx: Ctx) -> Response:
        max_lot = _query_int(ctx, "maxlot", 1)
        if not 1 <= max_lot <= 10:
            raise ApiError(400, "maxlot must be between 1 and 10")
        return JSON(ctx.account.feed_items(key_of(ctx), max_lot))

    @api("POST", "/api/orders/feed", "feed", FEED_CONSUME)
    async def feed_commit(ctx: Ctx) -> Response:
        handles = ctx.body.get("handles") if isinstance(ctx.body, dict) else None
        ctx.account.commit_feed(key_of(ctx), handles)
        return Response(status_code=204)

    @api("POST", "/api/orders/hook/config", "feed", FEED_ADMIN)
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
            async with httpx.AsyncClient(timeout=emu.delivery_timeout) as http:
                ping = await http.post(url, json={"hookConfig": "ping"}, headers=headers)
            answered = ping.status_code
        except httpx.HTTPError as exc:
            answered = type(exc).__name__
        emu.deliveries.append(
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

    @api("GET", "/api/orders/hook/config", "feed", FEED_VIEW)
    async def hook_get(ctx: Ctx) -> Response:
        hook = ctx.account.hooks.get(key_of(ctx))
        if hook is None:
            raise ApiError(404, "No hook is configured for this app key")
        return JSON(hook)

    @api("DELETE", "/api/orders/hook/config", "feed", FEED_ADMIN)
    async def hook_delete(ctx: Ctx) -> Response:
        if ctx.account.hooks.pop(key_of(ctx), None) is None:
            raise ApiError(404, "No hook is configured for this app key")
        return Response(status_code=204)

    return routes


# ---------------------------------------------------------------- control routes
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
            emu._loop = asyncio.get_running_loop()
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
            state["task"] = asyncio.get_running_loop().create_task(emu._walk(account, interval, options))
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


def create_vtex_app(emu: VtexEmulator) -> Starlette:
    """The ASGI app of the emulator: control routes, then every API route under `/{account}`."""
    routes = control_routes(emu)
    for template, endpoints in api_endpoints(emu).items():

        async def endpoint(
            request: Request, template: str = template, endpoints: dict = endpoints
        ) -> Response:
            return await emu.handle(request, template, endpoints)

        routes.append(Route("/{account}" + template, endpoint, methods=list(endpoints)))
    return Starlette(routes=routes)


# ---------------------------------------------------------------- a client of the control routes
class VtexSandboxControl:
    """Drives the emulator's `/_sandbox/vtex` switches from tests and scripts (one account)."""

    def __init__(self, base_url: str, account: str = "demostore", timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.account = account
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> VtexSandboxControl:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict | None = None, **params: Any) -> Any:
        response = self.http.request(
            method, path, json=body, params={k: v for k, v in params.items() if v is not None}
        )
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox {method} {path} → {response.status_code}: {response.text}")
        if "xml" in response.headers.get("content-type", ""):
            return response.content
        return response.json() if response.content else None

    @property
    def _acct(self) -> str:
        return f"/_sandbox/vtex/accounts/{self.account}"

    # counters and switches
    def calls(self) -> dict[str, int]:
        return self._call("GET", "/_sandbox/vtex/calls", account=self.account)[self.account]["calls"]

    def responses(self) -> dict[str, int]:
        """Answers per endpoint and status, e.g. `{"GET /pricing/prices/{item_id} 429": 3}`."""
        return self._call("GET", "/_sandbox/vtex/calls", account=self.account)[self.account]["responses"]

    def max_in_flight(self) -> int:
        """The most requests of this account the emulator held at once."""
        return self._call("GET", "/_sandbox/vtex/calls", account=self.account)[self.account]["maxInFlight"]

    def count(self, method: str, template: str) -> int:
        """Requests received on one endpoint, e.g. `count("GET", "/api/logistics/pvt/inventory/skus/{sku_id}")`."""
        return self.calls().get(f"{method} {template}", 0)

    def reset_calls(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/calls", account=self.account)

    def fault(
        self,
        status: int | None = None,
        *,
        times: int = 1,
        family: str | None = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        delay: float | None = None,
        after: bool = False,
    ) -> None:
        """The next `times` matching requests fail with `status` and/or wait `delay` seconds; with
        `after`, the request is processed first and only its answer is lost."""
        body = {
            "status": status,
            "times": times,
            "family": family,
            "method": method,
            "path": path,
            "delay": delay,
        }
        body = {k: v for k, v in body.items() if v is not None}
        body["account"] = self.account
        body["after"] = after
        if retry_after is not None:
            body["retry_after"] = retry_after
        self._call("POST", "/_sandbox/vtex/faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/faults")

    def latency(self, seconds: float, jitter: float = 0.0) -> None:
        self._call("POST", "/_sandbox/vtex/latency", {"seconds": seconds, "jitter": jitter})

    def rate_limit(self, family: str, rate: float, burst: float) -> None:
        self._call("POST", "/_sandbox/vtex/rate-limits", {"family": family, "rate": rate, "burst": burst})

    def reset_rate_limits(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/rate-limits")

    def configure(self, **settings: Any) -> dict:
        return self._call("POST", f"{self._acct}/config", settings)

    def add_app_key(self, key: str, token: str, resources: list[str] | str) -> None:
        self._call("PUT", f"{self._acct}/appkeys/{key}", {"token": token, "resources": resources})

    # catalog state
    def sku(self, sku_id: int | str) -> dict:
        return self._call("GET", f"{self._acct}/skus/{sku_id}")

    def set_stock(
        self,
        sku_id: int | str,
        *,
        available: int | None = None,
        quantity: int | None = None,
        warehouse_id: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {"warehouseId": warehouse_id}
        body.update({"available": available} if available is not None else {"quantity": quantity})
        return self._call("PUT", f"{self._acct}/skus/{sku_id}/stock", body)

    def set_price(
        self,
        sku_id: int | str,
        price: Decimal | str,
        list_price: Decimal | str | None = None,
        trade_policy: str = "1",
    ) -> dict:
        body = {
            "price": str(price),
            "listPrice": str(list_price) if list_price is not None else None,
            "tradePolicyId": trade_policy,
        }
        return self._call("PUT", f"{self._acct}/skus/{sku_id}/price", body)

    def walk_step(self, steps: int = 1, **options: Any) -> list[dict]:
        return self._call("POST", f"{self._acct}/walk/step", {"steps": steps, **options})["changes"]

    def start_walk(self, interval: float, **options: Any) -> dict:
        return self._call("POST", f"{self._acct}/walk/start", {"interval": interval, **options})

    def stop_walk(self) -> dict:
        return self._call("POST", f"{self._acct}/walk/stop")

    # notifications
    def notify_to(self, url: str | None, affiliate_id: str | None = None) -> dict:
        """Where SKU-change broadcasts go (the affiliate's notification endpoint)."""
        return self._call("POST", f"{self._acct}/notifications", {"url": url, "affiliateId": affiliate_id})

    def deliveries(self, kind: str | None = None) -> list[dict]:
        return self._call("GET", "/_sandbox/vtex/deliveries", kind=kind, account=self.account)

    def flush(self, timeout: float = 10.0) -> dict:
        return self._call("POST", "/_sandbox/vtex/deliveries/flush", {"timeout": timeout})

    def clear_deliveries(self) -> None:
        self._call("DELETE", "/_sandbox/vtex/deliveries")

    # orders
    def orders(self) -> list[dict]:
        return self._call("GET", f"{self._acct}/orders")

    def order(self, order_id: str) -> dict:
        return self._call("GET", f"{self._acct}/orders/{order_id}")

    def advance(self, order_id: str, to: str = "ready-for-handling") -> dict:
        return self._call("POST", f"{self._acct}/orders/{order_id}/advance", {"to": to})

    def invoice(self, order_id: str, *, broken: str | None = None, tracking: bool = True) -> dict:
        """Has the ERP invoice the order: an NF-e is issued and notified to the OMS (see `broken`)."""
        return self._call(
            "POST", f"{self._acct}/orders/{order_id}/invoice", {"broken": broken, "tracking": tracking}
        )

    def correct_invoice(self, order_id: str, *, broken: str | None = None) -> dict:
        """Has the ERP replace the order's NF-e with a newly issued one (VTEX posts it to the marketplace)."""
        return self._call("POST", f"{self._acct}/orders/{order_id}/invoice/correct", {"broken": broken})

    def auto_invoice(
        self,
        seconds: float | None,
        *,
        broken_share: float = 0.0,
        correct_seconds: float | None = None,
        tracking: bool = False,
    ) -> dict:
        """The ERP invoices every order `seconds` after it may be handled (None stops it); a share of the
        NF-es come out broken and are corrected `correct_seconds` later."""
        auto = (
            {
                "seconds": seconds,
                "broken_share": broken_share,
                "correct_seconds": correct_seconds,
                "tracking": tracking,
            }
            if seconds is not None
            else {}
        )
        return self.configure(auto_invoice=auto)

    def invoice_xml(self, access_key: str) -> bytes:
        return self._call("GET", f"{self._acct}/invoices/{access_key}.xml")
