"""A client of a merchant's VTEX store, seen from the TikTok Shop integration.

Covers: catalog (SKU ids, SKU context, products, brands, category tree, sales channels), logistics
(inventory per SKU and warehouse, warehouses), Pricing v2 (prices, fixed prices per trade policy,
computed prices), orders placed as an external marketplace through the fulfillment protocol
(simulation → place → authorize dispatch; the order sent is built by `vtex.orders`), the OMS (get,
list, cancel, start handling, invoice and tracking), and the orders feed v3 and hook.

Units, as VTEX sends them: amounts in the OMS and fulfillment APIs are integer cents (an invoice value is
a string of cents); Pricing amounts are decimal reais, read here as `Decimal`. `domain.money` converts.
SKU ids are integers in the Catalog and strings elsewhere; this client accepts either and returns the
form the API uses.

Every call goes through one account-wide throttle (pacing and a bound on requests in flight) and a retry
policy: 429 is always retried after the server's Retry-After; 5xx, timeouts and locks are retried only
for requests that are safe to repeat (see `_Call.idempotent`); 4xx never.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr
from tenacity import RetryCallState

from tiktok_pipelines.core.money import from_cents
from tiktok_pipelines.http import (
    ApiCallError,
    HttpApiClient,
    RateLimiter,
    RetryableError,
    RetryPolicy,
    map_concurrently,
    parse_retry_after,
)
from tiktok_pipelines.vtex.orders import MarketplaceOrder, OrderItem, PlacedOrder

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://{account}.{environment}.com.br"
DEFAULT_PRICING_BASE_URL = "https://api.vtex.com/{account}"
DEFAULT_LOGISTICS_BASE_URL = "https://logistics.vtexcommercestable.com.br/{account}"
DEFAULT_ENVIRONMENT = "vtexcommercestable"

SKU_IDS_PAGE_MAX = 1000
PRODUCT_SKU_RANGE_MAX = 250
FEED_MAX_LOT = 10
ORDERS_PER_PAGE_MAX = 100
ORDERS_MAX_PAGES = 30

Family = Literal["catalog", "logistics", "pricing", "oms", "fulfillment", "checkout"]
T = TypeVar("T")


# ---------------------------------------------------------------- errors
@dataclass(eq=False, repr=False)
class VtexError(ApiCallError):
    """A VTEX call failed. `status` is the HTTP status (None for network errors), `code` VTEX's error code
    when the body carries one (OMS003, FMT007, ORDER027, ...). Never carries credentials."""

    status: int | None = None
    code: str | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        where = f"VTEX {self.method} {self.path}" if self.method else "VTEX"
        status = f" → {self.status}" if self.status is not None else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{status}{code}: {self.message}"


class VtexAuthError(VtexError):
    """401 (missing or wrong app key / token) or 403 (the key lacks a License Manager resource)."""


class VtexNotFoundError(VtexError):
    """404: no such SKU, product, order, price ..."""


class VtexValidationError(VtexError):
    """400 / 422: VTEX refused the request as written (price divergence, bad status for the action ...)."""


class VtexConflictError(VtexError):
    """409: the request conflicts with the resource's state (e.g. start-handling out of order)."""


class VtexLockedError(VtexConflictError, RetryableError):
    """423: the resource is locked by another write (inventory); worth another attempt."""


class VtexRateLimitedError(VtexError, RetryableError):
    """429: throttled; `retry_after` is the server's Retry-After in seconds, when it gave one."""


class VtexServerError(VtexError, RetryableError):
    """5xx from VTEX."""


class VtexTransportError(VtexError, RetryableError):
    """Network error or timeout. `maybe_sent` is False when the request certainly never reached VTEX."""

    def __init__(self, message: str, *, maybe_sent: bool, **kw: Any):
        super().__init__(message, **kw)
        self.maybe_sent = maybe_sent


# ---------------------------------------------------------------- configuration
@dataclass(frozen=True)
class VtexAccount:
    """One merchant's VTEX store as the integration sees it: account, credentials, and the trade policy,
    affiliate and warehouses the TikTok Shop channel uses."""

    account: str
    app_key: SecretStr
    app_token: SecretStr
    environment: str = DEFAULT_ENVIRONMENT
    trade_policy: str = "1"
    affiliate_id: str | None = None
    warehouse_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("app_key", "app_token"):
            value = getattr(self, name)
            if not isinstance(value, SecretStr):
                value = SecretStr(str(value))
                object.__setattr__(self, name, value)
            text = value.get_secret_value()
            # Sent as HTTP headers: blank or with spaces / control characters, they cannot be right.
            if not text or any(c.isspace() or ord(c) < 32 for c in text):
                raise ValueError(f"VTEX {name} of account {self.account!r} is empty or has spaces")


@dataclass(frozen=True)
class VtexOptions:
    """Hosts (templates with `{account}` and `{environment}`) and tuning shared by every account."""

    base_url: str = DEFAULT_BASE_URL
    pricing_base_url: str = DEFAULT_PRICING_BASE_URL
    logistics_base_url: str = DEFAULT_LOGISTICS_BASE_URL
    timeout_seconds: float = 30.0
    max_concurrency: int = 8
    rate_limit_per_second: float = 50.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "tiktok-pipelines/0.1"
    marketplace_services_endpoint: str | None = None


class _Throttle:
    """What every client of one account (and host) shares in this process: a pacing limiter and a
    bound on requests in flight, so two assets of one client cannot together exceed the budget."""

    def __init__(self, rate: float, concurrency: int):
        self.limiter = RateLimiter(rate, burst=max(1, concurrency))
        self.slots = threading.BoundedSemaphore(max(1, concurrency))


_THROTTLES: dict[tuple, _Throttle] = {}
_THROTTLES_LOCK = threading.Lock()


def _throttle_for(key: tuple, rate: float, concurrency: int) -> _Throttle:
    with _THROTTLES_LOCK:
        throttle = _THROTTLES.get(key)
        if throttle is None:
            throttle = _THROTTLES[key] = _Throttle(rate, concurrency)
        return throttle


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class WarehouseStock:
    """Stock of one SKU in one warehouse. `available` = total − reserved (never below zero)."""

    vtex_sku_id: str
    warehouse_id: str
    total: int
    reserved: int
    unlimited: bool = False
    warehouse_name: str | None = None

    @property
    def available(self) -> int:
        return max(0, self.total - self.reserved)


@dataclass(frozen=True)
class SkuStock:
    """Stock of one SKU over the warehouses asked for."""

    vtex_sku_id: str
    warehouses: tuple[WarehouseStock, ...]

    @property
    def unlimited(self) -> bool:
        return any(w.unlimited for w in self.warehouses)

    @property
    def available(self) -> int:
        """Units that can be sold now, over the warehouses (unlimited warehouses count zero: see
        `quantity`)."""
        return sum(w.available for w in self.warehouses if not w.unlimited)

    def quantity(self, unlimited_as: int) -> int:
        """The quantity to publish: `unlimited_as` when any warehouse has unlimited stock."""
        return unlimited_as if self.unlimited else self.available


@dataclass(frozen=True)
class FixedPrice:
    """A fixed price of a SKU on one trade policy (price table), optionally from a quantity and in a window."""

    trade_policy_id: str
    value: Decimal
    list_price: Decimal | None = None
    min_quantity: int = 1
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def applies(self, quantity: int = 1, at: datetime | None = None) -> bool:
        at = at or datetime.now(UTC)
        if quantity < self.min_quantity:
            return False
        if self.valid_from and at < self.valid_from:
            return False
        return not (self.valid_to and at > self.valid_to)


@dataclass(frozen=True)
class TradePolicyPrice:
    selling_price: Decimal
    list_price: Decimal


@dataclass(frozen=True)
class Price:
    """A SKU's price record in Pricing v2 (decimal reais)."""

    vtex_sku_id: str
    base_price: Decimal | None
    list_price: Decimal | None
    cost_price: Decimal | None
    markup: Decimal | None
    fixed_prices: tuple[FixedPrice, ...] = ()

    def for_trade_policy(
        self, trade_policy_id: str, quantity: int = 1, at: datetime | None = None
    ) -> TradePolicyPrice | None:
        """Selling and list price on a trade policy: the applicable fixed price with the highest minimum
        quantity wins, else the base price. Price-table rules are not applied: use the computed price
        when the store relies on them."""
        fixed = [
            f
            for f in self.fixed_prices
            if f.trade_policy_id == str(trade_policy_id) and f.applies(quantity, at)
        ]
        if fixed:
            best = max(fixed, key=lambda f: f.min_quantity)
            list_price = best.list_price or self.list_price or best.value
            return TradePolicyPrice(best.value, list_price)
        if self.base_price is None:
            return None
        return TradePolicyPrice(self.base_price, self.list_price or self.base_price)


@dataclass(frozen=True)
class ComputedPrice:
    """The price VTEX computes for a SKU on a trade policy (fixed prices and price-table rules applied)."""

    vtex_sku_id: str
    trade_policy_id: str
    selling_price: Decimal
    list_price: Decimal | None
    cost_price: Decimal | None = None
    price_valid_until: datetime | None = None
    price_table: str | None = None


@dataclass
class BulkResult(Generic[T]):
    """The outcome of a bulk read: values by SKU id (string) and errors by SKU id."""

    values: dict[str, T] = field(default_factory=dict)
    errors: dict[str, VtexError] = field(default_factory=dict)

    @property
    def not_found(self) -> list[str]:
        return sorted(k for k, e in self.errors.items() if isinstance(e, VtexNotFoundError))

    @property
    def failed(self) -> dict[str, VtexError]:
        """Errors other than not-found: the ones a run should report as failures."""
        return {k: e for k, e in self.errors.items() if not isinstance(e, VtexNotFoundError)}


# ---------------------------------------------------------------- invoices (OMS)
@dataclass(frozen=True)
class InvoiceItem:
    vtex_sku_id: str
    quantity: int
    price_cents: int
    description: str | None = None


@dataclass(frozen=True)
class Invoice:
    """An invoice (NF-e) notified to the OMS. `type` Output is a sale; Input is a return (refunds).

    `value_cents` goes out as a string of cents, as the OMS expects; `xml` is sent as
    `embeddedInvoice`. Notifying the same number again only renews the receipt.
    """

    number: str
    value_cents: int
    issued_at: datetime
    items: tuple[InvoiceItem, ...]
    type: Literal["Output", "Input"] = "Output"
    key: str | None = None
    url: str | None = None
    xml: str | None = None
    courier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    dispatched_at: datetime | None = None

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "invoiceNumber": self.number,
            "invoiceValue": str(int(self.value_cents)),
            "issuanceDate": _iso(self.issued_at),
            "items": [
                {
                    "id": str(i.vtex_sku_id),
                    "quantity": int(i.quantity),
                    "price": int(i.price_cents),
                    **({"description": i.description} if i.description else {}),
                }
                for i in self.items
            ],
        }
        optional = {
            "invoiceKey": self.key,
            "invoiceUrl": self.url,
            "embeddedInvoice": self.xml,
            "courier": self.courier,
            "trackingNumber": self.tracking_number,
            "trackingUrl": self.tracking_url,
            "dispatchedDate": _iso(self.dispatched_at) if self.dispatched_at else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body


@dataclass(frozen=True)
class FeedEvent:
    """An item of the orders feed v3; commit its `handle` once it is processed."""

    event_id: str
    handle: str
    domain: str
    state: str
    last_state: str | None
    order_id: str
    last_change: str | None
    current_change: str | None


def order_filter(statuses: Sequence[str] | None, expression: str | None) -> dict[str, Any]:
    """The `filter` of a feed or hook configuration: by workflow statuses, or a JSONata expression."""
    if statuses and expression:
        raise ValueError("a feed or hook filters by statuses or by an expression, not both")
    if expression:
        return {"type": "FromOrders", "expression": expression, "disableSingleFire": False}
    return {"type": "FromWorkflow", "status": list(statuses or [])}


# ---------------------------------------------------------------- helpers
def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _sku(vtex_sku_id: int | str) -> str:
    text = str(vtex_sku_id).strip()
    if not text or "/" in text:
        raise ValueError(f"not a SKU id: {vtex_sku_id!r}")
    return text


def _error_fields(body: Any, text: str) -> tuple[str | None, str]:
    """VTEX's error bodies vary by API: OMS `{"error":{"code","message"}}`, others `{"message"}`,
    `{"Message"}` or plain text. Returns (code, message)."""
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            return (
                str(inner["code"]) if inner.get("code") else None,
                str(inner.get("message") or text),
            )
        code = body.get("code") or body.get("Code")
        message = body.get("message") or body.get("Message") or body.get("error") or text
        return (str(code) if code else None, str(message))
    return None, (text or "").strip()[:500] or "(empty body)"


# ---------------------------------------------------------------- the client
class VtexClient(HttpApiClient):
    """A VTEX store's APIs, bound to one account and its credentials.

    Thread-safe; use it as a context manager (or call `close()`) to release connections. Bulk helpers
    (`stock_many`, `prices_many`, `computed_prices_many`) read many SKUs concurrently within the
    account's concurrency bound. `stats` counts requests, retries and throttling for run metadata.
    """

    def __init__(
        self,
        account: VtexAccount,
        options: VtexOptions | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ):
        self.account = account
        self.options = options or VtexOptions()
        opts = self.options
        fmt = {"account": account.account, "environment": account.environment}
        self._bases: dict[str, str] = {
            "core": opts.base_url.format(**fmt).rstrip("/"),
            "pricing": opts.pricing_base_url.format(**fmt).rstrip("/"),
            "logistics": opts.logistics_base_url.format(**fmt).rstrip("/"),
        }
        self._throttle = _throttle_for(
            (self._bases["core"], opts.rate_limit_per_second, opts.max_concurrency),
            opts.rate_limit_per_second,
            opts.max_concurrency,
        )
        self._http = httpx.Client(
            timeout=httpx.Timeout(opts.timeout_seconds, connect=min(10.0, opts.timeout_seconds)),
            limits=httpx.Limits(
                max_connections=opts.max_concurrency, max_keepalive_connections=opts.max_concurrency
            ),
            headers={
                "Accept": "application/json",
                "User-Agent": opts.user_agent,
            },
            transport=transport,
        )
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self.pricing_rate_limit: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"VtexClient(account={self.account.account!r}, base={self._bases['core']!r})"

    # ------------------------------------------------------------ plumbing
    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] += n

    def _unanswered(
        self, exc: httpx.TransportError, method: str, path: str, *, maybe_sent: bool
    ) -> VtexTransportError:
        """A call VTEX gave no complete answer to, counted as a network error: it did not reach VTEX, or
        (`maybe_sent`) it may have."""
        self._count("network_errors")
        what = "no complete answer from VTEX" if maybe_sent else "could not reach VTEX"
        return VtexTransportError(
            f"{type(exc).__name__}: {what}", maybe_sent=maybe_sent, method=method, path=path
        )

    def _scrub(self, text: str) -> str:
        token = self.account.app_token.get_secret_value()
        return text.replace(token, "***") if token else text

    def _auth_headers(self) -> dict[str, str]:
        return {
            "X-VTEX-API-AppKey": self.account.app_key.get_secret_value(),
            "X-VTEX-API-AppToken": self.account.app_token.get_secret_value(),
        }

    def _request(
        self,
        method: str,
        path: str,
        *,
        base: str = "core",
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        decimals: bool = False,
    ) -> Any:
        """One API call with throttling and retries; returns the parsed JSON (or None when empty).

        `idempotent` says whether repeating the request after an ambiguous failure (5xx, timeout after
        sending) is safe; it defaults to True for GET / PUT / DELETE and False for POST and PATCH.
        """
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
        url = self._bases[base] + path
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, VtexRateLimitedError):
                return True  # rejected before any processing
            if isinstance(exc, VtexTransportError):
                return idempotent or not exc.maybe_sent
            if isinstance(exc, (VtexServerError, VtexLockedError)):
                return idempotent
            return False

        def on_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self._count("retries")
            log.warning(
                "%s; retrying in %.1f s (attempt %d of %d)",
                exc,
                state.upcoming_sleep,
                state.attempt_number + 1,
                self.options.retry.attempts,
            )

        def attempt() -> Any:
            return self._send(method, url, path, clean_params, body, decimals, base)

        return self.options.retry.call(attempt, retryable, on_retry)

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        params: Mapping[str, Any],
        body: Any,
        decimals: bool,
        base: str,
    ) -> Any:
        headers = self._auth_headers()
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, default=_json_default).encode()
        limiter = self._throttle.limiter
        with self._throttle.slots:
            limiter.acquire()
            self._count("requests")
            try:
                response = self._http.request(method, url, params=params, content=content, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise self._unanswered(exc, method, path, maybe_sent=False) from None
            except httpx.LocalProtocolError as exc:
                # The request could not even be written (e.g. an illegal header): not VTEX's doing.
                raise VtexError(
                    f"the request could not be sent: {type(exc).__name__}", method=method, path=path
                ) from None
            except httpx.TransportError as exc:
                raise self._unanswered(exc, method, path, maybe_sent=True) from None
        if base == "pricing":
            self._observe_pricing_limits(response)
        if response.status_code < 300:
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json(parse_float=Decimal) if decimals else response.json()
            except ValueError:
                return response.text
        raise self._error(method, path, response)

    def _get_or_none(self, path: str, **kw: Any) -> Any:
        """A GET whose 404 means "there is none" (no price, no feed, no such order)."""
        try:
            return self._request("GET", path, **kw)
        except VtexNotFoundError:
            return None

    def _observe_pricing_limits(self, response: httpx.Response) -> None:
        """Pricing announces its token bucket on every answer; when the bucket is empty, the next call
        would be refused, so every caller of this account waits for one token's refill first."""
        h = response.headers
        try:
            limit = float(h["Ratelimit-Limit"])
            remaining = float(h["Ratelimit-Remaining"])
            reset = float(h["Ratelimit-Reset"])
        except (KeyError, ValueError):
            return
        self.pricing_rate_limit = {"limit": limit, "remaining": remaining, "reset": reset}
        if remaining <= 0 and limit > 0 and "Retry-After" not in h:
            self._throttle.limiter.penalize(reset / limit)

    def _error(self, method: str, path: str, response: httpx.Response) -> VtexError:
        status = response.status_code
        text = self._scrub(response.text or "")
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        code, message = _error_fields(parsed, text)
        message = self._scrub(message)
        kw = {"status": status, "code": code, "method": method, "path": path}
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self._count("rate_limited")
            if retry_after:
                self._throttle.limiter.penalize(retry_after)
            return VtexRateLimitedError(message or "too many requests", retry_after=retry_after, **kw)
        if status in (401, 403):
            hint = (
                "check the app key and token"
                if status == 401
                else "the app key lacks a License Manager role for this API"
            )
            return VtexAuthError(f"{message} ({hint})", **kw)
        if status == 404:
            return VtexNotFoundError(message, **kw)
        if status == 423:
            return VtexLockedError(message, **kw)
        if status == 409:
            return VtexConflictError(message, **kw)
        if status >= 500:
            self._count("server_errors")
            return VtexServerError(message, **kw)
        return VtexValidationError(message, **kw)

    def _map(
        self, fn: Callable[[str], T | None], sku_ids: Iterable[int | str], missing: str | None = None
    ) -> BulkResult[T]:
        """`fn` over SKU ids within the account's concurrency; with `missing`, a None is not-found."""
        result: BulkResult[T] = BulkResult()
        for outcome in map_concurrently(fn, (_sku(s) for s in sku_ids), self.options.max_concurrency):
            if outcome.ok and outcome.value is None and missing:
                result.errors[outcome.item] = VtexNotFoundError(
                    f"SKU {outcome.item} has no {missing}", status=404
                )
            elif outcome.ok:
                result.values[outcome.item] = outcome.value
            elif isinstance(outcome.error, VtexError):
                result.errors[outcome.item] = outcome.error
            else:
                raise outcome.error  # a bug, not an API failure: surface it
        return result

    # ------------------------------------------------------------ catalog
    def sku_ids(self, page: int = 1, page_size: int = SKU_IDS_PAGE_MAX) -> list[int]:
        """One page of SKU ids (1-based pages, at most 1000 per page); `[]` past the end."""
        if not 1 <= page_size <= SKU_IDS_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{SKU_IDS_PAGE_MAX}")
        data = self._request(
            "GET",
            "/api/catalog_system/pvt/sku/stockkeepingunitids",
            params={"page": page, "pagesize": page_size},
        )
        return [int(x) for x in data or []]

    def iter_sku_ids(self, page_size: int = SKU_IDS_PAGE_MAX) -> Iterator[int]:
        """Every SKU id of the store, page after page."""
        page = 1
        while True:
            ids = self.sku_ids(page, page_size)
            yield from ids
            if len(ids) < page_size:
                return
            page += 1

    def sku_ids_by_sales_channel(
        self,
        sales_channel: str | None = None,
        page: int = 1,
        page_size: int = 1000,
        only_assigned: bool = True,
    ) -> list[int]:
        data = self._request(
            "GET",
            "/api/catalog_system/pvt/sku/stockkeepingunitidsbysaleschannel",
            params={
                "sc": sales_channel or self.account.trade_policy,
                "page": page,
                "pageSize": page_size,
                "onlyAssigned": str(only_assigned).lower(),
            },
        )
        return [int(x) for x in data or []]

    def sku(self, vtex_sku_id: int | str, sales_channel: str | None = None) -> dict[str, Any]:
        """The SKU with its context (product, brand, categories, images, specifications, EAN ...)."""
        return self._request(
            "GET",
            f"/api/catalog_system/pvt/sku/stockkeepingunitbyid/{_sku(vtex_sku_id)}",
            params={"sc": sales_channel},
        )

    def skus_many(self, sku_ids: Iterable[int | str], sales_channel: str | None = None) -> BulkResult[dict]:
        return self._map(lambda s: self.sku(s, sales_channel), sku_ids)

    def sku_by_ean(self, ean: str) -> dict[str, Any]:
        return self._request("GET", f"/api/catalog_system/pvt/sku/stockkeepingunitbyean/{quote(ean)}")

    def sku_id_by_ref_id(self, ref_id: str) -> int:
        data = self._request(
            "GET", f"/api/catalog_system/pvt/sku/stockkeepingunitidbyrefid/{quote(ref_id, safe='')}"
        )
        return int(str(data).strip('"'))

    def sku_eans(self, vtex_sku_id: int | str) -> list[str]:
        return [
            str(e) for e in self._request("GET", f"/api/catalog/pvt/stockkeepingunit/{_sku(vtex_sku_id)}/ean")
        ]

    def skus_of_product(self, product_id: int | str) -> list[dict[str, Any]]:
        return self._request("GET", f"/api/catalog_system/pvt/sku/stockkeepingunitByProductId/{product_id}")

    def product(self, product_id: int | str) -> dict[str, Any]:
        return self._request("GET", f"/api/catalog/pvt/product/{product_id}")

    def product_context(self, product_id: int | str) -> dict[str, Any]:
        return self._request("GET", f"/api/catalog_system/pvt/products/productget/{product_id}")

    def product_and_sku_ids(
        self, first: int = 1, last: int = PRODUCT_SKU_RANGE_MAX, category_id: int | None = None
    ) -> dict[str, Any]:
        """Products in [first, last] (1-based, at most 250) with their SKU ids:
        `{"data": {"<productId>": [skuIds]}, "range": {"total", "from", "to"}}`."""
        if last - first + 1 > PRODUCT_SKU_RANGE_MAX or last < first:
            raise ValueError(f"the range must hold 1..{PRODUCT_SKU_RANGE_MAX} products")
        return self._request(
            "GET",
            "/api/catalog_system/pvt/products/GetProductAndSkuIds",
            params={"categoryId": category_id, "_from": first, "_to": last},
        )

    def iter_product_and_sku_ids(self, category_id: int | None = None) -> Iterator[tuple[int, list[int]]]:
        """(product id, its SKU ids) for every product, 250 products a call."""
        first = 1
        while True:
            page = self.product_and_sku_ids(first, first + PRODUCT_SKU_RANGE_MAX - 1, category_id)
            for product_id, skus in (page.get("data") or {}).items():
                yield int(product_id), [int(s) for s in skus]
            total = int((page.get("range") or {}).get("total") or 0)
            first += PRODUCT_SKU_RANGE_MAX
            if first > total:
                return

    def brands(self) -> list[dict[str, Any]]:
        """Every brand: `[{"id","name","isActive","title","metaTagDescription","imageUrl"}]`."""
        return self._request("GET", "/api/catalog_system/pvt/brand/list")

    def brands_page(self, page: int = 1, page_size: int = 100) -> dict[str, Any]:
        """`{"items": [...], "paging": {"page","perPage","total","pages"}}`."""
        return self._request(
            "GET", "/api/catalog_system/pvt/brand/pagedlist", params={"pageSize": page_size, "page": page}
        )

    def iter_brands(self, page_size: int = 100) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            data = self.brands_page(page, page_size)
            yield from data.get("items") or []
            if page >= int((data.get("paging") or {}).get("pages") or 0):
                return
            page += 1

    def brand(self, brand_id: int | str) -> dict[str, Any]:
        return self._request("GET", f"/api/catalog_system/pvt/brand/{brand_id}")

    def category_tree(self, levels: int = 3) -> list[dict[str, Any]]:
        """The category tree to `levels` deep (public endpoint; sent with credentials anyway)."""
        return self._request("GET", f"/api/catalog_system/pub/category/tree/{int(levels)}")

    def category(self, category_id: int | str) -> dict[str, Any]:
        return self._request("GET", f"/api/catalog/pvt/category/{category_id}")

    def sales_channels(self) -> list[dict[str, Any]]:
        """The trade policies (sales channels) of the store."""
        return self._request("GET", "/api/catalog_system/pvt/saleschannel/list")

    # ------------------------------------------------------------ logistics
    def warehouses(self) -> list[dict[str, Any]]:
        return self._request("GET", "/api/logistics/pvt/configuration/warehouses")

    def inventory_item(self, vtex_sku_id: int | str, warehouse_id: str) -> WarehouseStock:
        """Stock of a SKU in one warehouse (the call the current integration makes per SKU)."""
        sku = _sku(vtex_sku_id)
        data = self._request(
            "GET", f"/api/logistics/pvt/inventory/items/{sku}/warehouses/{quote(warehouse_id, safe='')}"
        )
        rows = data or []
        if not rows:
            return WarehouseStock(sku, warehouse_id, 0, 0)
        total = sum(int(r.get("totalQuantity") or 0) for r in rows)
        reserved = sum(int(r.get("reservedQuantity") or 0) for r in rows)
        unlimited = any(bool(r.get("isUnlimited")) for r in rows)
        return WarehouseStock(sku, warehouse_id, total, reserved, unlimited, rows[0].get("warehouseName"))

    def inventory(self, vtex_sku_id: int | str) -> SkuStock:
        """Stock of a SKU in every warehouse, in one call; available = total − reserved per warehouse."""
        sku = _sku(vtex_sku_id)
        data = self._request("GET", f"/api/logistics/pvt/inventory/skus/{sku}")
        balances = tuple(
            WarehouseStock(
                vtex_sku_id=str(data.get("skuId") or sku),
                warehouse_id=str(b["warehouseId"]),
                total=int(b.get("totalQuantity") or 0),
                reserved=int(b.get("reservedQuantity") or 0),
                unlimited=bool(b.get("hasUnlimitedQuantity")),
                warehouse_name=b.get("warehouseName"),
            )
            for b in (data or {}).get("balance") or []
        )
        return SkuStock(sku, balances)

    def stock(self, vtex_sku_id: int | str, warehouse_ids: Sequence[str] | None = None) -> SkuStock:
        """Stock of a SKU over the given warehouses (default: the account's warehouses; all when none)."""
        wanted = tuple(warehouse_ids or self.account.warehouse_ids)
        stock = self.inventory(vtex_sku_id)
        if not wanted:
            return stock
        by_id = {w.warehouse_id: w for w in stock.warehouses}
        return SkuStock(
            stock.vtex_sku_id,
            tuple(by_id.get(wh) or WarehouseStock(stock.vtex_sku_id, wh, 0, 0) for wh in wanted),
        )

    def stock_many(
        self, sku_ids: Iterable[int | str], warehouse_ids: Sequence[str] | None = None
    ) -> BulkResult[SkuStock]:
        """Stock of many SKUs over the account's warehouses: one call per SKU, run concurrently."""
        return self._map(lambda s: self.stock(s, warehouse_ids), sku_ids)

    def set_inventory(
        self,
        vtex_sku_id: int | str,
        warehouse_id: str,
        quantity: int,
        *,
        unlimited: bool = False,
        lead_time: str | None = None,
    ) -> None:
        """Sets the total quantity of a SKU in a warehouse (reservations are kept by VTEX)."""
        if quantity < 0:
            raise ValueError("quantity cannot be negative")
        body: dict[str, Any] = {
            "quantity": int(quantity),
            "unlimitedQuantity": bool(unlimited),
            "dateUtcOnBalanceSystem": None,
        }
        if lead_time:
            body["leadTime"] = lead_time
        self._request(
            "PUT",
            f"/api/logistics/pvt/inventory/skus/{_sku(vtex_sku_id)}/warehouses/{quote(warehouse_id, safe='')}",
            body=body,
        )

    # ------------------------------------------------------------ pricing
    def price(self, vtex_sku_id: int | str) -> Price | None:
        """The SKU's price record, or None when the SKU has no price."""
        sku = _sku(vtex_sku_id)
        data = self._get_or_none(f"/pricing/prices/{sku}", base="pricing", decimals=True)
        return None if data is None else self._price(sku, data)

    @staticmethod
    def _price(sku: str, data: Mapping[str, Any]) -> Price:
        fixed = []
        for f in data.get("fixedPrices") or []:
            window = f.get("dateRange") or {}
            fixed.append(
                FixedPrice(
                    trade_policy_id=str(f["tradePolicyId"]),
                    value=_decimal(f["value"]),
                    list_price=_decimal(f.get("listPrice")),
                    min_quantity=int(f.get("minQuantity") or 1),
                    valid_from=_parse_datetime(window.get("from")),
                    valid_to=_parse_datetime(window.get("to")),
                )
            )
        return Price(
            vtex_sku_id=str(data.get("itemId") or sku),
            base_price=_decimal(data.get("basePrice")),
            list_price=_decimal(data.get("listPrice")),
            cost_price=_decimal(data.get("costPrice")),
            markup=_decimal(data.get("markup")),
            fixed_prices=tuple(fixed),
        )

    def prices_many(self, sku_ids: Iterable[int | str]) -> BulkResult[Price]:
        """Price records of many SKUs; a SKU without a price is reported under `not_found`."""
        return self._map(self.price, sku_ids, missing="price")

    def computed_price(
        self,
        vtex_sku_id: int | str,
        trade_policy: str | None = None,
        *,
        quantity: int = 1,
        category_ids: Sequence[int] | None = None,
        brand_id: int | None = None,
    ) -> ComputedPrice | None:
        """The price VTEX sells the SKU at on a trade policy (default: the account's), or None if unpriced."""
        sku = _sku(vtex_sku_id)
        tp = str(trade_policy or self.account.trade_policy)
        data = self._get_or_none(
            f"/pricing/prices/{sku}/computed/{quote(tp, safe='')}",
            base="pricing",
            params={
                "quantity": quantity,
                "categoryIds": ",".join(str(c) for c in category_ids) if category_ids else None,
                "brandId": brand_id,
            },
            decimals=True,
        )
        return None if data is None else self._computed(sku, data)

    @staticmethod
    def _computed(sku: str, data: Mapping[str, Any]) -> ComputedPrice:
        return ComputedPrice(
            vtex_sku_id=sku,
            trade_policy_id=str(data.get("tradePolicyId")),
            selling_price=_decimal(data["sellingPrice"]),
            list_price=_decimal(data.get("listPrice")),
            cost_price=_decimal(data.get("costPrice")),
            price_valid_until=_parse_datetime(data.get("priceValidUntil")),
            price_table=data.get("priceTable"),
        )

    def computed_prices(self, vtex_sku_id: int | str) -> list[ComputedPrice]:
        """The computed price of the SKU on every trade policy."""
        sku = _sku(vtex_sku_id)
        data = self._request("GET", f"/pricing/prices/{sku}/computed", base="pricing", decimals=True)
        return [self._computed(sku, row) for row in data or []]

    def computed_prices_many(
        self, sku_ids: Iterable[int | str], trade_policy: str | None = None
    ) -> BulkResult[ComputedPrice]:
        """Computed prices of many SKUs on one trade policy (default: the account's)."""
        return self._map(lambda sku: self.computed_price(sku, trade_policy), sku_ids, missing="price")

    def put_price(
        self,
        vtex_sku_id: int | str,
        *,
        base_price: Decimal | None = None,
        cost_price: Decimal | None = None,
        markup: Decimal | None = None,
        list_price: Decimal | None = None,
        fixed_prices: Sequence[FixedPrice] | None = None,
    ) -> None:
        """Creates or replaces a price. Give exactly two of base price, cost price and markup (VTEX
        derives the third: base = cost × (1 + markup%)). Fixed prices given replace all existing ones."""
        given = [x for x in (base_price, cost_price, markup) if x is not None]
        if len(given) != 2:
            raise ValueError("give exactly two of base_price, cost_price and markup")
        body: dict[str, Any] = {
            "basePrice": base_price,
            "costPrice": cost_price,
            "markup": markup,
            "listPrice": list_price,
        }
        body = {k: v for k, v in body.items() if v is not None}
        if fixed_prices is not None:
            body["fixedPrices"] = [
                {
                    "tradePolicyId": f.trade_policy_id,
                    "value": f.value,
                    "listPrice": f.list_price,
                    "minQuantity": f.min_quantity,
                    **(
                        {"dateRange": {"from": _iso(f.valid_from), "to": _iso(f.valid_to)}}
                        if f.valid_from and f.valid_to
                        else {}
                    ),
                }
                for f in fixed_prices
            ]
        self._request("PUT", f"/pricing/prices/{_sku(vtex_sku_id)}", base="pricing", body=body)

    # ------------------------------------------------------------ fulfillment (external marketplace)
    def _marketplace_params(self, sales_channel: str | None) -> dict[str, str]:
        if not self.account.affiliate_id:
            raise ValueError(
                f"VTEX account {self.account.account!r} has no affiliate id for this channel: set the "
                "client's vtex_affiliate_id (TikTok Shop) or its option vtex_affiliates (other channels)"
            )
        return {
            "sc": str(sales_channel or self.account.trade_policy),
            "affiliateId": self.account.affiliate_id,
        }

    def order_id_for(self, marketplace_order_id: str) -> str:
        """The VTEX order id VTEX gives a marketplace order: `{affiliateId}-{marketplaceOrderId}`."""
        if not self.account.affiliate_id:
            raise ValueError("the account has no affiliate id")
        return f"{self.account.affiliate_id}-{marketplace_order_id}"

    def simulate(
        self,
        items: Sequence[tuple[int | str, int]] | Sequence[OrderItem],
        *,
        postal_code: str | None = None,
        country: str = "BRA",
        sales_channel: str | None = None,
    ) -> dict[str, Any]:
        """Fulfillment simulation: per item `price` / `listPrice` (cents) and availability; per item
        `logisticsInfo` with `stockBalance` and, with a postal code, the SLAs and their freight."""
        lines = [
            {"id": str(i.vtex_sku_id), "quantity": i.quantity, "seller": i.seller}
            if isinstance(i, OrderItem)
            else {"id": str(i[0]), "quantity": int(i[1]), "seller": "1"}
            for i in items
        ]
        body: dict[str, Any] = {"items": lines, "country": country}
        if postal_code:
            body["postalCode"] = postal_code
        # A simulation reads; repeating it is harmless.
        return self._request(
            "POST",
            "/api/fulfillment/pvt/orderForms/simulation",
            params=self._marketplace_params(sales_channel),
            body=body,
            idempotent=True,
        )

    def place_order(
        self, order: MarketplaceOrder | Mapping[str, Any], *, sales_channel: str | None = None
    ) -> PlacedOrder:
        """Places a marketplace order in the seller's store (status then: waiting-ffmt-authorization).

        VTEX creates at most one order per (affiliate, marketplaceOrderId): placing the same marketplace
        order again answers with the order already created. That is why this POST is retried after an
        ambiguous failure, and why a run that crashed between placing and authorizing can simply place
        again and then authorize.
        """
        payload = (
            order.payload(self.options.marketplace_services_endpoint)
            if isinstance(order, MarketplaceOrder)
            else dict(order)
        )
        if not payload.get("marketplaceOrderId"):
            raise ValueError("marketplaceOrderId is required")
        data = self._request(
            "POST",
            "/api/fulfillment/pvt/orders",
            params=self._marketplace_params(sales_channel),
            body=[payload],
            idempotent=True,
        )
        created = data[0] if isinstance(data, list) else data
        return PlacedOrder(
            order_id=str(created["orderId"]),
            marketplace_order_id=str(created.get("marketplaceOrderId") or payload["marketplaceOrderId"]),
            raw=created,
        )

    def authorize_dispatch(
        self, order_id: str, marketplace_order_id: str, *, sales_channel: str | None = None
    ) -> dict[str, Any]:
        """Tells VTEX the marketplace was paid: the order leaves waiting-ffmt-authorization.

        Safe to repeat: if VTEX refuses because the order is already past authorization, the order is
        read and its authorization taken as done (a canceled order still raises).
        """
        try:
            return self._request(
                "POST",
                f"/api/fulfillment/pvt/orders/{quote(order_id, safe='')}/fulfill",
                params=self._marketplace_params(sales_channel),
                body={"marketplaceOrderId": str(marketplace_order_id)},
                idempotent=True,
            )
        except (VtexValidationError, VtexConflictError) as exc:
            order = self.find_order(order_id)
            if order is None or order.get("status") in (
                "order-accepted",
                "waiting-ffmt-authorization",
                "canceled",
                "cancel",
                "cancellation-requested",
            ):
                raise
            log.info("order %s is already authorized (%s): %s", order_id, order.get("status"), exc)
            return {
                "orderId": order_id,
                "marketplaceOrderId": marketplace_order_id,
                "alreadyAuthorized": True,
            }

    # ------------------------------------------------------------ OMS
    def order(self, order_id: str) -> dict[str, Any]:
        """The full order (money in integer cents)."""
        return self._request("GET", f"/api/oms/pvt/orders/{quote(order_id, safe='')}")

    def find_order(self, order_id: str) -> dict[str, Any] | None:
        return self._get_or_none(f"/api/oms/pvt/orders/{quote(order_id, safe='')}")

    def list_orders(
        self,
        *,
        status: str | Sequence[str] | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        page: int = 1,
        per_page: int = 15,
    ) -> dict[str, Any]:
        """One page of the order list (no items; indexed with a few minutes' lag; at most 30 pages)."""
        if not 1 <= per_page <= ORDERS_PER_PAGE_MAX:
            raise ValueError(f"per_page must be 1..{ORDERS_PER_PAGE_MAX}")
        if not 1 <= page <= ORDERS_MAX_PAGES:
            raise ValueError(f"the order list has at most {ORDERS_MAX_PAGES} pages")
        statuses = [status] if isinstance(status, str) else list(status or [])
        creation = None
        if created_from or created_to:
            start = _iso(created_from) if created_from else "*"
            end = _iso(created_to) if created_to else "*"
            creation = f"creationDate:[{start} TO {end}]"
        return self._request(
            "GET",
            "/api/oms/pvt/orders",
            params={
                "f_status": ",".join(statuses) or None,
                "f_creationDate": creation,
                "page": page,
                "per_page": per_page,
            },
        )

    def cancel_order(self, order_id: str, reason: str | None = None) -> dict[str, Any]:
        """Cancels an order (not once invoiced: that needs a return invoice). Returns the receipt.

        Canceling reaches a terminal state, so repeating the request cannot do more than the first.
        """
        return self._request(
            "POST",
            f"/api/oms/pvt/orders/{quote(order_id, safe='')}/cancel",
            body={"reason": reason} if reason else {},
            idempotent=True,
        )

    def start_handling(self, order_id: str) -> None:
        """ready-for-handling → handling (409 from any other status)."""
        self._request("POST", f"/api/oms/pvt/orders/{quote(order_id, safe='')}/start-handling")

    def notify_invoice(self, order_id: str, invoice: Invoice) -> dict[str, Any]:
        """Sends an invoice to the order; returns `{date, orderId, receipt}`.

        The OMS keys invoices by number (the same number again only renews the receipt), so a retry
        after an ambiguous failure cannot invoice twice.
        """
        return self._request(
            "POST",
            f"/api/oms/pvt/orders/{quote(order_id, safe='')}/invoice",
            body=invoice.payload(),
            idempotent=True,
        )

    def update_invoice_tracking(
        self,
        order_id: str,
        invoice_number: str,
        *,
        tracking_number: str | None = None,
        tracking_url: str | None = None,
        courier: str | None = None,
        dispatched_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Adds tracking to an invoice already sent."""
        body = {
            "trackingNumber": tracking_number,
            "trackingUrl": tracking_url,
            "courier": courier,
            "dispatchedDate": _iso(dispatched_at) if dispatched_at else None,
        }
        return self._request(
            "PATCH",
            f"/api/oms/pvt/orders/{quote(order_id, safe='')}/invoice/{quote(invoice_number, safe='')}",
            body={k: v for k, v in body.items() if v is not None},
            idempotent=True,
        )

    # ------------------------------------------------------------ orders feed v3 and hook
    def configure_orders_feed(
        self,
        *,
        statuses: Sequence[str] | None = None,
        expression: str | None = None,
        visibility_timeout_seconds: int = 240,
        retention_seconds: int = 345600,
    ) -> None:
        """Creates or replaces this app key's feed (one per key)."""
        self._request(
            "POST",
            "/api/orders/feed/config",
            body={
                "filter": order_filter(statuses, expression),
                "queue": {
                    "visibilityTimeoutInSeconds": visibility_timeout_seconds,
                    "messageRetentionPeriodInSeconds": retention_seconds,
                },
            },
            idempotent=True,
        )

    def orders_feed_config(self) -> dict[str, Any] | None:
        return self._get_or_none("/api/orders/feed/config")

    def delete_orders_feed(self) -> None:
        self._request("DELETE", "/api/orders/feed/config")

    def orders_feed(self, max_lot: int = FEED_MAX_LOT) -> list[FeedEvent]:
        """Up to `max_lot` (≤ 10) feed items; they reappear after the visibility timeout unless committed."""
        if not 1 <= max_lot <= FEED_MAX_LOT:
            raise ValueError(f"max_lot must be 1..{FEED_MAX_LOT}")
        data = self._request("GET", "/api/orders/feed", params={"maxlot": max_lot})
        return [
            FeedEvent(
                event_id=str(row.get("eventId")),
                handle=str(row["handle"]),
                domain=str(row.get("domain")),
                state=str(row.get("state")),
                last_state=row.get("lastState"),
                order_id=str(row.get("orderId")),
                last_change=row.get("lastChange"),
                current_change=row.get("currentChange"),
            )
            for row in data or []
        ]

    def commit_orders_feed(self, handles: Iterable[str]) -> None:
        """Removes processed items from the feed (committing a handle twice is harmless)."""
        handles = list(handles)
        if handles:
            self._request("POST", "/api/orders/feed", body={"handles": handles}, idempotent=True)

    def configure_order_hook(
        self,
        url: str,
        *,
        statuses: Sequence[str] | None = None,
        expression: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Points the order hook at `url`. VTEX first POSTs `{"hookConfig": "ping"}` there and refuses
        the configuration (400) unless it gets a 200."""
        self._request(
            "POST",
            "/api/orders/hook/config",
            body={
                "filter": order_filter(statuses, expression),
                "hook": {"url": url, "headers": dict(headers or {})},
            },
            idempotent=True,
        )

    def order_hook_config(self) -> dict[str, Any] | None:
        return self._get_or_none("/api/orders/hook/config")

    def delete_order_hook(self) -> None:
        self._request("DELETE", "/api/orders/hook/config")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Pricing takes JSON numbers. Prices have far fewer than 15 significant digits, so the float's
        # shortest text is the decimal's own (666.66 goes out as 666.66).
        return float(value)
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def order_money(order: Mapping[str, Any]) -> dict[str, Decimal]:
    """An OMS order's totals in reais (`Items`, `Shipping`, `Discounts`, `Tax`, and `value`)."""
    out = {str(t["id"]): from_cents(int(t["value"])) for t in order.get("totals") or []}
    out["value"] = from_cents(int(order.get("value") or 0))
    return out
