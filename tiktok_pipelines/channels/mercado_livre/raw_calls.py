"""Calls whose answer or body is not JSON (a shipping label, a picture upload), paced and retried like
the client's own (`MercadoLivreClient.request` takes and gives JSON only)."""

from __future__ import annotations

from typing import Any

import httpx

from tiktok_pipelines.channels.mercado_livre.client import (
    MercadoLivreClient,
    MercadoLivreRetryableError,
    error_of,
)


def raw_call(
    api: MercadoLivreClient,
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> httpx.Response:
    """One call with the seller's token; the answer when it is a success, else the channel error."""

    def once() -> httpx.Response:
        api.limiter.acquire()
        with api._in_flight:
            try:
                response = api._http.request(
                    method,
                    path,
                    params=params,
                    files=files,
                    headers={"Authorization": f"Bearer {api.token()}"},
                )
            except httpx.HTTPError as exc:
                raise MercadoLivreRetryableError(
                    0, type(exc).__name__, f"no answer to {method} {path}"
                ) from exc
        if response.status_code in (200, 201):
            return response
        raise error_of(response)

    return api.retry.call(once, lambda exc: isinstance(exc, MercadoLivreRetryableError))
