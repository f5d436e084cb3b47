"""The Mercado Livre API over HTTP (reference §1–§3, §9): the token endpoint (`MercadoLivreAuthClient`:
code exchange and refresh, parameters in a form body) and the seller API (`MercadoLivreClient`: bearer
token, a pace and a bound on calls in flight from configuration, 429s and 5xx retried with exponential
backoff and jitter, a server's Retry-After first). Refusals become the channel errors the lanes catch."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from tiktok_pipelines.channels.base import errors as channel
from tiktok_pipelines.core.models.auth import Grant
from tiktok_pipelines.http import HttpApiClient, RateLimiter, RetryPolicy, parse_retry_after

DEFAULT_API_BASE_URL = "https://api.mercadolibre.com"
DEFAULT_AUTHORIZE_URL = "https://auth.mercadolivre.com.br/authorization"
# A refresh token lasts 6 months (reference §2); the token answer does not say when it ends.
REFRESH_TOKEN_LIFETIME = timedelta(days=180)
MULTIGET_MAX = 20
# The buyer's document of an order: Mercado Livre's billing-info resource, absent from the reference
# (UNCONFIRMED), so its path is configuration.
DEFAULT_BILLING_INFO_PATH = "/orders/{order_id}/billing_info"


class MercadoLivreError(channel.ChannelError):
    """An answer of Mercado Livre that is not a success: `code` is its HTTP status, `error` its machine
    code (`invalid_grant`, `validation_error`...), `cause` its causes."""

    def __init__(self, status: int, error: str, message: str, cause: list[Any] | None = None):
        super().__init__(f"{status} {error}: {message}")
        self.code = status
        self.error = error
        self.message = message
        self.cause = cause or []


class MercadoLivreAuthError(MercadoLivreError, channel.ChannelAuthError):
    """The credentials were refused (invalid_grant, invalid_client, 401, 403)."""


class MercadoLivreNotFoundError(MercadoLivreError, channel.ChannelNotFoundError):
    pass


class MercadoLivreRefusedError(MercadoLivreError, channel.ChannelRefusedError):
    """The data of one write was refused (a `validation_error` and its causes)."""


class MercadoLivreRequestError(MercadoLivreError, channel.ChannelRequestError):
    pass


class MercadoLivreRetryableError(MercadoLivreError, channel.ChannelRetryableError):
    """429, a 5xx, or no answer: worth another attempt later."""

    def __init__(self, status: int, error: str, message: str, retry_after: float | None = None):
        super().__init__(status, error, message)
        self.retry_after = retry_after


def error_of(response: httpx.Response) -> MercadoLivreError:
    """The channel error of a refusal, from either of the API's error shapes."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    error = str(body.get("error") or status)
    message = str(body.get("message") or body.get("error_description") or response.reason_phrase)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return MercadoLivreRetryableError(status, error, message, retry_after)
    if status in (401, 403) or error in ("invalid_grant", "invalid_client", "unauthorized_client"):
        return MercadoLivreAuthError(status, error, message)
    if status == 404:
        return MercadoLivreNotFoundError(status, error, message)
    if error == "validation_error" or body.get("cause"):
        return MercadoLivreRefusedError(status, error, message, body.get("cause"))
    return MercadoLivreRequestError(status, error, message)


def grant_of(answer: dict[str, Any], now: datetime | None = None) -> Grant:
    """The channel-neutral grant of a token answer (its `expires_in` trusted, reference §2)."""
    now = now or datetime.now(UTC)
    if not answer.get("refresh_token"):
        raise MercadoLivreAuthError(200, "offline_access", "no refresh_token: the app lacks offline_access")
    return Grant(
        access_token=SecretStr(answer["access_token"]),
        access_token_expires_at=now + timedelta(seconds=int(answer["expires_in"])),
        refresh_token=SecretStr(answer["refresh_token"]),
        refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
        open_id=str(answer.get("user_id") or "") or None,
        granted_scopes=tuple(str(answer.get("scope") or "").split()),
    )


@dataclass(frozen=True)
class Pace:
    """How fast one process calls the API for a seller: calls a second and calls in flight."""

    rate_per_second: float = 10.0
    max_in_flight: int = 4


@dataclass(frozen=True)
class MercadoLivreApp:
    """The Mercado Livre application: its id and secret, its static redirect URI (matched exactly), the
    country's authorization page and the API host, PKCE, the pace of calls per seller, and the path of an
    order's billing info (`{order_id}` in it)."""

    app_id: str | None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    authorize_url: str = DEFAULT_AUTHORIZE_URL
    api_base_url: str = DEFAULT_API_BASE_URL
    pkce: bool = True
    pace: Pace = field(default_factory=Pace)
    timeout_seconds: float = 30.0
    retry_attempts: int = 5
    billing_info_path: str = DEFAULT_BILLING_INFO_PATH

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.retry_attempts)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_base_url.rstrip("/"), timeout=self.timeout_seconds)


class MercadoLivreAuthClient(HttpApiClient):
    """`POST /oauth/token`. A refresh is retried only after a 429 (the platform refused it before
    spending the refresh token); any other failure of a refresh is left to the caller, since a lost
    answer may have spent the token."""

    def __init__(self, app: MercadoLivreApp):
        self.app = app
        self._http = app.http()

    def _token(self, form: dict[str, str], retryable: Callable[[BaseException], bool]) -> Grant:
        body = {"client_id": self.app.app_id or "", "client_secret": self.app.client_secret or ""} | form

        def post() -> Grant:
            try:
                response = self._http.post("/oauth/token", data=body, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise MercadoLivreRetryableError(
                    0, type(exc).__name__, "no answer from the token endpoint"
                ) from exc
            if response.status_code != 200:
                raise error_of(response)
            return grant_of(response.json())

        return self.app.retry.call(post, retryable)

    def exchange(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> Grant:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        # A code is spent only by a success: every retryable refusal may be tried again.
        return self._token(form, lambda exc: isinstance(exc, MercadoLivreRetryableError))

    def refresh(self, refresh_token: str) -> Grant:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token(form, lambda exc: isinstance(exc, MercadoLivreRetryableError) and exc.code == 429)


class MercadoLivreClient(HttpApiClient):
    """The seller API with one seller's access token (`token()` gives the current one), paced as the
    application says."""

    def __init__(self, app: MercadoLivreApp, token: Callable[[], str], retry: RetryPolicy | None = None):
        self.app = app
        self.token = token
        self.retry = retry or app.retry
        self.limiter = RateLimiter(app.pace.rate_per_second)
        self._in_flight = threading.BoundedSemaphore(app.pace.max_in_flight)
        self._http = app.http()

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        """One call, paced and retried on 429 / 5xx / no answer; the JSON answer (None for a 204)."""
        response = self.raw(method, path, params=params, json=json, accept="application/json")
        return None if response.status_code == 204 else response.json()

    def raw(self, method: str, path: str, *, accept: str | None = None, **send: Any) -> httpx.Response:
        """One call, paced and retried like `request`, whose answer is a success of any media type (a
        label's PDF or ZPL); `send` is what httpx sends (`params`, `json`, or `files` for a picture
        upload's multipart form)."""
        accepting = {"Accept": accept} if accept else {}

        def once() -> httpx.Response:
            headers = {"Authorization": f"Bearer {self.token()}"} | accepting
            self.limiter.acquire()
            with self._in_flight:
                try:
                    response = self._http.request(method, path, headers=headers, **send)
                except httpx.HTTPError as exc:
                    raise MercadoLivreRetryableError(
                        0, type(exc).__name__, f"no answer to {method} {path}"
                    ) from exc
            if response.status_code in (200, 201, 204):
                return response
            error = error_of(response)
            if error.code == 429:
                self.limiter.penalize(getattr(error, "retry_after", None) or 1.0)
            raise error

        return self.retry.call(once, lambda exc: isinstance(exc, MercadoLivreRetryableError))

    def me(self) -> dict[str, Any]:
        return self.request("GET", "/users/me")

    def items(self, ids: list[str]) -> Iterator[dict[str, Any]]:
        """`/items?ids=` in chunks of 20: each item found (unknown ids are skipped)."""
        for start in range(0, len(ids), MULTIGET_MAX):
            chunk = ids[start : start + MULTIGET_MAX]
            for answer in self.request("GET", "/items", params={"ids": ",".join(chunk)}):
                if answer.get("code") == 200:
                    yield answer["body"]

    def seller_item_ids(self, seller_id: int | str, page_size: int = 100) -> Iterator[str]:
        """Every listing of the seller, by scan paging (any number of items)."""
        params: dict[str, Any] = {"search_type": "scan", "limit": page_size}
        while True:
            page = self.request("GET", f"/users/{seller_id}/items/search", params=params)
            if not page.get("results"):
                return
            yield from page["results"]
            params = {"scroll_id": page["scroll_id"], "limit": page_size}
