"""TikTok Shop Partner API client (API 202309+): signing, envelopes, typed errors, retries, rate limits.

Facts come from `shared/reference/tiktok_shop_api.md`. The client is synchronous (httpx) and knows
nothing of Dagster: resources wrap it, assets call it. Secrets (app secret, tokens, shop cipher) are
held privately and never appear in a repr, an exception message or a log line.

Three clients live here:
- `TikTokShopClient`: the Open API, bound to one shop (cipher) or to none (app/seller-level calls);
- `TikTokAuthClient`: the token host (auth code exchange and refresh; unsigned, secret in the query);
- helpers for signatures (`sign`, `webhook_signature`, `verify_webhook_signature`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx
from pydantic import SecretStr

from tiktok_pipelines.channels.base import errors as channel_errors
from tiktok_pipelines.channels.tiktok_shop.analytics_fields import (
    DEFAULT_LIVE_PERFORMANCE_PATH,
    parse_analytics_fields,
    parse_live_performance_path,
    pick,
)
from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.http import (
    ApiCallError,
    HttpApiClient,
    Outcome,
    RateLimiter,
    RateLimiters,
    RetryableError,
    RetryPolicy,
    map_concurrently,
)

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://open-api.tiktokglobalshop.com"
DEFAULT_AUTH_BASE_URL = "https://auth.tiktok-shops.com"
DEFAULT_AUTHORIZE_URL = "https://services.tiktokshop.com/open/authorize"

# The version of each API family, as a path segment. 202309 is the set the official SDK still ships for
# every endpoint we use; the invoice upload only exists as 202502 and analytics as 202405.
DEFAULT_VERSIONS: dict[str, str] = {
    "authorization": "202309",
    "seller": "202309",
    "product": "202309",
    "logistics": "202309",
    "order": "202309",
    "fulfillment": "202309",
    "invoice": "202502",
    "return_refund": "202309",
    "analytics": "202405",
    "event": "202309",
}

# Operations that only exist from a version after their family's default (reference §Analytics): called in
# that first version (or a newer one of NEWER_VERSIONS not after the family's setting).
FIRST_VERSIONS: dict[tuple[str, str, str], str] = {
    ("GET", "analytics", "/shop_skus/performance"): "202406",
    ("GET", "analytics", "/shop_videos/performance"): "202409",
}

# Operations that also exist in newer versions (reference §0, §3), by (method, family, path after the
# version). A family set to version V calls each of its operations in the newest version not after V:
# `product=202502` moves product search only, `product=202509` the edits too; every other operation of the
# family stays at its default version, the only one the platform has for it.
NEWER_VERSIONS: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("POST", "product", "/products/search"): ("202502",),
    ("PUT", "product", "/products/{product_id}"): ("202509",),
    ("POST", "product", "/products/{product_id}/partial_edit"): ("202509",),
    ("GET", "order", "/orders"): ("202507",),
}

MAX_ORDER_IDS_PER_GET = 50
MAX_PRODUCT_IDS_PER_DELETE = 20
IMAGE_USE_CASES = (
    "MAIN_IMAGE",
    "ATTRIBUTE_IMAGE",
    "DESCRIPTION_IMAGE",
    "CERTIFICATION_IMAGE",
    "SIZE_CHART_IMAGE",
)


def parse_versions(spec: str | None) -> dict[str, str]:
    """`"product=202502,order=202507"` → overrides of DEFAULT_VERSIONS (for TIKTOK_API_VERSIONS)."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        family, sep, version = part.partition("=")
        family, version = family.strip(), version.strip()
        if not sep or family not in DEFAULT_VERSIONS or not re.fullmatch(r"\d{6}", version):
            raise ValueError(
                f"bad API version override {part.strip()!r}: expected family=YYYYMM with family one of "
                + ", ".join(sorted(DEFAULT_VERSIONS))
            )
        if version < DEFAULT_VERSIONS[family]:
            raise ValueError(
                f"bad API version override {part.strip()!r}: the oldest {family} version is "
                f"{DEFAULT_VERSIONS[family]}"
            )
        out[family] = version
    return out


def operation_version(method: str, family: str, rest: str, family_version: str) -> str:
    """The version an operation is called in when its family is set to `family_version`: the newest
    version of the operation that is not after it (NEWER_VERSIONS), else its first one (FIRST_VERSIONS, or
    the family's default)."""
    key = (method.upper(), family, rest)
    first = FIRST_VERSIONS.get(key, DEFAULT_VERSIONS[family])
    offered = (first, *NEWER_VERSIONS.get(key, ()))
    return max((v for v in offered if v <= family_version), default=first)


# Which price of a product answer (get, search) is the `amount` the seller set (reference §3: answers carry
# `sale_price` and `tax_exclusive_price`, never `amount`). Which one mirrors it is UNCONFIRMED, so it is set
# per sales region: `sale_price` where the shown price includes taxes (Brazil), `tax_exclusive_price` where
# tax is added on top.
RESPONSE_PRICE_FIELDS = ("sale_price", "tax_exclusive_price")
DEFAULT_RESPONSE_PRICE_FIELD = "sale_price"


def parse_price_fields(spec: str | None) -> dict[str, str]:
    """`"sale_price,US=tax_exclusive_price"` → `{"": "sale_price", "US": "tax_exclusive_price"}` (for
    TIKTOK_PRICE_FIELDS): a bare field is the default, `REGION=field` sets one sales region."""
    out = {"": DEFAULT_RESPONSE_PRICE_FIELD}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        region, sep, name = part.rpartition("=")
        region, name = region.strip().upper(), name.strip()
        if name not in RESPONSE_PRICE_FIELDS or (sep and not re.fullmatch(r"[A-Z]{2}", region)):
            raise ValueError(
                f"bad price field {part.strip()!r}: expected a field or REGION=field, the field one of "
                + ", ".join(RESPONSE_PRICE_FIELDS)
            )
        out[region] = name
    return out


def shown_price(
    sku: Mapping[str, Any], regions: Sequence[str] = (), fields: Mapping[str, str] | None = None
) -> Decimal | None:
    """The price the seller set, read from a SKU of a product answer: the field configured for the product's
    sales region (`fields` from parse_price_fields). None when the answer does not carry it as a number."""
    fields = fields or {"": DEFAULT_RESPONSE_PRICE_FIELD}
    name = next((fields[r] for r in regions if r in fields), fields.get("", DEFAULT_RESPONSE_PRICE_FIELD))
    price = sku.get("price")
    value = price.get(name) if isinstance(price, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


# ----------------------------------------------------------------------------------------- signing
def sign(
    path: str,
    query: Mapping[str, Any],
    body: bytes | None,
    app_secret: str,
    content_type: str = "application/json",
) -> str:
    """The `sign` query parameter of an API request (reference §1).

    Sorted query (without `sign` and `access_token`), as key+value pairs after the path, then the exact
    body bytes unless multipart, wrapped in the secret, HMAC-SHA256 keyed by the secret, lowercase hex.
    """
    items = sorted((k, _query_value(v)) for k, v in query.items() if k not in ("sign", "access_token"))
    base = path + "".join(k + v for k, v in items)
    if body and not (content_type or "").lower().startswith("multipart/form-data"):
        base += body.decode("utf-8")
    wrapped = app_secret + base + app_secret
    return hmac.new(app_secret.encode("utf-8"), wrapped.encode("utf-8"), hashlib.sha256).hexdigest()


def _query_value(value: Any) -> str:
    # The official SDK comma-joins array values before signing and sending.
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The `Authorization` header of a webhook: hex HMAC-SHA256(app_secret, app_key + raw body)."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256).hexdigest()


def verify_webhook_signature(app_key: str, app_secret: str, body: bytes, authorization: str | None) -> bool:
    """Whether a webhook's `Authorization` header matches its raw body (constant-time comparison)."""
    if not authorization:
        return False
    expected = webhook_signature(app_key, app_secret, body)
    return hmac.compare_digest(
        expected.encode("ascii"), authorization.strip().lower().encode("ascii", "replace")
    )


def encode_json(payload: Any) -> bytes:
    """The body bytes of a request: serialized once, compact, and exactly these bytes are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# Which endpoints take `shop_cipher` (reference §1): every endpoint except the app- and seller-level ones.
_NO_CIPHER_PATTERNS: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    (None, re.compile(r"^/authorization/")),
    (None, re.compile(r"^/seller/")),
    ("POST", re.compile(r"^/product/\d{6}/brands$")),
    (None, re.compile(r"^/product/\d{6}/images/upload$")),
    (None, re.compile(r"^/product/\d{6}/files/upload$")),
    (None, re.compile(r"^/product/\d{6}/global_")),
    (None, re.compile(r"^/product/\d{6}/compliance/")),
    (None, re.compile(r"^/logistics/\d{6}/global_warehouses")),
)


def requires_shop_cipher(method: str, path: str) -> bool:
    """True when the endpoint is shop-scoped and so must carry `shop_cipher` (and others must not)."""
    method = method.upper()
    return not any((m is None or m == method) and p.search(path) for m, p in _NO_CIPHER_PATTERNS)


# ------------------------------------------------------------------------------------------ errors
@dataclass(eq=False)
class TikTokShopError(ApiCallError, channel_errors.ChannelError):
    """An API call failed. `code` is the envelope's code (0 when the failure is below the envelope)."""

    code: int = 0
    request_id: str | None = None
    http_status: int | None = None

    def __str__(self) -> str:
        where = f" on {self.method} {self.path}" if self.path else ""
        parts = [f"HTTP {self.http_status}" if self.http_status else None]
        if self.request_id:
            parts.append(f"request_id {self.request_id}")
        extra = ", ".join(p for p in parts if p)
        return f"TikTok Shop error {self.code}{where}: {self.message}" + (f" ({extra})" if extra else "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, message={self.message!r}, request_id={self.request_id!r})"


class TikTokTransportError(TikTokShopError, channel_errors.ChannelRetryableError):
    """The request did not get an answer (connection refused, timeout)."""


class RateLimitedError(TikTokShopError, channel_errors.ChannelRetryableError):
    """HTTP 429 or code 36009002: the shop's or app's request budget is spent for now."""


class ServerError(TikTokShopError, channel_errors.ChannelRetryableError):
    """HTTP 5xx, 36009003 (internal error) or 36009007 (timeout on their side): worth another try."""


class AuthError(TikTokShopError, channel_errors.ChannelAuthError):
    """The request's credentials were refused (app key, signature, token, scope, auth code)."""


class ExpiredTokenError(AuthError):
    """105002: the access token expired; refresh it and try again."""


class SignatureError(AuthError):
    """106001: the `sign` does not match."""


class ScopeError(AuthError):
    """105005: the app lacks the scope this endpoint needs."""


class InvalidAuthCodeError(AuthError):
    """36004004: the auth code is unknown, used or expired; the seller must authorize again."""


class RequestError(TikTokShopError, channel_errors.ChannelRequestError):
    """The request is malformed for the platform: path, method, version, content type, shop_cipher."""


class NotFoundError(TikTokShopError, channel_errors.ChannelNotFoundError):
    """The product, order, package... does not exist (or is not this shop's)."""


class ValidationError(TikTokShopError, channel_errors.ChannelRefusedError):
    """The platform refused the data of a write (category, attributes, warehouses, prices...)."""


class BrandExistsError(ValidationError):
    """The brand name is already registered on the platform; look it up with `get_brands(brand_name=)`."""


class PriceLockedError(ValidationError):
    """12019045: the price cannot change now (a promotion or campaign holds it)."""


_AUTH_CODES: dict[int, type[TikTokShopError]] = {
    105002: ExpiredTokenError,
    106001: SignatureError,
    105005: ScopeError,
    36004004: InvalidAuthCodeError,
    105001: AuthError,
    105003: AuthError,
    105004: AuthError,
}
_CODE_CLASSES: dict[int, type[TikTokShopError]] = {
    **_AUTH_CODES,
    36009002: RateLimitedError,
    36009003: ServerError,
    36009007: ServerError,
    106013: RequestError,
    101000: RequestError,
    36009009: RequestError,
    36009010: RequestError,
    36009014: RequestError,
    36009021: RequestError,
    36009022: RequestError,
    36009023: RequestError,
    36009033: AuthError,
    12019150: NotFoundError,
    12052032: NotFoundError,
    12019045: PriceLockedError,
    4000: ValidationError,
}
# 36009004 covers bad credentials, a malformed request and a refused parameter alike. The platform's
# messages for it (common-errors page) open with what went wrong, and only that opening is read: a
# parameter error may well name a `page_token` or an `idempotency_key`.
_CREDENTIAL_MESSAGE = re.compile(r"\s*(invalid credentials|missing credentials|invalid timestamp)\b", re.I)
_REQUEST_MESSAGE = re.compile(r"\s*(unexpected identifier|invalid identifier|invalid api version)\b", re.I)


def _class_of_36009004(message: str) -> type[TikTokShopError]:
    """Credentials (app key, signature missing, timestamp, token) → AuthError; an identifier or version the
    endpoint does not take → RequestError; anything else, `invalid param error` first, is the request's
    data refused → ValidationError, which costs the item, never the run."""
    if _CREDENTIAL_MESSAGE.match(message):
        return AuthError
    if _REQUEST_MESSAGE.match(message):
        return RequestError
    return ValidationError


def error_for(
    code: int,
    message: str,
    *,
    request_id: str | None = None,
    http_status: int | None = None,
    method: str | None = None,
    path: str | None = None,
) -> TikTokShopError:
    """The typed error for an envelope code (or an HTTP status when the body is not an envelope)."""
    cls: type[TikTokShopError]
    if code == 36009004:
        cls = _class_of_36009004(message or "")
    elif code == 4000 and "already exist" in (message or "").lower():
        cls = BrandExistsError
    elif code in _CODE_CLASSES:
        cls = _CODE_CLASSES[code]
    elif http_status == 429:
        cls = RateLimitedError
    elif http_status is not None and http_status >= 500:
        cls = ServerError
    elif http_status == 404:
        cls = NotFoundError
    elif http_status in (401, 403):
        cls = AuthError
    elif code or 400 <= (http_status or 0) < 500:
        # Any other non-zero code is the platform refusing the request's data or a business rule.
        cls = ValidationError
    else:
        cls = TikTokShopError
    return cls(
        message or "no message",
        code=code,
        request_id=request_id,
        http_status=http_status,
        method=method,
        path=path,
    )


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableError)


# ----------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ItemError:
    """One failed item of a batch write answered with code 0 (`data.errors[]`)."""

    code: int
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> ItemError:
        return cls(
            code=int(raw.get("code") or 0),
            message=str(raw.get("message") or ""),
            detail=dict(raw.get("detail") or {}),
        )


@dataclass(frozen=True)
class BatchResult:
    """A batch write's answer: the `data` as received and its per-item errors, never dropped."""

    data: dict[str, Any]
    errors: tuple[ItemError, ...] = ()
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None, request_id: str | None) -> BatchResult:
        data = dict(data or {})
        return cls(
            data=data,
            errors=tuple(ItemError.from_api(e) for e in data.get("errors") or ()),
            request_id=request_id,
        )


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint: its items, the opaque token of the next page, the total if given."""

    items: list[dict[str, Any]]
    next_page_token: str | None
    total_count: int | None
    data: dict[str, Any]


@dataclass
class CallStats:
    """What a client did: requests sent per endpoint, 429s seen, retries, token refreshes."""

    requests: Counter = field(default_factory=Counter)
    rate_limited: int = 0
    retries: int = 0
    refreshes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, endpoint: str) -> None:
        with self._lock:
            self.requests[endpoint] += 1

    def bump(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def as_metadata(self) -> dict[str, int]:
        return {"api_calls": self.total, "api_429s": self.rate_limited, "api_retries": self.retries}


# ------------------------------------------------------------------------------------------ tokens
class TokenProvider(Protocol):
    """Where a shop client gets its access token, and how it gets a new one after a 105002."""

    def access_token(self) -> str: ...

    def refresh(self, rejected: str) -> str:
        """A valid access token, given the one the API rejected as expired (refresh unless already done)."""
        ...


class StaticToken:
    """A fixed access token (scripts, tests); it cannot be refreshed."""

    def __init__(self, token: str):
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh(self, rejected: str) -> str:
        raise ExpiredTokenError(
            "the access token expired and this client has no way to refresh it", code=105002
        )

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


@dataclass(frozen=True)
class TokenSet(Grant):
    """What TikTok's token host grants: a `Grant`, and the kind of seller account that granted it."""

    user_type: int | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TokenSet:
        def when(value: Any) -> datetime:
            return datetime.fromtimestamp(int(value), tz=UTC)

        return cls(
            access_token=SecretStr(str(data["access_token"])),
            access_token_expires_at=when(data["access_token_expire_in"]),
            refresh_token=SecretStr(str(data["refresh_token"])),
            refresh_token_expires_at=when(data["refresh_token_expire_in"]),
            open_id=data.get("open_id"),
            seller_name=data.get("seller_name"),
            seller_base_region=data.get("seller_base_region"),
            user_type=data.get("user_type"),
            granted_scopes=tuple(data.get("granted_scopes") or ()),
        )


def _envelope(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and "code" in body else None


class TikTokAuthClient(HttpApiClient):
    """The token host: exchanges an auth code for tokens and refreshes them (reference §2)."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        base_url: str = DEFAULT_AUTH_BASE_URL,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str = "tiktok-pipelines/0.1",
        transport: httpx.BaseTransport | None = None,
    ):
        if not app_key or not app_secret:
            raise ValueError("app_key and app_secret are required")
        self.app_key = app_key
        self._app_secret = app_secret
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy(attempts=4)
        self._http = httpx.Client(timeout=timeout, headers={"User-Agent": user_agent}, transport=transport)

    def __repr__(self) -> str:
        return f"TikTokAuthClient(app_key={self.app_key!r}, base_url={self.base_url!r})"

    def get_token(self, auth_code: str) -> TokenSet:
        """Exchanges a (single-use) auth code: `grant_type=authorized_code`."""
        return self._grant("/api/v2/token/get", {"auth_code": auth_code, "grant_type": "authorized_code"})

    def refresh_token(self, refresh_token: str) -> TokenSet:
        """A new access token (and refresh token) from a refresh token."""
        return self._grant(
            "/api/v2/token/refresh", {"refresh_token": refresh_token, "grant_type": "refresh_token"}
        )

    def _grant(self, path: str, params: dict[str, str]) -> TokenSet:
        query = {"app_key": self.app_key, "app_secret": self._app_secret, **params}

        def attempt() -> TokenSet:
            try:
                response = self._http.get(f"{self.base_url}{path}?{urlencode(query)}")
            except httpx.TransportError as exc:
                # The URL holds the app secret: neither it nor httpx's exception is passed on.
                raise TikTokTransportError(
                    f"no answer from the token host ({type(exc).__name__})", method="GET", path=path
                ) from None
            body = _envelope(response)
            if body is None:
                raise error_for(
                    0,
                    f"unexpected answer ({response.headers.get('content-type', '?')})",
                    http_status=response.status_code,
                    method="GET",
                    path=path,
                )
            if body.get("code") != 0 or response.status_code >= 400:
                raise error_for(
                    int(body.get("code") or 0),
                    str(body.get("message") or ""),
                    request_id=body.get("request_id"),
                    http_status=response.status_code,
                    method="GET",
                    path=path,
                )
            try:
                return TokenSet.from_api(body.get("data") or {})
            except (KeyError, TypeError, ValueError):
                raise TikTokShopError(
                    "token answer without access_token / refresh_token / expiry",
                    request_id=body.get("request_id"),
                    http_status=response.status_code,
                    method="GET",
                    path=path,
                ) from None

        return self.retry.call(attempt, _is_retryable)


def authorization_url(authorize_url: str, service_id: str, state: str) -> str:
    """The seller consent page: keyed by service id; the redirect URL is the one set in Partner Center."""
    sep = "&" if "?" in authorize_url else "?"
    return f"{authorize_url}{sep}{urlencode({'service_id': service_id, 'state': state})}"


# ----------------------------------------------------------------------------------- shop client
_SHARED_LIMITERS: dict[float, RateLimiters] = {}
_SHARED_LIMITERS_LOCK = threading.Lock()


def shared_limiters(rate: float) -> RateLimiters:
    """Process-wide limiters for a rate, so every client of a shop draws from one budget per endpoint."""
    with _SHARED_LIMITERS_LOCK:
        limiters = _SHARED_LIMITERS.get(rate)
        if limiters is None:
            limiters = _SHARED_LIMITERS[rate] = RateLimiters(rate)
        return limiters


def _search_endpoint(family: str, rest: str, key: str, page_size: int, doc: str) -> Callable[..., Page]:
    """A POST search endpoint as a client method: one page of `key`, sorted when asked, filters in the
    body (`TikTokShopClient._search`)."""

    def search(
        self: TikTokShopClient,
        page_size: int = page_size,
        page_token: str | None = None,
        sort_field: str | None = None,
        sort_order: str | None = None,
        **filters: Any,
    ) -> Page:
        return self._search(family, rest, key, page_size, page_token, filters, sort_field, sort_order)

    search.__doc__ = doc
    return search


def _every_page(search_name: str, page_size: int) -> Callable[..., Iterator[dict[str, Any]]]:
    """A client method that yields every item of the paged method `search_name`, page after page."""

    def every(self: TikTokShopClient, page_size: int = page_size, **filters: Any) -> Iterator[dict[str, Any]]:
        search = getattr(self, search_name)
        return self._iterate(lambda token: search(page_size, token, **filters))

    every.__doc__ = f"Every item of `{search_name}`, page after page (`page_size` a page)."
    return every


class TikTokShopClient(HttpApiClient):
    """The Partner API for one shop (`shop_cipher` given) or for app/seller-level calls only (no cipher).

    Every request is signed; `shop_cipher` is added exactly on shop-scoped endpoints. Retries (with
    backoff and jitter) cover 429 / 5xx / 36009002 / 36009003 / 36009007 and network errors; a 105002
    triggers one refresh through the token provider and one more try. Requests are paced per shop and
    endpoint so that bulk work stays within the budget; `bulk` and the `*_many` methods run requests
    concurrently to use that budget fully.
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        token: TokenProvider | str | None = None,
        shop_cipher: str | None = None,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        shop_key: str | None = None,
        versions: Mapping[str, str] | None = None,
        price_fields: Mapping[str, str] | None = None,
        analytics_fields: Mapping[str, Mapping[str, str]] | None = None,
        live_performance_path: str = DEFAULT_LIVE_PERFORMANCE_PATH,
        rate_limit_per_second: float = 50.0,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        limiters: RateLimiters | None = None,
        user_agent: str = "tiktok-pipelines/0.1",
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ):
        if not app_key or not app_secret:
            raise ValueError("app_key and app_secret are required")
        self.app_key = app_key
        self._app_secret = app_secret
        self._token: TokenProvider | None = StaticToken(token) if isinstance(token, str) else token
        self._shop_cipher = shop_cipher
        self.base_url = base_url.rstrip("/")
        # The limiter key names the shop without revealing its cipher.
        self.shop_key = shop_key or (
            "cipher:" + hashlib.sha256(shop_cipher.encode()).hexdigest()[:12] if shop_cipher else "app"
        )
        self.versions = {**DEFAULT_VERSIONS, **(versions or {})}
        self.price_fields = dict(price_fields or parse_price_fields(None))
        self.analytics_fields = dict(analytics_fields or parse_analytics_fields(None))
        self.live_performance_path = parse_live_performance_path(live_performance_path)
        self.rate_limit_per_second = rate_limit_per_second
        self.max_concurrency = max(1, max_concurrency)
        self.retry = retry or RetryPolicy()
        self.limiters = limiters or shared_limiters(rate_limit_per_second)
        self.clock = clock
        self.stats = CallStats()
        self._http = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": user_agent},
            transport=transport,
            limits=httpx.Limits(
                max_connections=self.max_concurrency * 2, max_keepalive_connections=self.max_concurrency * 2
            ),
        )

    def __repr__(self) -> str:
        return (
            f"TikTokShopClient(app_key={self.app_key!r}, shop={self.shop_key!r}, base_url={self.base_url!r})"
        )

    # -- plumbing
    def path(self, method: str, family: str, rest: str) -> str:
        """`/{category}/{version}{rest}` with the version the operation has for the family's setting."""
        category = "fulfillment" if family == "invoice" else family
        return f"/{category}/{operation_version(method, family, rest, self.versions[family])}{rest}"

    def api(self, method: str, family: str, rest: str, **kwargs: Any) -> dict[str, Any]:
        """An operation of a family (`rest` the path after the version, a template): its `data`."""
        return self.call(method, self.path(method, family, rest), **kwargs)

    def api_request(
        self, method: str, family: str, rest: str, **kwargs: Any
    ) -> tuple[dict[str, Any], str | None]:
        """An operation of a family: its `data` and request id."""
        return self.request(method, self.path(method, family, rest), **kwargs)

    def _on_product(
        self, method: str, product_id: str, action: str = "", **kwargs: Any
    ) -> tuple[dict[str, Any], str | None]:
        """An operation on one product (`/products/{product_id}`, then `action`): its `data` and request id."""
        return self.api_request(
            method,
            "product",
            "/products/{product_id}" + action,
            path_params={"product_id": product_id},
            **kwargs,
        )

    def listed_price(self, product: Mapping[str, Any], sku: Mapping[str, Any]) -> Decimal | None:
        """The price the seller set for a SKU of a product answer (get or search), per the sales region's
        configured field; None when the answer carries none."""
        regions = [str(r).upper() for r in product.get("sales_regions") or [] if r]
        return shown_price(sku, regions, self.price_fields)

    def limiter(self, method: str, template: str) -> RateLimiter:
        return self.limiters.get(f"{self.shop_key}|{method} {template}")

    def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        json_body: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        needs_token: bool = True,
    ) -> tuple[dict[str, Any], str | None]:
        """Sends one API call (retries, one refresh on 105002); returns the envelope's `data` and request id."""
        method = method.upper()
        path = template.format(**{k: quote(str(v), safe="") for k, v in (path_params or {}).items()})
        body = encode_json(json_body) if json_body is not None else None
        with_cipher = requires_shop_cipher(method, path)
        if with_cipher and not self._shop_cipher:
            raise RequestError(
                "this endpoint is shop-scoped: the client needs the shop's cipher",
                code=106013,
                method=method,
                path=path,
            )
        limiter = self.limiter(method, template)
        endpoint = f"{method} {template}"

        def attempt() -> tuple[dict[str, Any], str | None]:
            token = self._token.access_token() if (needs_token and self._token) else None
            try:
                return self._send(
                    method, path, endpoint, query, body, files, form, token, with_cipher, limiter
                )
            except ExpiredTokenError as exc:
                exc.rejected_token = token  # type: ignore[attr-defined]
                raise

        try:
            return self.retry.call(attempt, self._retry_counting)
        except ExpiredTokenError as exc:
            if self._token is None:
                raise
            self.stats.bump("refreshes")
            self._token.refresh(getattr(exc, "rejected_token", None) or "")
            return self.retry.call(attempt, self._retry_counting)

    def _retry_counting(self, exc: BaseException) -> bool:
        retryable = _is_retryable(exc)
        if retryable:
            self.stats.bump("retries")
        return retryable

    def _send(
        self,
        method: str,
        path: str,
        endpoint: str,
        query: Mapping[str, Any] | None,
        body: bytes | None,
        files: Mapping[str, Any] | None,
        form: Mapping[str, str] | None,
        token: str | None,
        with_cipher: bool,
        limiter: RateLimiter,
    ) -> tuple[dict[str, Any], str | None]:
        params: dict[str, str] = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        if with_cipher:
            params["shop_cipher"] = self._shop_cipher or ""
        params["app_key"] = self.app_key
        limiter.acquire()
        params["timestamp"] = str(int(self.clock()))
        headers: dict[str, str] = {}
        if token:
            headers["x-tts-access-token"] = token
        if files is not None:
            # Multipart bodies are not signed; httpx builds the body and its boundary.
            params["sign"] = sign(path, params, None, self._app_secret, "multipart/form-data")
            request = self._http.build_request(
                method, f"{self.base_url}{path}?{urlencode(params)}", headers=headers, files=files, data=form
            )
        else:
            headers["Content-Type"] = "application/json"
            params["sign"] = sign(path, params, body, self._app_secret)
            request = self._http.build_request(
                method, f"{self.base_url}{path}?{urlencode(params)}", headers=headers, content=body
            )
        self.stats.count(endpoint)
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            raise TikTokTransportError(
                f"no answer ({type(exc).__name__})", method=method, path=path
            ) from None
        envelope = _envelope(response)
        if response.status_code == 429 or (envelope and envelope.get("code") == 36009002):
            self.stats.bump("rate_limited")
            # Every request of this endpoint waits, not only this one: the server's bucket is empty.
            limiter.penalize(min(1.0, 5.0 / limiter.rate))
        if envelope is None:
            raise error_for(
                0,
                f"answer is not an API envelope (HTTP {response.status_code}, {response.headers.get('content-type', '?')})",
                http_status=response.status_code,
                method=method,
                path=path,
            )
        code = int(envelope.get("code") or 0)
        request_id = envelope.get("request_id")
        if code != 0 or response.status_code >= 400:
            raise error_for(
                code,
                str(envelope.get("message") or ""),
                request_id=request_id,
                http_status=response.status_code,
                method=method,
                path=path,
            )
        data = envelope.get("data")
        return (data if isinstance(data, dict) else {}), request_id

    def call(self, method: str, template: str, **kwargs: Any) -> dict[str, Any]:
        """Any endpoint by path template (e.g. one this class has no method for); returns `data`."""
        return self.request(method, template, **kwargs)[0]

    def bulk(
        self, fn: Callable[[Any], Any], items: Iterable[Any], max_workers: int | None = None
    ) -> Iterator[Outcome]:
        """Runs `fn` over items concurrently (at most `max_concurrency` in flight), pacing included."""
        return map_concurrently(fn, items, max_workers=max_workers or self.max_concurrency)

    def _page(self, data: dict[str, Any], key: str) -> Page:
        total = data.get("total_count")
        return Page(
            items=list(pick(data, key) or []) if key else [],
            next_page_token=data.get("next_page_token") or None,
            total_count=int(total) if total is not None else None,
            data=data,
        )

    def _search(
        self,
        family: str,
        rest: str,
        key: str,
        page_size: int,
        page_token: str | None,
        filters: Mapping[str, Any],
        sort_field: str | None = None,
        sort_order: str | None = None,
    ) -> Page:
        """A POST search endpoint: paging and sorting in the query, filters in the body."""
        data = self.api(
            "POST",
            family,
            rest,
            query={
                "page_size": page_size,
                "page_token": page_token,
                "sort_field": sort_field,
                "sort_order": sort_order,
            },
            json_body=dict(filters),
        )
        return self._page(data, key)

    @staticmethod
    def _iterate(fetch: Callable[[str | None], Page]) -> Iterator[dict[str, Any]]:
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = fetch(token)
            yield from page.items
            token = page.next_page_token
            if not token or token in seen:  # a server repeating a token would loop forever
                return
            seen.add(token)

    # ------------------------------------------------------------------ authorization / seller
    def get_authorized_shops(self) -> list[dict[str, Any]]:
        """The shops this token covers: id, name, region, seller_type, cipher, code."""
        return list(self.api("GET", "authorization", "/shops").get("shops") or [])

    def get_active_shops(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "seller", "/shops").get("shops") or [])

    # ----------------------------------------------------------------------------- products
    def create_product(self, product: Mapping[str, Any]) -> dict[str, Any]:
        """Creates a product; returns `{product_id, skus[{id, seller_sku, ...}], warnings}`.

        An `idempotency_key` is added when absent, so a retry after a timeout cannot create a twin.
        """
        body = dict(product)
        body.setdefault("idempotency_key", uuid.uuid4().hex)
        return self.api("POST", "product", "/products", json_body=body)

    def edit_product(self, product_id: str, product: Mapping[str, Any]) -> dict[str, Any]:
        """Replaces a product (SKUs left out are deleted)."""
        return self._on_product("PUT", product_id, json_body=dict(product))[0]

    def partial_edit_product(self, product_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Changes only the fields given."""
        return self._on_product("POST", product_id, "/partial_edit", json_body=dict(fields))[0]

    def delete_products(self, product_ids: Sequence[str]) -> BatchResult:
        """Deletes up to 20 products per call (more are split); failed ids are in `errors`."""
        data: dict[str, Any] = {"errors": []}
        request_id = None
        for start in range(0, len(product_ids), MAX_PRODUCT_IDS_PER_DELETE):
            chunk = list(product_ids[start : start + MAX_PRODUCT_IDS_PER_DELETE])
            part, request_id = self.api_request(
                "DELETE", "product", "/products", json_body={"product_ids": chunk}
            )
            data["errors"].extend(part.get("errors") or [])
        return BatchResult.from_data(data, request_id)

    def get_product(self, product_id: str, **query: Any) -> dict[str, Any]:
        return self._on_product("GET", product_id, query=query)[0]

    def search_products(self, page_size: int = 100, page_token: str | None = None, **filters: Any) -> Page:
        """One page of products; filters: status, seller_skus, create_time_ge/le, update_time_ge/le."""
        return self._search("product", "/products/search", "products", page_size, page_token, filters)

    iter_products = _every_page("search_products", 100)

    def check_listing(self, product: Mapping[str, Any]) -> dict[str, Any]:
        """Dry run of a create: `{check_result, fail_reasons...}` without creating anything."""
        return self.api("POST", "product", "/products/listing_check", json_body=dict(product))

    def activate_products(self, product_ids: Sequence[str]) -> BatchResult:
        data, rid = self.api_request(
            "POST", "product", "/products/activate", json_body={"product_ids": list(product_ids)}
        )
        return BatchResult.from_data(data, rid)

    def deactivate_products(self, product_ids: Sequence[str]) -> BatchResult:
        data, rid = self.api_request(
            "POST", "product", "/products/deactivate", json_body={"product_ids": list(product_ids)}
        )
        return BatchResult.from_data(data, rid)

    # -------------------------------------------------------------------- inventory / prices
    def update_inventory(self, product_id: str, skus: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Sets quantities: `skus=[{id, inventory:[{warehouse_id, quantity}]}]`, every warehouse of a SKU
        listed. A SKU the platform refused is in `errors` (code 0 overall)."""
        data, rid = self._on_product(
            "POST", product_id, "/inventory/update", json_body={"skus": [dict(s) for s in skus]}
        )
        return BatchResult.from_data(data, rid)

    def update_inventory_many(
        self, updates: Iterable[tuple[str, Sequence[Mapping[str, Any]]]], max_workers: int | None = None
    ) -> Iterator[Outcome]:
        """`update_inventory` over (product_id, skus) pairs, concurrently within the rate budget.

        Yields one `Outcome` per pair as it completes: `value` is its BatchResult, or `error` the
        exception that stopped it; one failure never stops the others.
        """
        return self.bulk(lambda u: self.update_inventory(u[0], u[1]), updates, max_workers)

    def search_inventory(
        self, product_ids: Sequence[str] | None = None, sku_ids: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {}
        if product_ids:
            body["product_ids"] = list(product_ids)
        if sku_ids:
            body["sku_ids"] = list(sku_ids)
        return list(self.api("POST", "product", "/inventory/search", json_body=body).get("inventory") or [])

    def update_prices(self, product_id: str, skus: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Sets prices: `skus=[{id, price:{amount, currency[, sale_price]}, list_price?}]`.
        A locked price raises PriceLockedError (12019045)."""
        return self._on_product(
            "POST", product_id, "/prices/update", json_body={"skus": [dict(s) for s in skus]}
        )[0]

    def update_prices_many(
        self, updates: Iterable[tuple[str, Sequence[Mapping[str, Any]]]], max_workers: int | None = None
    ) -> Iterator[Outcome]:
        """`update_prices` over (product_id, skus) pairs, concurrently; one Outcome per pair."""
        return self.bulk(lambda u: self.update_prices(u[0], u[1]), updates, max_workers)

    # ------------------------------------------------------------------------------- brands
    def get_brands(self, page_size: int = 100, page_token: str | None = None, **filters: Any) -> Page:
        """Brands visible to the shop; filters: brand_name, category_id, is_authorized, category_version."""
        data = self.api(
            "GET",
            "product",
            "/brands",
            query={"page_size": page_size, "page_token": page_token, **filters},
        )
        return self._page(data, "brands")

    iter_brands = _every_page("get_brands", 100)

    def create_brand(self, name: str) -> str:
        """Registers a custom brand; returns its id. BrandExistsError when the name is taken."""
        return str(self.api("POST", "product", "/brands", json_body={"name": name})["id"])

    def find_brand(self, name: str) -> dict[str, Any] | None:
        """The brand whose name equals `name` (case-insensitive), if the shop sees one."""
        wanted = name.casefold()
        for brand in self.iter_brands(brand_name=name):
            if str(brand.get("name", "")).casefold() == wanted:
                return brand
        return None

    def get_or_create_brand(self, name: str) -> str:
        """The id of the brand named `name`, created when missing (and found when it already exists)."""
        try:
            return self.create_brand(name)
        except BrandExistsError:
            brand = self.find_brand(name)
            if brand is None:
                raise
            return str(brand["id"])

    # --------------------------------------------------------------------------- categories
    def get_categories(self, **query: Any) -> list[dict[str, Any]]:
        """Every category (flat: id, parent_id, local_name, is_leaf); query: locale, keyword, category_version."""
        return list(self.api("GET", "product", "/categories", query=query).get("categories") or [])

    def get_category_rules(self, category_id: str, **query: Any) -> dict[str, Any]:
        return self.api(
            "GET",
            "product",
            "/categories/{category_id}/rules",
            path_params={"category_id": category_id},
            query=query,
        )

    def get_category_attributes(self, category_id: str, **query: Any) -> list[dict[str, Any]]:
        data = self.api(
            "GET",
            "product",
            "/categories/{category_id}/attributes",
            path_params={"category_id": category_id},
            query=query,
        )
        return list(data.get("attributes") or [])

    def recommend_category(
        self,
        product_title: str,
        description: str | None = None,
        images: Sequence[Mapping[str, str]] = (),
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"product_title": product_title, **extra}
        if description:
            body["description"] = description
        if images:
            body["images"] = [dict(i) for i in images]
        return self.api("POST", "product", "/categories/recommend", json_body=body)

    # ------------------------------------------------------------------------------- images
    def upload_image(
        self,
        data: bytes,
        use_case: str = "MAIN_IMAGE",
        filename: str = "image.jpg",
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """Uploads image bytes (multipart, unsigned body); returns `{uri, url, width, height, use_case}`."""
        if use_case not in IMAGE_USE_CASES:
            raise ValueError(f"use_case must be one of {', '.join(IMAGE_USE_CASES)}")
        mime = content_type or _sniff_image_type(data)
        return self.api(
            "POST",
            "product",
            "/images/upload",
            files={"data": (filename, data, mime)},
            form={"use_case": use_case},
        )

    # ---------------------------------------------------------------------------- logistics
    def get_warehouses(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "logistics", "/warehouses").get("warehouses") or [])

    # ------------------------------------------------------------------------------- orders
    search_orders = _search_endpoint(
        "order",
        "/orders/search",
        "orders",
        100,
        "One page of orders; filters: order_status, create_time_ge/lt, update_time_ge/lt, ...",
    )
    iter_orders = _every_page("search_orders", 100)

    def get_orders(self, order_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Order details; asks for at most 50 ids per call (the platform's limit)."""
        orders: list[dict[str, Any]] = []
        ids = list(dict.fromkeys(str(i) for i in order_ids))
        for start in range(0, len(ids), MAX_ORDER_IDS_PER_GET):
            chunk = ids[start : start + MAX_ORDER_IDS_PER_GET]
            data = self.api("GET", "order", "/orders", query={"ids": ",".join(chunk)})
            orders.extend(data.get("orders") or [])
        return orders

    def get_order(self, order_id: str) -> dict[str, Any]:
        orders = self.get_orders([order_id])
        if not orders:
            raise NotFoundError(
                f"order {order_id} not found", method="GET", path=self.path("GET", "order", "/orders")
            )
        return orders[0]

    # -------------------------------------------------------------------------- fulfillment
    search_packages = _search_endpoint(
        "fulfillment",
        "/packages/search",
        "packages",
        50,
        "One page of packages, filters in the body",
    )
    iter_packages = _every_page("search_packages", 50)

    def get_package(self, package_id: str) -> dict[str, Any]:
        return self.api(
            "GET", "fulfillment", "/packages/{package_id}", path_params={"package_id": package_id}
        )

    def ship_package(
        self,
        package_id: str,
        handover_method: str | None = None,
        pickup_slot: Mapping[str, int] | None = None,
        self_shipment: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Ships a package: platform logistics (`handover_method` PICKUP|DROP_OFF) or `self_shipment`
        `{tracking_number, shipping_provider_id}`."""
        body: dict[str, Any] = {}
        if handover_method:
            body["handover_method"] = handover_method
        if pickup_slot:
            body["pickup_slot"] = dict(pickup_slot)
        if self_shipment:
            body["self_shipment"] = dict(self_shipment)
        return self.api(
            "POST",
            "fulfillment",
            "/packages/{package_id}/ship",
            path_params={"package_id": package_id},
            json_body=body,
        )

    def get_tracking(self, order_id: str) -> list[dict[str, Any]]:
        data = self.api(
            "GET", "fulfillment", "/orders/{order_id}/tracking", path_params={"order_id": order_id}
        )
        return list(data.get("tracking") or [])

    def upload_invoices(self, invoices: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Uploads NF-e XML invoices (Brazil): `[{order_ids, package_id, file (bytes or base64), file_type}]`.

        Bytes are base64-encoded here. The outcome arrives later as webhook 36; refusals known at once
        are in `errors`.
        """
        body = []
        for inv in invoices:
            item = dict(inv)
            if isinstance(item.get("file"), bytes | bytearray):
                item["file"] = base64.b64encode(bytes(item["file"])).decode("ascii")
            item.setdefault("file_type", "XML")
            item["order_ids"] = [str(o) for o in item.get("order_ids") or ()]
            body.append(item)
        data, rid = self.api_request("POST", "invoice", "/invoice/upload", json_body={"invoices": body})
        return BatchResult.from_data(data, rid)

    # ---------------------------------------------------------------------- returns / cancels
    search_returns = _search_endpoint(
        "return_refund",
        "/returns/search",
        "return_orders",
        50,
        "One page of returns; filters: order_ids, update_time_ge/lt, ...",
    )
    iter_returns = _every_page("search_returns", 50)
    search_cancellations = _search_endpoint(
        "return_refund",
        "/cancellations/search",
        "cancellations",
        50,
        "One page of cancellations; filters: order_ids, update_time_ge/lt, ...",
    )
    iter_cancellations = _every_page("search_cancellations", 50)

    def cancel_order(
        self, order_id: str, cancel_reason: str, line_item_ids: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """The seller cancels an order (or some of its lines) not yet shipped → `{cancel_id, cancel_status}`.

        `cancel_reason` is one of the platform's reason codes; the outcome also arrives as webhooks 11
        and 1.
        """
        body: dict[str, Any] = {"order_id": str(order_id), "cancel_reason": cancel_reason}
        if line_item_ids:
            body["order_line_item_ids"] = [str(i) for i in line_item_ids]
        return self.api("POST", "return_refund", "/cancellations", json_body=body)

    # ---------------------------------------------------------------------------- analytics
    def analytics_window(
        self,
        path: str,
        start_date_ge: str,
        end_date_lt: str,
        list_key: str | None,
        page_size: int,
        page_token: str | None,
        **query: Any,
    ) -> Page:
        """One page of an analytics report at `path` between two dates (YYYY-MM-DD, end exclusive), its
        rows at the dotted `list_key`; a report without pages (`list_key` None) is its answer."""
        data = self.call(
            "GET",
            path,
            query={
                "start_date_ge": start_date_ge,
                "end_date_lt": end_date_lt,
                "page_size": page_size if list_key else None,
                "page_token": page_token,
                **query,
            },
        )
        return self._page(data, list_key or "")

    def get_shop_products_performance(
        self,
        start_date_ge: str,
        end_date_lt: str,
        page_size: int = 100,
        page_token: str | None = None,
        **query: Any,
    ) -> Page:
        """Per-product performance between two dates (YYYY-MM-DD, end exclusive)."""
        path = self.path("GET", "analytics", "/shop_products/performance")
        return self.analytics_window(
            path, start_date_ge, end_date_lt, "shop_products", page_size, page_token, **query
        )

    def iter_shop_products_performance(
        self, start_date_ge: str, end_date_lt: str, page_size: int = 100, **query: Any
    ) -> Iterator[dict[str, Any]]:
        return self._iterate(
            lambda token: self.get_shop_products_performance(
                start_date_ge, end_date_lt, page_size, token, **query
            )
        )

    def get_shop_performance(
        self, start_date_ge: str, end_date_lt: str, granularity: str = "1D"
    ) -> dict[str, Any]:
        """The whole shop's performance between two dates, per `granularity` interval: the answer's data."""
        path = self.path("GET", "analytics", "/shop/performance")
        return self.analytics_window(
            path, start_date_ge, end_date_lt, None, 0, None, granularity=granularity
        ).data

    def iter_shop_videos_performance(
        self, start_date_ge: str, end_date_lt: str, list_key: str = "videos", page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Per-video performance between two dates, page by page."""
        path = self.path("GET", "analytics", "/shop_videos/performance")
        return self._iterate(
            lambda token: self.analytics_window(path, start_date_ge, end_date_lt, list_key, page_size, token)
        )

    def iter_shop_lives_performance(
        self, start_date_ge: str, end_date_lt: str, list_key: str = "lives", page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Per-LIVE performance between two dates, page by page, at the configured (UNCONFIRMED) path."""
        path = self.live_performance_path
        return self._iterate(
            lambda token: self.analytics_window(path, start_date_ge, end_date_lt, list_key, page_size, token)
        )

    # ------------------------------------------------------------------------------ webhooks
    def get_webhooks(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "event", "/webhooks").get("webhooks") or [])

    def update_webhook(self, address: str, event_type: str) -> dict[str, Any]:
        """Subscribes `address` to an event type (e.g. ORDER_STATUS_CHANGE) for this shop."""
        return self.api("PUT", "event", "/webhooks", json_body={"address": address, "event_type": event_type})


def _sniff_image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
