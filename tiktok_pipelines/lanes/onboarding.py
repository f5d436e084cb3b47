"""Pointing a client's VTEX store at the receiver (the seed's ORDERHOOK-MANAGEMENT)."""

from __future__ import annotations

from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import open_state_db
from tiktok_pipelines.stores.registry import ClientRegistry

VTEX_WEBHOOK_PATH = "/webhooks/vtex"


def configure_vtex_order_hook(client_id: str, receiver_url: str, settings: Settings | None = None) -> str:
    """Configures the client's VTEX order hook to POST every order status change to the receiver, with
    the shared secret as a header. VTEX pings the URL first, so the receiver must be reachable."""
    from tiktok_pipelines.defs.resources.vtex import Vtex

    settings = settings or Settings.load()
    secret = settings.require("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET")
    client = ClientRegistry(open_state_db(settings)).get(client_id)
    url = receiver_url.rstrip("/") + VTEX_WEBHOOK_PATH
    with Vtex.from_settings(settings).client_for(client) as api:
        api.configure_order_hook(url, headers={"X-Webhook-Secret": secret})
    return url
