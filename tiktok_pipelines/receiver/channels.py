"""The channels whose notifications the receiver takes, each at its own path: the receiver verifies and
parses them through the channel's `NotificationApi`, whatever the channel."""

from __future__ import annotations

from tiktok_pipelines.channels.base.notifications import NotificationApi
from tiktok_pipelines.channels.mercado_livre.notifications import MercadoLivreNotifications
from tiktok_pipelines.channels.tiktok_shop.auth import TikTokApp
from tiktok_pipelines.channels.tiktok_shop.notifications import TikTokNotifications
from tiktok_pipelines.settings import Settings

MERCADO_LIVRE_WEBHOOK_PATH = "/webhooks/mercado-livre"  # the application's notification URL


def notification_channels(settings: Settings) -> dict[str, NotificationApi]:
    """Path → the channel's notifications, with the app credentials that verify them."""
    tiktok = TikTokApp(settings.get("TIKTOK_APP_KEY"), settings.get("TIKTOK_APP_SECRET"))
    return {
        "/webhooks/tiktok": TikTokNotifications(tiktok),
        MERCADO_LIVRE_WEBHOOK_PATH: MercadoLivreNotifications(settings.get("MERCADO_LIVRE_APP_ID")),
    }
