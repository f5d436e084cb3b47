"""The Mercado Livre application as the configuration describes it (`MERCADO_LIVRE_*`), for whatever
runs it: the Dagster resource, the receiver, the CLI."""

from __future__ import annotations

from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreApp, Pace
from tiktok_pipelines.settings import Settings


def app_from_settings(settings: Settings, client_secret: str | None = None) -> MercadoLivreApp:
    """The application; `client_secret` replaces the configured one (a resource's resolved secret)."""
    return MercadoLivreApp(
        app_id=settings.get("MERCADO_LIVRE_APP_ID"),
        client_secret=client_secret or settings.get("MERCADO_LIVRE_CLIENT_SECRET"),
        redirect_uri=settings.get("MERCADO_LIVRE_REDIRECT_URI"),
        authorize_url=settings.require("MERCADO_LIVRE_AUTHORIZE_URL"),
        api_base_url=settings.require("MERCADO_LIVRE_API_BASE_URL"),
        pkce=(settings.get("MERCADO_LIVRE_PKCE") or "true").strip().lower() in ("1", "true", "yes"),
        pace=Pace(
            settings.float("MERCADO_LIVRE_RATE_LIMIT_PER_SECOND"),
            settings.int("MERCADO_LIVRE_MAX_CONCURRENCY"),
        ),
        timeout_seconds=settings.float("MERCADO_LIVRE_TIMEOUT_SECONDS"),
        billing_info_path=settings.require("MERCADO_LIVRE_BILLING_INFO_PATH"),
    )
