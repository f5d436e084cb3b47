"""The channels whose notifications the receiver takes, each at its own path: the receiver verifies and
parses them through the channel's `NotificationApi`, whatever the channel; and the channels whose consent
page sends sellers back to it."""

from __future__ import annotations

from tiktok_pipelines.channels.base.notifications import NotificationApi
from tiktok_pipelines.channels.mercado_livre.notifications import MercadoLivreNotifications
from tiktok_pipelines.channels.shopee.auth import ShopeeApp, ShopeeAuth
from tiktok_pipelines.channels.shopee.notifications import PushEndpoint, ShopeeNotifications
from tiktok_pipelines.channels.tiktok_shop.auth import TikTokApp
from tiktok_pipelines.channels.tiktok_shop.notifications import TikTokNotifications
from tiktok_pipelines.settings import Settings

MERCADO_LIVRE_WEBHOOK_PATH = "/webhooks/mercado-livre"  # the application's notification URL


def shopee_app(settings: Settings) -> ShopeeApp:
    partner_id = settings.get("SHOPEE_PARTNER_ID")
    return ShopeeApp(
        int(partner_id) if partner_id else None,
        settings.get("SHOPEE_PARTNER_KEY"),
        settings.require("SHOPEE_API_BASE_URL"),
        settings.get("SHOPEE_REDIRECT_URL"),
        timeout_seconds=settings.float("SHOPEE_TIMEOUT_SECONDS"),
    )


def notification_channels(settings: Settings) -> dict[str, NotificationApi]:
    """Path → the channel's notifications, with the app credentials that verify them."""
    tiktok = TikTokApp(settings.get("TIKTOK_APP_KEY"), settings.get("TIKTOK_APP_SECRET"))
    shopee = PushEndpoint(settings.get("SHOPEE_PARTNER_KEY"), settings.get("SHOPEE_PUSH_URL"))
    return {
        "/webhooks/tiktok": TikTokNotifications(tiktok),
        MERCADO_LIVRE_WEBHOOK_PATH: MercadoLivreNotifications(settings.get("MERCADO_LIVRE_APP_ID")),
        "/webhooks/shopee": ShopeeNotifications(shopee),
    }


def shopee_auth(settings: Settings) -> ShopeeAuth:
    """Shopee's authorization, which the receiver's callback completes (its codes last 10 minutes)."""
    return ShopeeAuth(shopee_app(settings))
