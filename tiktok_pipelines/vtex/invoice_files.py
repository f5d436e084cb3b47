"""Downloads an NF-e XML from the `invoiceUrl` of a VTEX invoice (the ERP's or VTEX's file host).

The URL is the merchant's, not VTEX's API: no VTEX credentials go with the request. The body is read up
to a bound (an NF-e for TikTok is at most 1 MB), and transient failures are retried with backoff.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tiktok_pipelines.http import RetryableError, RetryPolicy


class InvoiceDownloadError(Exception):
    """The XML could not be had from the URL (refused, not found, too large, not reachable)."""


class _Transient(InvoiceDownloadError, RetryableError):
    pass


def download_invoice_xml(
    url: str,
    *,
    max_bytes: int = 2 * 1024 * 1024,
    timeout: float = 30.0,
    user_agent: str = "tiktok-pipelines/0.1",
    retry: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> bytes:
    """The bytes at `url` (http or https only), at most `max_bytes`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvoiceDownloadError(f"the invoice URL is not an http(s) address: {parts.scheme or '?'}://…")
    where = f"{parts.scheme}://{parts.hostname}{parts.path}"  # no query: it may carry a token

    def attempt() -> bytes:
        try:
            with (
                httpx.Client(
                    timeout=timeout, headers={"User-Agent": user_agent}, transport=transport
                ) as http,
                http.stream("GET", url, follow_redirects=True) as response,
            ):
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Transient(f"{where} answered {response.status_code}")
                if response.status_code != 200:
                    raise InvoiceDownloadError(f"{where} answered {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise InvoiceDownloadError(f"{where} serves more than {max_bytes} bytes")
                return bytes(body)
        except httpx.TransportError as exc:
            raise _Transient(f"{where} did not answer ({type(exc).__name__})") from None

    return (retry or RetryPolicy(attempts=3)).call(attempt, lambda exc: isinstance(exc, RetryableError))
