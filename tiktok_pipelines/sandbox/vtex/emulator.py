"""`VtexEmulator`: the accounts it serves, its switches (faults, latency, rate limits per API), its
counters, and the request pipeline every API call goes through: fault and latency, account, app key and
token, License Manager resource, rate limit, JSON body, then the family's handler. It listens to its
accounts through `NotificationsMixin` and runs the merchant's ERP through `ErpMixin`."""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import random
import re
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tiktok_pipelines.sandbox.catalog import Catalog
from tiktok_pipelines.sandbox.rate_limits import TokenBucket
from tiktok_pipelines.sandbox.vtex.account import SandboxAccount
from tiktok_pipelines.sandbox.vtex.erp import ErpMixin
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.marketplace import Affiliate
from tiktok_pipelines.sandbox.vtex.notifications import NotificationsMixin
from tiktok_pipelines.sandbox.vtex.resources import (
    ALL_RESOURCES,
    CATALOG_READ,
    AppKey,
    catalog_only_credentials,
    sandbox_credentials,
)
from tiktok_pipelines.sandbox.vtex.routing import JSON, Ctx, Endpoint, error_response

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


class Bucket(TokenBucket):
    """An API's token bucket, which can also say how full it is as Pricing's answers do."""

    def headers(self) -> dict[str, str]:
        return {
            "Ratelimit-Limit": str(int(self.burst)),
            "Ratelimit-Remaining": str(max(0, int(self.tokens))),
            "Ratelimit-Reset": str(math.ceil((self.burst - self.tokens) / self.rate)),
        }


class VtexEmulator(NotificationsMixin, ErpMixin):
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

    def attach_loop(self) -> None:
        """Remembers the event loop serving the emulator, where notifications and timers are scheduled."""
        self._loop = asyncio.get_running_loop()

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
        self.attach_loop()
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
            ctx = Ctx(
                request, account, app_key, dict(request.path_params), dict(request.query_params), body, self
            )
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

    # ------------------------------------------------------------ random walk
    async def run_walk(self, account: SandboxAccount, interval: float, options: dict[str, Any]) -> None:
        state = self.walks[account.name]
        while True:
            await asyncio.sleep(interval)
            state["changes"] += len(account.walk_step(**options))
            state["steps"] += 1
