"""The TikTok for Developers app creators connect to, as configured (settings `TIKTOK_CREATOR_*`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tiktok_pipelines.creator.scopes import parse_scopes
from tiktok_pipelines.settings import ConfigError, Settings

PKCE_METHODS = ("off", "S256", "hex")


@dataclass(frozen=True)
class CreatorApp:
    """Its client key and secret, the hosts, the registered redirect URI, the scopes asked for, the PKCE
    form its app type needs, and the client's limits."""

    client_key: str | None
    client_secret: str | None = field(default=None, repr=False)
    authorize_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    api_base_url: str = "https://open.tiktokapis.com"
    redirect_uri: str | None = None
    scopes: tuple[str, ...] = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
    pkce: str = "off"
    rate_limit_per_minute: int = 600
    renew_at_share: float = 0.25
    timeout_seconds: float = 30.0
    retry_attempts: int = 4

    def __post_init__(self):
        if self.pkce not in PKCE_METHODS:
            raise ConfigError(
                f"TIKTOK_CREATOR_PKCE must be one of {', '.join(PKCE_METHODS)}, got {self.pkce!r}"
            )
        if not 0 < self.renew_at_share < 1:
            raise ConfigError(
                f"TIKTOK_CREATOR_RENEW_AT_SHARE must be between 0 and 1, got {self.renew_at_share}"
            )

    def missing(self) -> str | None:
        """What keeps the app from connecting creators, or None."""
        names = {
            "TIKTOK_CREATOR_CLIENT_KEY": self.client_key,
            "TIKTOK_CREATOR_CLIENT_SECRET": self.client_secret,
            "TIKTOK_CREATOR_REDIRECT_URI": self.redirect_uri,
        }
        unset = [name for name, value in names.items() if not value]
        return f"{', '.join(unset)} not set" if unset else None

    def require(self) -> None:
        missing = self.missing()
        if missing:
            raise ConfigError(f"the TikTok creator app is not configured: {missing}")

    @classmethod
    def from_settings(cls, settings: Settings) -> CreatorApp:
        return cls(
            client_key=settings.get("TIKTOK_CREATOR_CLIENT_KEY"),
            client_secret=settings.get("TIKTOK_CREATOR_CLIENT_SECRET"),
            authorize_url=settings.require("TIKTOK_CREATOR_AUTHORIZE_URL"),
            api_base_url=settings.require("TIKTOK_CREATOR_API_BASE_URL").rstrip("/"),
            redirect_uri=settings.get("TIKTOK_CREATOR_REDIRECT_URI"),
            scopes=parse_scopes(settings.require("TIKTOK_CREATOR_SCOPES")),
            pkce=settings.require("TIKTOK_CREATOR_PKCE"),
            rate_limit_per_minute=settings.int("TIKTOK_CREATOR_RATE_LIMIT_PER_MINUTE"),
            renew_at_share=settings.float("TIKTOK_CREATOR_RENEW_AT_SHARE"),
            timeout_seconds=settings.float("TIKTOK_CREATOR_TIMEOUT_SECONDS"),
        )
