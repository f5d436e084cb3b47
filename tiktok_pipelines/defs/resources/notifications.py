"""How notifications are written and sent, as a Dagster resource (the sender's options)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.lanes.notifications.sender import NotificationSender, SenderOptions
from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.db import StateDB


class Notifier(dg.ConfigurableResource):
    """The notification sender's options: language, the Dagster UI's base URL for links, the digest
    window and how long a delivery is retried."""

    language: str = Field(default="pt", description="pt or en.")
    ui_base_url: str = Field(default="http://127.0.0.1:3000", description="Base URL of the Dagster UI.")
    digest_seconds: float = Field(default=30.0, description="Window of a digest.")
    max_age_hours: float = Field(default=48.0, description="Retries stop after this; the delivery fails.")

    def options(self) -> SenderOptions:
        return SenderOptions(
            language=self.language,
            ui_base_url=self.ui_base_url or None,
            digest_seconds=self.digest_seconds,
            max_age_hours=self.max_age_hours,
        )

    def sender(self, db: StateDB) -> NotificationSender:
        return NotificationSender(db, self.options())

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        language = settings.require("TIKTOK_PIPELINES_NOTIFY_LANGUAGE")
        if language not in ("pt", "en"):
            raise ConfigError(f"TIKTOK_PIPELINES_NOTIFY_LANGUAGE must be pt or en, got {language!r}")
        return cls(
            language=language,
            ui_base_url=settings.get("TIKTOK_PIPELINES_DAGSTER_UI_URL") or "",
            digest_seconds=settings.float("TIKTOK_PIPELINES_NOTIFY_DIGEST_SECONDS"),
            max_age_hours=settings.float("TIKTOK_PIPELINES_NOTIFY_MAX_AGE_HOURS"),
        )
