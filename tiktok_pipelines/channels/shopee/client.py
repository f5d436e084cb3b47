"""The Shopee Open Platform v2 client: every call signed for its API type, its answer's envelope read, and
its failures turned into the channel errors lanes catch (reference §2, §3, §8).

Signing: the `sign` query parameter is the lowercase hex HMAC-SHA256, keyed by the partner key's UTF-8
bytes, of `partner_id + path + timestamp`, followed for a shop call by `access_token + shop_id` and for a
merchant call by `access_token + merchant_id`; the timestamp is taken (and the call signed again) for
every attempt, so a retry never meets the 5-minute window with a stale one.

Failures are read from the envelope's `error` string, never from the HTTP status (UNCONFIRMED per code):
a refused credential is a `ChannelAuthError`; "Too many requests" (an `error_server` with that message,
or a 429 without an envelope), a server error or no answer is retried with exponential backoff and
jitter, and is a `ChannelRetryableError` once the retries are spent; a missing object is a
`ChannelNotFoundError`; a module's refusal of the data (`product.…`, `logistics.…`, `order.…`) is a
`ChannelRefusedError`; a malformed call is a `ChannelRequestError`."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from tiktok_pipelines.channels.base import errors as channel
from tiktok_pipelines.http import HttpApiClient, RetryPolicy, parse_retry_after

DEFAULT_BASE_URL = "https://partner.shopeemobile.com"
PUBLIC, SHOP, MERCHANT = "public", "shop", "merchant"

# A renewal's refusals that end the seller's grant (reference §4), by the `error` string, whatever the
# HTTP status: the seller must authorize again.
GRANT_ENDED = frozenset(
    {
        "refresh_token_expired",
        "error_shop_refresh_token",
        "error_merchant_refresh_token",
        "shop_access_expired",
        "merchant_access_expired",
        "shop_banned",
        "shop_no_linked",
        "error_auth",
    }
)
# Refusals of the credentials or of the authorization (the seller may have to authorize again).
AUTH_ERRORS = GRANT_ENDED | {
    "error_sign",
    "error_permission",
    "error_shop",
    "invalid_code",
    "invalid_shop_id",
    "invalid_main_acount_id",
    "invalid_partner_id",
}
RETRYABLE_ERRORS = frozenset({"error_server", "error_inner", "error_network", "error_busi_system_busy"})
NOT_FOUND_SUFFIXES = ("error_not_found", "error_item_not_found", "error_order_not_found")
TOO_MANY_REQUESTS = "too many requests"


def signature(partner_key: str, partner_id: int, path: str, timestamp: int, token_and_owner: str = "") -> str:
    """A call's `sign`: `token_and_owner` is "" for a public call, else `access_token + shop_id` (or
    `+ merchant_id`)."""
    message = f"{partner_id}{path}{timestamp}{token_and_owner}".encode()
    return hmac.new(partner_key.encode(), message, hashlib.sha256).hexdigest()


def push_signature(partner_key: str, callback_url: str, body: bytes) -> str:
    """The `Authorization` header Shopee puts on a push: the same HMAC over the exact callback URL the app
    configured, `|`, and the raw body bytes (never re-serialized JSON)."""
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + body, hashlib.sha256).hexdigest()


def push_signature_matches(
    partner_key: str, callback_url: str, body: bytes, authorization: str | None
) -> bool:
    """Whether a push's `Authorization` header is Shopee's signature of it (compared in constant time)."""
    expected = push_signature(partner_key, callback_url, body)
    return hmac.compare_digest(expected.encode(), (authorization or "").strip().encode("ascii", "replace"))


class ShopeeError(channel.ChannelError):
    """A refusal in Shopee's envelope: `error` (the platform's code string, also `code`), `message`,
    `request_id`."""

    def __init__(
        self, error: str, message: str, request_id: str | None = None, http_status: int | None = None
    ):
        super().__init__(f"{error}: {message}" if message else error)
        self.error = self.code = error
        self.message = message
        self.request_id = request_id
        self.http_status = http_status


class ShopeeAuthError(ShopeeError, channel.ChannelAuthError):
    pass


class ShopeeRequestError(ShopeeError, channel.ChannelRequestError):
    pass


class ShopeeNotFoundError(ShopeeError, channel.ChannelNotFoundError):
    pass


class ShopeeRefusedError(ShopeeError, channel.ChannelRefusedError):
    pass


class ShopeeRetryableError(ShopeeError, channel.ChannelRetryableError):
    """Throttled, a server error or no answer."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.retry_after = retry_after


def error_of(
    error: str, message: str, request_id: str | None = None, http_status: int | None = None
) -> ShopeeError:
    """The channel error a refusal is, by its `error` string (and "Too many requests" by its message)."""
    kind: type[ShopeeError]
    if error in AUTH_ERRORS:
        kind = ShopeeAuthError
    elif error in RETRYABLE_ERRORS or TOO_MANY_REQUESTS in message.lower():
        kind = ShopeeRetryableError
    elif error.endswith(NOT_FOUND_SUFFIXES):
        kind = ShopeeNotFoundError
    elif "." in error or error.startswith("error_cannot") or error.startswith("error_busi"):
        kind = ShopeeRefusedError
    else:
        kind = ShopeeRequestError
    return kind(error, message, request_id, http_status)


class ShopeeClient(HttpApiClient):
    """Calls of one partner app, for one shop (`shop_id`) or merchant (`merchant_id`) when given, with
    the access token `access_token()` returns at each attempt (a provider may renew it)."""

    def __init__(
        self,
        partner_id: int,
        partner_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        shop_id: int | None = None,
        merchant_id: int | None = None,
        access_token: Callable[[], str] | None = None,
        refresh_token: Callable[[str], str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.partner_id = int(partner_id)
        self._partner_key = partner_key
        self.shop_id = shop_id
        self.merchant_id = merchant_id
        self._access_token = access_token
        self._refresh = refresh_token
        self.refreshes = 0
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self.calls = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"ShopeeClient(partner_id={self.partner_id}, shop_id={self.shop_id}, merchant_id={self.merchant_id})"

    def common_params(self, path: str, api_type: str) -> dict[str, Any]:
        """The signed common parameters of a call of `api_type` to `path`, timestamped now."""
        timestamp = int(self._clock())
        params: dict[str, Any] = {"partner_id": self.partner_id, "timestamp": timestamp}
        extra = ""
        if api_type != PUBLIC:
            owner_key, owner = (
                ("shop_id", self.shop_id) if api_type == SHOP else ("merchant_id", self.merchant_id)
            )
            if owner is None or self._access_token is None:
                raise ShopeeRequestError(
                    "error_param", f"a {api_type} call needs an access token and {owner_key}"
                )
            token = self._access_token()
            extra = f"{token}{owner}"
            params |= {"access_token": token, owner_key: owner}
        params["sign"] = signature(self._partner_key, self.partner_id, path, timestamp, extra)
        return params

    def call(
        self,
        method: str,
        path: str,
        *,
        api_type: str = SHOP,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        raw: bool = False,
    ) -> Any:
        """The answer's body (envelope included) of a call that succeeded; retried while it is throttled
        or the server fails, each attempt signed anew. `raw`: a file's bytes are the answer (a document
        download), and an envelope in their place is a refusal."""

        def attempt() -> Any:
            self.calls += 1
            query = list(self.common_params(path, api_type).items())
            query += list(params.items()) if isinstance(params, Mapping) else list(params or [])
            try:
                response = self._http.request(method, path, params=query, json=json, data=data, files=files)
            except httpx.HTTPError as exc:
                raise ShopeeRetryableError("error_network", f"no answer: {type(exc).__name__}") from None
            if raw and response.status_code == 200 and "json" not in response.headers.get("content-type", ""):
                return response.content
            return self._read(response)

        def counted(_state: Any) -> None:
            self.retries += 1

        def renewed() -> Any:
            """Once, with a new access token, when Shopee says the one sent is no longer valid."""
            try:
                return self.retry.call(attempt, lambda exc: isinstance(exc, ShopeeRetryableError), counted)
            except ShopeeAuthError as exc:
                if self._refresh is None or exc.error != "error_auth" or "access_token" not in exc.message:
                    raise
                self.refreshes += 1
                self._refresh(self._access_token() if self._access_token else "")
                return self.retry.call(attempt, lambda exc: isinstance(exc, ShopeeRetryableError), counted)

        return renewed()

    def _read(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "error" not in body:
            hint = parse_retry_after(response.headers.get("retry-after"))
            if response.status_code == 429 or response.status_code >= 500:
                raise ShopeeRetryableError(
                    "error_server",
                    f"HTTP {response.status_code} without an answer",
                    None,
                    response.status_code,
                    retry_after=hint,
                )
            raise ShopeeRequestError(
                "error_param", f"HTTP {response.status_code} without an answer", None, response.status_code
            )
        if body["error"]:
            raise error_of(
                str(body["error"]),
                str(body.get("message") or ""),
                body.get("request_id"),
                response.status_code,
            )
        return body

    def stats(self) -> dict[str, int]:
        """The calls made (retries and token renewals included), as run metadata."""
        return {"calls": self.calls, "retries": self.retries, "token_refreshes": self.refreshes}

    def download(self, method: str, path: str, **kw: Any) -> bytes:
        """The bytes of a file the call answers with (a shipping document)."""
        return self.call(method, path, raw=True, **kw)

    def response(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """The `response` object of a successful call."""
        return self.call(method, path, **kw).get("response") or {}
