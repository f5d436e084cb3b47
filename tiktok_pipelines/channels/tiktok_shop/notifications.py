"""TikTok Shop's webhooks (the `NotificationApi` of the channel)."""

from __future__ import annotations


class TikTokNotifications:
    """TikTok Shop's webhooks (the `NotificationApi` of the channel)."""
