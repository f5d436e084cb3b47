"""HTTP for the creator client: the sliding-window limit per endpoint, retries of what is worth another
attempt (429, 5xx, network; a 429's wait holds every later call to that endpoint), and the errors of
both answer shapes (OAuth's `{error, error_description}`, the v2 API's `{data, error{code}}`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.creator.errors import CreatorRetryableError, api_error
from tiktok_pipelines.creator.limits import SlidingWindowLimiters
from tiktok_pipelines.http import RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

# One set of limiters per process: every creator's calls count against the app's window.
_LIMITERS: dict[tuple[str, int], SlidingWindowLimiters] = {}


def limiters_for(app: CreatorApp) -> SlidingWindowLimiters:
    key = (f"{app.api_base_url}|{app.client_key}", app.rate_limit_per_minute)
    if key not in _LIMITERS:
        _LIMITERS[key] = SlidingWindowLimiters(app.rate_limit_per_minute, 60.0)
    return _LIMITERS[key]


class Transport:
    """Calls to the app's API host; `calls` counts them per path, `throttled` the 429s met."""

    def __init__(
        self,
        app: CreatorApp,
        http: httpx.Client | None = None,
        limiters: SlidingWindowLimiters | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str = "tiktok-pipelines/0.1",
    ):
        self.app = app
        self.http = http or httpx.Client(timeout=app.timeout_seconds, headers={"User-Agent": user_agent})
        self.limiters = limiters or limiters_for(app)
        # Without a Retry-After (TikTok gives none), waits double from 0.5 s to 30 s: eight attempts span
        # about a minute, the length of the sliding window a 429 comes from.
        self.retry = retry or RetryPolicy(attempts=app.retry_attempts, initial=0.5, maximum=30.0)
        self.calls: dict[str, int] = {}
        self.throttled = 0

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, retry: bool = True, **kwargs: Any) -> tuple[dict, int, datetime]:
        limiter = self.limiters.get(path)

        def once() -> tuple[dict, int, datetime]:
            limiter.acquire()
            self.calls[path] = self.calls.get(path, 0) + 1
            try:
                response = self.http.request(method, f"{self.app.api_base_url}{path}", **kwargs)
            except httpx.TransportError as exc:
                raise CreatorRetryableError("network_error", type(exc).__name__) from exc
            received_at = datetime.now(UTC)
            try:
                body = response.json() if response.content else {}
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            if response.status_code == 429 or response.status_code >= 500:
                error = body.get("error")
                code = error.get("code") if isinstance(error, dict) else error
                hint = parse_retry_after(response.headers.get("retry-after"))
                if response.status_code == 429:
                    self.throttled += 1
                    if hint is not None:
                        limiter.penalize(hint)
                raise CreatorRetryableError(
                    str(code or f"http_{response.status_code}"),
                    _message(body),
                    response.status_code,
                    _log_id(body),
                    hint,
                )
            return body, response.status_code, received_at

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, CreatorRetryableError)

        def on_retry(state) -> None:
            log.warning(
                "TikTok %s %s: %s; again in %.1f s",
                method,
                path,
                state.outcome.exception(),
                state.upcoming_sleep,
            )

        if not retry:
            return once()
        return self.retry.call(once, retryable, on_retry)

    def form(self, path: str, form: dict[str, str]) -> tuple[dict, int, datetime]:
        """A form POST (the token endpoint); the body is returned whatever its `error` says."""
        return self._send("POST", path, data=form)

    def api(
        self,
        method: str,
        path: str,
        token: str,
        fields: tuple[str, ...] = (),
        json: dict | None = None,
        retry: bool = True,
    ) -> dict:
        """A v2 API call with the creator's token and `fields` (none for the posting endpoints); its
        `data`, or the error it carries. `retry=False` sends it once: a call that must not be repeated
        blindly (a post's init) leaves a 429 or a 5xx to its caller."""
        body, status, _ = self._send(
            method,
            path,
            retry,
            params={"fields": ",".join(fields)} if fields else None,
            json=json,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=UTF-8"},
        )
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = str(error.get("code") or ("ok" if status < 400 else f"http_{status}"))
        if code != "ok" or status >= 400:
            raise api_error(code, str(error.get("message") or ""), status, error.get("log_id"))
        data = body.get("data")
        return data if isinstance(data, dict) else {}


def _message(body: dict) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(body.get("error_description") or "")


def _log_id(body: dict) -> str | None:
    error = body.get("error")
    return error.get("log_id") if isinstance(error, dict) else body.get("log_id")
