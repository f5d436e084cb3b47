"""Pointing a client's VTEX store at the receiver (the seed's ORDERHOOK-MANAGEMENT)."""

from __future__ import annotations

from tiktok_pipelines.vtex.client import VtexClient

VTEX_WEBHOOK_PATH = "/webhooks/vtex"


def configure_vtex_order_hook(api: VtexClient, receiver_url: str, secret: str) -> str:
    """Configures the VTEX store of `api` to POST every order status change to the receiver, with the
    shared secret (TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET) as a header; returns the hook's URL. VTEX pings
    the URL first, so the receiver must be reachable."""
    url = receiver_url.rstrip("/") + VTEX_WEBHOOK_PATH
    api.configure_order_hook(url, headers={"X-Webhook-Secret": secret})
    return url
