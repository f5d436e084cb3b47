"""Conditional download of a product feed (ETag / Last-Modified), streamed to a file with its hash."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.logs import redact_url


class FeedFetchError(RuntimeError):
    """The feed could not be downloaded; the message says why (status, size, network)."""


@dataclass(frozen=True)
class FeedFetch:
    not_modified: bool
    status_code: int
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    size_bytes: int = 0
    content_type: str | None = None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, _ServerBusy)


class _ServerBusy(FeedFetchError):
    pass


def fetch_feed(
    url: str,
    dest: Path | None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 120.0,
    max_bytes: int = 4 * 1024**3,
    user_agent: str = "tiktok-pipelines",
    attempts: int = 4,
    backoff_initial_s: float = 1.0,
    client: httpx.Client | None = None,
) -> FeedFetch:
    """GET `url` into `dest` (or only hash it when `dest` is None), conditional on the validators given;
    retries network errors and 5xx."""

    policy = RetryPolicy(attempts=attempts, initial=backoff_initial_s, maximum=30.0)
    owns = client is None
    http = client or httpx.Client(
        timeout=httpx.Timeout(timeout_s, connect=15.0),
        follow_redirects=True,
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
    )
    try:
        return policy.call(lambda: _fetch_once(url, dest, etag, last_modified, max_bytes, http), _retryable)
    except httpx.TransportError as exc:
        raise FeedFetchError(
            f"cannot download the feed from {redact_url(url)}: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if owns:
            http.close()


# A conditional GET for a sensor, with fewer and shorter retries: whether the feed changed. 304 →
# `not_modified`; otherwise `content_hash` says what the feed is now, and the body is written to `dest`
# when one is given (else only hashed).
probe_feed = partial(fetch_feed, dest=None, timeout_s=30.0, attempts=2, backoff_initial_s=0.5)


def _fetch_once(
    url: str,
    dest: Path | None,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    http: httpx.Client,
) -> FeedFetch:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with http.stream("GET", url, headers=headers) as resp:
        if resp.status_code == 304:
            return FeedFetch(not_modified=True, status_code=304, etag=etag, last_modified=last_modified)
        if resp.status_code in (429, 500, 502, 503, 504):
            raise _ServerBusy(f"the feed server answered HTTP {resp.status_code} for {redact_url(url)}")
        if resp.status_code != 200:
            raise FeedFetchError(f"the feed server answered HTTP {resp.status_code} for {redact_url(url)}")
        declared = resp.headers.get("content-length")
        if (
            declared
            and declared.isdigit()
            and int(declared) > max_bytes
            and "content-encoding" not in resp.headers
        ):
            raise FeedFetchError(f"the feed is {int(declared)} bytes, over the {max_bytes}-byte limit")
        digest = hashlib.sha256()
        size = 0
        if dest is not None:
            dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "wb") if dest is not None else contextlib.nullcontext() as fh:
            for chunk in resp.iter_bytes(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise FeedFetchError(f"the feed is over the {max_bytes}-byte limit")
                digest.update(chunk)
                if fh is not None:
                    fh.write(chunk)
        return FeedFetch(
            not_modified=False,
            status_code=200,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
            content_hash=digest.hexdigest(),
            size_bytes=size,
            content_type=resp.headers.get("content-type"),
        )
