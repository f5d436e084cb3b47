"""The TikTok for Developers app creators connect to, as configured (settings `TIKTOK_CREATOR_*`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tiktok_pipelines.creator.scopes import parse_scopes
from tiktok_pipelines.settings import ConfigError, Settings

APP_TYPES = ("web", "desktop", "mobile")
PKCE_ENCODINGS = ("base64url", "hex")


@dataclass(frozen=True)
class CreatorApp:
    """Its client key and secret, the hosts, the registered redirect URI, the scopes asked for, its app
    type (desktop and mobile apps use PKCE), and the client's limits."""

    client_key: str | None
    client_secret: str | None = field(default=None, repr=False)
    authorize_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    api_base_url: str = "https://open.tiktokapis.com"
    redirect_uri: str | None = None
    scopes: tuple[str, ...] = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
    app_type: str = "web"
    pkce_encoding: str = "base64url"
    rate_limit_per_minute: int = 600
    renew_at_share: float = 0.25
    timeout_seconds: float = 30.0
    retry_attempts: int = 8
    # Content Posting: audit state, the per-user limits, the upload's chunk, a run's claim and polling.
    audited: bool = False
    post_inits_per_minute: int = 6
    posts_per_day: int = 15
    post_chunk_mb: int = 10
    post_lease_seconds: float = 300.0
    post_poll_seconds: float = 120.0

    def __post_init__(self):
        if self.app_type not in APP_TYPES:
            raise ConfigError(
                f"TIKTOK_CREATOR_APP_TYPE must be one of {', '.join(APP_TYPES)}, got {self.app_type!r}"
            )
        if self.pkce_encoding not in PKCE_ENCODINGS:
            raise ConfigError(
                f"TIKTOK_CREATOR_PKCE_ENCODING must be one of {', '.join(PKCE_ENCODINGS)}, got {self.pkce_encoding!r}"
            )
        if not 0 < self.renew_at_share < 1:
            raise ConfigError(
                f"TIKTOK_CREATOR_RENEW_AT_SHARE must be between 0 and 1, got {self.renew_at_share}"
            )

    @property
    def pkce(self) -> str | None:
        """The PKCE challenge encoding the app type needs (desktop and mobile apps), or None (web)."""
        return None if self.app_type == "web" else self.pkce_encoding

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
            app_type=settings.require("TIKTOK_CREATOR_APP_TYPE"),
            pkce_encoding=settings.require("TIKTOK_CREATOR_PKCE_ENCODING"),
            rate_limit_per_minute=settings.int("TIKTOK_CREATOR_RATE_LIMIT_PER_MINUTE"),
            renew_at_share=settings.float("TIKTOK_CREATOR_RENEW_AT_SHARE"),
            timeout_seconds=settings.float("TIKTOK_CREATOR_TIMEOUT_SECONDS"),
            audited=_flag(settings, "TIKTOK_CREATOR_APP_AUDITED"),
            post_inits_per_minute=settings.int("TIKTOK_CREATOR_POST_INITS_PER_MINUTE"),
            posts_per_day=settings.int("TIKTOK_CREATOR_POSTS_PER_DAY"),
            post_chunk_mb=settings.int("TIKTOK_CREATOR_POST_CHUNK_MB"),
            post_lease_seconds=settings.float("TIKTOK_CREATOR_POST_LEASE_SECONDS"),
            post_poll_seconds=settings.float("TIKTOK_CREATOR_POST_POLL_SECONDS"),
        )


def _flag(settings: Settings, name: str) -> bool:
    value = settings.require(name).strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value in ("true", "1", "yes")
