"""TikTok creator accounts as a Dagster resource: the TikTok for Developers app (client key and secret,
hosts, redirect URI, scopes, PKCE form, limits) and the lane's context over the state DB."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.defs.resources.secrets import configured_secret, secret_field, secret_value
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.lanes.creators.access import CreatorContext
from tiktok_pipelines.settings import Settings


class TikTokCreators(dg.ConfigurableResource):
    """The TikTok for Developers app creators connect to (Login Kit, Display API): its calls paced to the
    sliding-window limit per endpoint, tokens renewed from the lifetimes TikTok gives, every creator's
    tokens encrypted in the state DB."""

    state: StateStore
    client_key: str | None = Field(default=None, description="Client key (TIKTOK_CREATOR_CLIENT_KEY).")
    client_secret: str | None = secret_field("Client secret (TIKTOK_CREATOR_CLIENT_SECRET), as its variable.")
    authorize_url: str = Field(
        default="https://www.tiktok.com/v2/auth/authorize/", description="Consent page."
    )
    api_base_url: str = Field(default="https://open.tiktokapis.com", description="API and token host.")
    redirect_uri: str | None = Field(default=None, description="Registered redirect URI.")
    scopes: str = Field(
        default="user.info.basic,user.info.profile,user.info.stats,video.list",
        description="Scopes asked for.",
    )
    app_type: str = Field(default="web", description="App type: web, desktop or mobile (PKCE).")
    pkce_encoding: str = Field(default="base64url", description="PKCE challenge: base64url or hex.")
    rate_limit_per_minute: int = Field(default=600, description="Calls per endpoint per sliding minute.")
    renew_at_share: float = Field(
        default=0.25, description="Renew once less than this share of a token's life is left."
    )
    timeout_seconds: float = Field(default=30.0, description="Timeout of one request.")
    audited: bool = Field(
        default=False, description="The app passed TikTok's audit (else posts are SELF_ONLY)."
    )
    post_inits_per_minute: int = Field(default=6, description="Posts a creator starts in any minute.")
    posts_per_day: int = Field(default=15, description="Posts a creator publishes in any 24 hours.")
    post_chunk_mb: int = Field(default=10, description="Upload chunk size in MB (5–64).")
    post_lease_seconds: float = Field(default=300.0, description="How long a run's claim on a post holds.")
    post_poll_seconds: float = Field(default=120.0, description="How long a run polls a post's status.")

    def app(self) -> CreatorApp:
        return CreatorApp.from_settings(
            Settings.load(
                {
                    "TIKTOK_CREATOR_CLIENT_KEY": self.client_key or "",
                    "TIKTOK_CREATOR_CLIENT_SECRET": secret_value(self.client_secret) or "",
                    "TIKTOK_CREATOR_AUTHORIZE_URL": self.authorize_url,
                    "TIKTOK_CREATOR_API_BASE_URL": self.api_base_url,
                    "TIKTOK_CREATOR_REDIRECT_URI": self.redirect_uri or "",
                    "TIKTOK_CREATOR_SCOPES": self.scopes,
                    "TIKTOK_CREATOR_APP_TYPE": self.app_type,
                    "TIKTOK_CREATOR_PKCE_ENCODING": self.pkce_encoding,
                    "TIKTOK_CREATOR_RATE_LIMIT_PER_MINUTE": str(self.rate_limit_per_minute),
                    "TIKTOK_CREATOR_RENEW_AT_SHARE": str(self.renew_at_share),
                    "TIKTOK_CREATOR_TIMEOUT_SECONDS": str(self.timeout_seconds),
                    "TIKTOK_CREATOR_APP_AUDITED": str(self.audited).lower(),
                    "TIKTOK_CREATOR_POST_INITS_PER_MINUTE": str(self.post_inits_per_minute),
                    "TIKTOK_CREATOR_POSTS_PER_DAY": str(self.posts_per_day),
                    "TIKTOK_CREATOR_POST_CHUNK_MB": str(self.post_chunk_mb),
                    "TIKTOK_CREATOR_POST_LEASE_SECONDS": str(self.post_lease_seconds),
                    "TIKTOK_CREATOR_POST_POLL_SECONDS": str(self.post_poll_seconds),
                }
            )
        )

    def context(self) -> CreatorContext:
        return CreatorContext(self.state.db, self.app())

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, env_vars: bool = True) -> TikTokCreators:
        """From the configuration; `env_vars` keeps the secret as a `dg.EnvVar` (for Definitions), False
        puts its value (for code that runs outside Dagster, and tests)."""
        app = CreatorApp.from_settings(settings)
        secret = configured_secret(settings, "TIKTOK_CREATOR_CLIENT_SECRET", env_vars)
        return cls(
            state=state,
            client_key=app.client_key,
            client_secret=secret,
            authorize_url=app.authorize_url,
            api_base_url=app.api_base_url,
            redirect_uri=app.redirect_uri,
            scopes=",".join(app.scopes),
            app_type=app.app_type,
            pkce_encoding=app.pkce_encoding,
            rate_limit_per_minute=app.rate_limit_per_minute,
            renew_at_share=app.renew_at_share,
            timeout_seconds=app.timeout_seconds,
            audited=app.audited,
            post_inits_per_minute=app.post_inits_per_minute,
            posts_per_day=app.posts_per_day,
            post_chunk_mb=app.post_chunk_mb,
            post_lease_seconds=app.post_lease_seconds,
            post_poll_seconds=app.post_poll_seconds,
        )
