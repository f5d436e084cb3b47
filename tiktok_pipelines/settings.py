"""Every configuration variable of the project, in one place.

Code outside Dagster assets (the CLI, the webhook receiver, the sandbox, `definitions.py` when it builds
resources) reads the environment through `Settings.load()`. Assets never read the environment: they get
configured resources. `VARIABLES` is the documented list; the README's table is checked against it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    # -- the project itself
    Variable(
        "TIKTOK_PIPELINES_ENV",
        "development",
        "`development` (a generated key encrypts secrets, for the demo) or `production` "
        "(TIKTOK_PIPELINES_SECRET_KEY is required).",
    ),
    Variable(
        "TIKTOK_PIPELINES_DATA_DIR",
        ".data",
        "Folder for the embedded stores: state DB, object store, lake, analytics DB, dev key.",
    ),
    Variable(
        "TIKTOK_PIPELINES_DATABASE_URL",
        None,
        "SQLAlchemy URL of the state DB. Default `sqlite:///<data dir>/state.db` (WAL); "
        "`postgresql://user:pass@host/db` in production (opened with psycopg2; shown with its password hidden).",
        secret=True,
    ),
    Variable(
        "TIKTOK_PIPELINES_SECRET_KEY",
        None,
        "Fernet key(s) that encrypt secrets at rest; comma-separated to rotate (the first encrypts, "
        "all decrypt). Generate with `tiktok-pipelines secrets generate-key`.",
        secret=True,
    ),
    Variable(
        "TIKTOK_PIPELINES_STORAGE",
        "local",
        "`local` (folders under the data dir) or `s3` for the object store and the lake.",
    ),
    Variable("TIKTOK_PIPELINES_S3_BUCKET", None, "Bucket of the object store and lake when storage is `s3`."),
    Variable(
        "TIKTOK_PIPELINES_S3_PREFIX",
        "tiktok-pipelines",
        "Key prefix inside the bucket (`<prefix>/objects/...`, `<prefix>/lake/...`).",
    ),
    Variable(
        "TIKTOK_PIPELINES_S3_ENDPOINT_URL",
        None,
        "S3-compatible endpoint (MinIO, moto); empty for AWS. Credentials come from the usual AWS_* "
        "variables or the instance role.",
    ),
    Variable("TIKTOK_PIPELINES_S3_REGION", "us-east-1", "Region of the bucket."),
    Variable("TIKTOK_PIPELINES_FEED_TIMEOUT_SECONDS", "120", "Read timeout of a feed download."),
    Variable(
        "TIKTOK_PIPELINES_FEED_MAX_BYTES",
        str(4 * 1024**3),
        "Largest feed accepted, in bytes (Google's own ceiling is 4 GB).",
    ),
    Variable(
        "TIKTOK_PIPELINES_HTTP_USER_AGENT",
        "tiktok-pipelines/0.1",
        "User-Agent sent to feed servers and APIs.",
    ),
    # -- analytics
    Variable(
        "TIKTOK_PIPELINES_ANALYTICS_DB",
        None,
        "Path of the published analytics DuckDB file. Default `<data dir>/analytics.duckdb`. Builds write a "
        "new file in the same folder and swap it in, so the folder must be writable and have room for two.",
    ),
    Variable(
        "TIKTOK_PIPELINES_ANALYTICS_TIMEZONE",
        "America/Sao_Paulo",
        "Time zone of the `day` and period columns of the analytics tables (timestamps stay UTC).",
    ),
    Variable(
        "TIKTOK_PIPELINES_ANALYTICS_MEMORY_LIMIT",
        "4GB",
        "Memory DuckDB may use while building the analytics database (it spills to disk beyond).",
    ),
    Variable(
        "TIKTOK_PIPELINES_ANALYTICS_FRESH_MINUTES",
        "0",
        "When above 0, `analytics_freshness_sensor` builds the analytics DB at once if it was never built, "
        "and again when its inputs changed and the last build is this many minutes old (the demo: 2).",
    ),
    # -- webhooks and the event queue
    Variable(
        "TIKTOK_PIPELINES_QUEUE",
        "db",
        "Event queue between the webhook receiver and the sensor: `db` (a state DB table) or `sqs`.",
    ),
    Variable(
        "TIKTOK_PIPELINES_SQS_QUEUE_URL",
        None,
        "URL of the SQS queue when the queue is `sqs` (a `.fifo` queue also deduplicates).",
    ),
    Variable("TIKTOK_PIPELINES_SQS_ENDPOINT_URL", None, "SQS-compatible endpoint; empty for AWS."),
    Variable(
        "TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET",
        None,
        "Shared secret VTEX notifications must carry (header `X-Webhook-Secret` or query `secret`).",
        secret=True,
    ),
    Variable(
        "TIKTOK_PIPELINES_WEBHOOK_MAX_BODY_BYTES",
        str(256 * 1024),
        "Largest webhook body accepted; larger ones get 413.",
    ),
    Variable(
        "TIKTOK_PIPELINES_WEBHOOK_MAX_AGE_SECONDS",
        str(24 * 3600),
        "A TikTok webhook whose own `timestamp` is older than this at receipt gets 400 (a replay, or a "
        "clock gone wrong); TikTok's last retry comes about 16 hours after the first delivery.",
    ),
    Variable(
        "TIKTOK_PIPELINES_WEBHOOK_MAX_FUTURE_SECONDS",
        "300",
        "A TikTok webhook whose own `timestamp` is further in the future than this gets 400.",
    ),
    # -- TikTok Shop (Partner API)
    Variable("TIKTOK_APP_KEY", None, "App key of the TikTok Shop partner app."),
    Variable(
        "TIKTOK_APP_SECRET",
        None,
        "App secret of the TikTok Shop partner app; signs requests and verifies webhooks.",
        secret=True,
    ),
    Variable("TIKTOK_SERVICE_ID", None, "Service id of the app, used in the seller authorization URL."),
    Variable("TIKTOK_API_BASE_URL", "https://open-api.tiktokglobalshop.com", "TikTok Shop API host."),
    Variable("TIKTOK_AUTH_BASE_URL", "https://auth.tiktok-shops.com", "TikTok Shop token host."),
    Variable(
        "TIKTOK_AUTHORIZE_URL",
        "https://services.tiktokshop.com/open/authorize",
        "Seller consent page (the US one is https://services.us.tiktokshop.com/open/authorize).",
    ),
    Variable(
        "TIKTOK_RATE_LIMIT_PER_SECOND",
        "50",
        "Requests per second per shop and endpoint the client allows itself.",
    ),
    Variable("TIKTOK_MAX_CONCURRENCY", "8", "Concurrent requests per shop."),
    Variable("TIKTOK_TIMEOUT_SECONDS", "30", "Timeout of one TikTok Shop API or token request."),
    Variable(
        "TIKTOK_API_VERSIONS",
        None,
        "Overrides of the API version per family, e.g. `product=202502,order=202507` (default 202309; "
        "invoice 202502, analytics 202405); each operation uses its newest version not after the family's.",
    ),
    Variable(
        "TIKTOK_PRICE_FIELDS",
        "sale_price",
        "Price of a product answer that holds the price the seller set: `sale_price` or "
        "`tax_exclusive_price` (where tax is added on top), per sales region as `sale_price,US=tax_exclusive_price`.",
    ),
    Variable(
        "TIKTOK_ANALYTICS_FIELDS",
        None,
        "Where the analytics answers carry each figure (their schemas are UNCONFIRMED), as "
        "`report.name=answer_field` overrides, e.g. `shop.buyers=buyer_count,live.list=data.lives` "
        "(docs/analytics.md, shop, video and LIVE performance).",
    ),
    Variable(
        "TIKTOK_LIVE_PERFORMANCE_PATH",
        "/analytics/202409/shop_lives/performance",
        "Path (with its version) of the LIVE performance report: a guess, the reference lists no LIVE endpoint.",
    ),
    Variable(
        "TIKTOK_TOKEN_RENEW_BEFORE_HOURS",
        "72",
        "The token manager refreshes an access token (valid 7 days) once it has less than this left.",
    ),
    Variable(
        "TIKTOK_OAUTH_STATE_TTL_MINUTES",
        "30",
        "How long an authorization link from `tiktok-pipelines oauth url` stays valid.",
    ),
    # -- Mercado Livre (reference/mercado_livre_api.md)
    Variable("MERCADO_LIVRE_APP_ID", None, "Id (client_id) of the Mercado Livre application (DevCenter)."),
    Variable(
        "MERCADO_LIVRE_CLIENT_SECRET",
        None,
        "Secret key of the Mercado Livre application (code exchange and token renewal).",
        secret=True,
    ),
    Variable(
        "MERCADO_LIVRE_REDIRECT_URI",
        None,
        "Redirect URI registered on the application, exactly: `https://<receiver>/oauth/mercado-livre/callback`.",
    ),
    Variable("MERCADO_LIVRE_API_BASE_URL", "https://api.mercadolibre.com", "Mercado Livre API host."),
    Variable(
        "MERCADO_LIVRE_AUTHORIZE_URL",
        "https://auth.mercadolivre.com.br/authorization",
        "Seller consent page (per country; Brazil's by default).",
    ),
    Variable(
        "MERCADO_LIVRE_PKCE",
        "true",
        "Whether consent links carry a PKCE S256 challenge (mandatory once PKCE is enabled on the application).",
    ),
    Variable(
        "MERCADO_LIVRE_RATE_LIMIT_PER_SECOND",
        "10",
        "Calls per second per seller the client allows itself (Mercado Livre publishes no quota).",
    ),
    Variable("MERCADO_LIVRE_MAX_CONCURRENCY", "4", "Calls in flight per seller."),
    Variable("MERCADO_LIVRE_TIMEOUT_SECONDS", "30", "Timeout of one Mercado Livre API or token request."),
    Variable(
        "MERCADO_LIVRE_TOKEN_RENEW_BEFORE_MINUTES",
        "60",
        "A seller's access token (valid 6 hours) is renewed once it has less than this left.",
    ),
    Variable(
        "MERCADO_LIVRE_BILLING_INFO_PATH",
        "/orders/{order_id}/billing_info",
        "Path of an order's billing info, the buyer's CPF or CNPJ (UNCONFIRMED: not in the reference).",
    ),
    # -- Shopee (Open Platform API v2)
    Variable("SHOPEE_PARTNER_ID", None, "Partner id of the Shopee Open Platform app."),
    Variable(
        "SHOPEE_PARTNER_KEY",
        None,
        "Partner key of the Shopee app; signs every call and verifies its pushes.",
        secret=True,
    ),
    Variable(
        "SHOPEE_API_BASE_URL",
        "https://partner.shopeemobile.com",
        "Shopee API host (`https://openplatform.sandbox.test-stable.shopee.sg` for Shopee's sandbox).",
    ),
    Variable(
        "SHOPEE_REDIRECT_URL",
        None,
        "The receiver's Shopee callback (`https://<receiver>/oauth/shopee/callback`) sellers are sent back to.",
    ),
    Variable(
        "SHOPEE_PUSH_URL",
        None,
        "The push callback configured with Shopee (`https://<receiver>/webhooks/shopee`), exactly: the push "
        "signature covers it.",
    ),
    Variable(
        "SHOPEE_RATE_LIMIT_PER_SECOND", "10", "Requests per second per shop the Shopee client allows itself."
    ),
    Variable("SHOPEE_MAX_CONCURRENCY", "4", "Concurrent requests per Shopee shop."),
    Variable("SHOPEE_TIMEOUT_SECONDS", "30", "Timeout of one Shopee API request."),
    # -- TikTok creator accounts (TikTok for Developers: Login Kit, Display API)
    Variable(
        "TIKTOK_CREATOR_CLIENT_KEY", None, "Client key of the TikTok for Developers app creators connect to."
    ),
    Variable(
        "TIKTOK_CREATOR_CLIENT_SECRET",
        None,
        "Client secret of the TikTok for Developers app (token exchange, renewal, revocation).",
        secret=True,
    ),
    Variable(
        "TIKTOK_CREATOR_AUTHORIZE_URL",
        "https://www.tiktok.com/v2/auth/authorize/",
        "Login Kit consent page creators are sent to.",
    ),
    Variable(
        "TIKTOK_CREATOR_API_BASE_URL",
        "https://open.tiktokapis.com",
        "TikTok for Developers API host (`/v2/oauth/token/`, `/v2/user/info/`, `/v2/video/list/`, ...).",
    ),
    Variable(
        "TIKTOK_CREATOR_REDIRECT_URI",
        None,
        "Redirect URI registered on the app, exactly: `https://<receiver>/oauth/tiktok-creator/callback`.",
    ),
    Variable(
        "TIKTOK_CREATOR_SCOPES",
        "user.info.basic,user.info.profile,user.info.stats,video.list",
        "Scopes asked for at consent (a creator may grant fewer; fields of a scope not granted are never asked).",
    ),
    Variable(
        "TIKTOK_CREATOR_APP_TYPE",
        "web",
        "Type of the app on TikTok for Developers: `web` (no PKCE), `desktop` or `mobile` (PKCE on every "
        "consent link and code exchange).",
    ),
    Variable(
        "TIKTOK_CREATOR_PKCE_ENCODING",
        "base64url",
        "How the PKCE challenge is written: `base64url` (RFC 7636 S256) or `hex` (hex SHA-256, as TikTok's "
        "desktop sample is reported to send; unconfirmed).",
    ),
    Variable(
        "TIKTOK_CREATOR_RATE_LIMIT_PER_MINUTE",
        "600",
        "Calls per endpoint in any sliding minute the creator client allows itself (TikTok's Display API limit).",
    ),
    Variable(
        "TIKTOK_CREATOR_RENEW_AT_SHARE",
        "0.25",
        "A creator's access token is renewed once less than this share of the lifetime its token answer gave "
        "is left.",
    ),
    Variable(
        "TIKTOK_CREATOR_STATE_TTL_MINUTES",
        "10",
        "How long a creator's consent link (its `state`) stays valid.",
    ),
    Variable("TIKTOK_CREATOR_TIMEOUT_SECONDS", "30", "Timeout of one TikTok for Developers request."),
    Variable(
        "TIKTOK_CREATOR_APP_AUDITED",
        "false",
        "Whether the app passed TikTok's audit for the Content Posting API: until it has (`false`), every "
        "post goes out as SELF_ONLY, whatever privacy it asked for, and its queue entry says so.",
    ),
    Variable(
        "TIKTOK_CREATOR_POST_INITS_PER_MINUTE",
        "6",
        "Posts (direct or inbox) a creator's token starts in any minute (TikTok's limit); more wait.",
    ),
    Variable(
        "TIKTOK_CREATOR_POSTS_PER_DAY",
        "15",
        "Posts a creator publishes in any 24 hours through the app; more wait (unconfirmed figure).",
    ),
    Variable(
        "TIKTOK_CREATOR_POST_CHUNK_MB",
        "10",
        "Chunk size of a post's upload in MB, kept within TikTok's 5–64 MB (a file under 5 MB goes whole).",
    ),
    Variable(
        "TIKTOK_CREATOR_POST_LEASE_SECONDS",
        "300",
        "How long a publishing run's claim on a post holds: the post of a run that died is resumed by the "
        "next run after this many seconds.",
    ),
    Variable(
        "TIKTOK_CREATOR_POST_POLL_SECONDS",
        "120",
        "How long one run polls a post's status (every 3 s, within TikTok's 30 a minute) before leaving it "
        "to the next run.",
    ),
    Variable(
        "TIKTOK_PIPELINES_API_KEY",
        None,
        "Key of the receiver's creator JSON API (`Authorization: Bearer <key>`); the API answers 503 without it.",
        secret=True,
    ),
    # -- content recommendations (docs/content.md)
    Variable(
        "TIKTOK_PIPELINES_CONTENT_METRIC",
        "engagement_rate",
        "What makes an hour, hashtag or video length best in creators' recommendations: `engagement_rate` "
        "(likes, comments and shares per view) or `avg_views`.",
    ),
    Variable(
        "TIKTOK_PIPELINES_CONTENT_MIN_VIDEOS",
        "3",
        "Videos a posting hour needs before it is recommended (a hashtag or video length needs half, at least 2).",
    ),
    Variable(
        "TIKTOK_PIPELINES_CONTENT_PRODUCT_DAYS",
        "30",
        "A product that sold in the last this many days and that no video of the creator mentioned in them "
        "is recommended for a video.",
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_API_KEY",
        None,
        "Key of the OpenAI-compatible endpoint that writes creators' content ideas; without it the ideas "
        "come from the rules.",
        secret=True,
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_BASE_URL",
        "https://api.openai.com/v1",
        "Base URL of the OpenAI-compatible endpoint (`<base>/chat/completions`).",
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_MODEL",
        "gpt-4o-mini",
        "Model asked for ideas; it must support structured output (`response_format` `json_schema`).",
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_TIMEOUT_SECONDS",
        "60",
        "Timeout of one chat completion; past it, the rules' ideas.",
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_COST_PER_1K_PROMPT_TOKENS",
        "0.00015",
        "Cost of 1,000 prompt tokens, for the cost recorded with each run (gpt-4o-mini's list price in USD; "
        "set your model's).",
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_COST_PER_1K_COMPLETION_TOKENS",
        "0.0006",
        "Cost of 1,000 completion tokens (gpt-4o-mini's list price in USD; set your model's).",
    ),
    Variable(
        "TIKTOK_PIPELINES_LLM_LANGUAGE", "pt-BR", "Language the model writes ideas, scripts and captions in."
    ),
    # -- the project's HTTP receiver (OAuth callback, webhooks)
    Variable(
        "TIKTOK_PIPELINES_RECEIVER_HOST", "127.0.0.1", "Address `tiktok-pipelines webhooks serve` binds."
    ),
    Variable("TIKTOK_PIPELINES_RECEIVER_PORT", "8700", "Port `tiktok-pipelines webhooks serve` listens on."),
    # -- the dashboard
    Variable(
        "TIKTOK_PIPELINES_DASHBOARD_HOST", "127.0.0.1", "Address `tiktok-pipelines dashboard serve` binds."
    ),
    Variable(
        "TIKTOK_PIPELINES_DASHBOARD_PORT", "8706", "Port `tiktok-pipelines dashboard serve` listens on."
    ),
    Variable(
        "TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH",
        None,
        "scrypt hash of the dashboard's password (`tiktok-pipelines dashboard hash-password`); required "
        "outside development, where the dashboard asks for it (its cookie is then sent over HTTPS only).",
        secret=True,
    ),
    # -- notifications (docs/notifications.md)
    Variable(
        "TIKTOK_PIPELINES_DAGSTER_UI_URL",
        "http://127.0.0.1:3000",
        "Base URL of the Dagster UI, for the links to runs and assets in notifications.",
    ),
    Variable(
        "TIKTOK_PIPELINES_NOTIFY_LANGUAGE", "pt", "Language of notifications: `pt` (Portuguese) or `en`."
    ),
    Variable(
        "TIKTOK_PIPELINES_NOTIFY_DIGEST_SECONDS",
        "30",
        "Notifications of one kind for one destination arriving within this many seconds of the first "
        "go out as one digest message.",
    ),
    Variable(
        "TIKTOK_PIPELINES_NOTIFY_MAX_AGE_HOURS",
        "48",
        "A notification not delivered after this many hours of retries is failed (check "
        "`failed_notifications_empty`) until `tiktok-pipelines notifications retry`.",
    ),
    # -- VTEX
    Variable(
        "VTEX_BASE_URL",
        "https://{account}.{environment}.com.br",
        "VTEX core API host template (catalog, logistics, OMS, fulfillment).",
    ),
    Variable("VTEX_PRICING_BASE_URL", "https://api.vtex.com/{account}", "VTEX Pricing v2 host template."),
    Variable(
        "VTEX_LOGISTICS_BASE_URL",
        "https://logistics.vtexcommercestable.com.br/{account}",
        "VTEX batch-inventory host template.",
    ),
    Variable("VTEX_MAX_CONCURRENCY", "8", "Concurrent requests per VTEX account."),
    Variable(
        "VTEX_RATE_LIMIT_PER_SECOND",
        "50",
        "Requests per second per VTEX account the client allows itself (VTEX publishes no limit for "
        "logistics; Pricing writes allow 33/s).",
    ),
    Variable("VTEX_TIMEOUT_SECONDS", "30", "Read timeout of a VTEX request."),
    Variable("VTEX_RETRY_ATTEMPTS", "5", "Attempts per VTEX request on 429, 5xx and network errors."),
    Variable(
        "VTEX_MARKETPLACE_SERVICES_ENDPOINT",
        None,
        "Public base URL of the webhook receiver, for VTEX's callbacks on placed orders (invoices, tracking, "
        "cancellations): each client's orders carry `<this>/vtex/marketplace/<client_id>/<token>` as "
        "`marketplaceServicesEndpoint` (the token is signed with TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET).",
    ),
)

_BY_NAME = {v.name: v for v in VARIABLES}


class ConfigError(RuntimeError):
    """A configuration variable is missing or invalid; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration variables, with defaults applied."""

    values: Mapping[str, str | None]
    given: frozenset[str] = frozenset()  # the variables set in the environment (the others are defaults)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, str | None] = {}
        for var in VARIABLES:
            raw = env.get(var.name)
            values[var.name] = raw if raw not in (None, "") else var.default
        return cls(values, frozenset(v.name for v in VARIABLES if env.get(v.name) not in (None, "")))

    def get(self, name: str) -> str | None:
        if name not in _BY_NAME:
            raise KeyError(f"unknown configuration variable {name}")
        return self.values.get(name)

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise ConfigError(f"{name} is not set. {_BY_NAME[name].help}")
        return value

    def int(self, name: str) -> int:
        value = self.require(name)
        try:
            return int(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc

    def float(self, name: str) -> float:
        value = self.require(name)
        try:
            return float(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number, got {value!r}") from exc

    @property
    def environment(self) -> str:
        env = (self.get("TIKTOK_PIPELINES_ENV") or "development").lower()
        if env not in ("development", "production"):
            raise ConfigError(f"TIKTOK_PIPELINES_ENV must be development or production, got {env!r}")
        return env

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def data_dir(self) -> Path:
        return Path(self.require("TIKTOK_PIPELINES_DATA_DIR")).expanduser().resolve()

    @property
    def database_url(self) -> str:
        return self.get("TIKTOK_PIPELINES_DATABASE_URL") or f"sqlite:///{self.data_dir / 'state.db'}"

    @property
    def database_label(self) -> str:
        """The state DB's URL fit for messages and logs: its password hidden."""
        return redact_database_url(self.database_url)

    def data_dir_origin(self) -> str:
        """How the data dir was chosen, for messages that say where the CLI looked."""
        raw = self.get("TIKTOK_PIPELINES_DATA_DIR")
        if "TIKTOK_PIPELINES_DATA_DIR" not in self.given:
            return f"TIKTOK_PIPELINES_DATA_DIR is not set: the default {raw!r}, in the current folder {Path.cwd()}"
        if not Path(raw or "").expanduser().is_absolute():
            return f"TIKTOK_PIPELINES_DATA_DIR={raw}, relative to the current folder {Path.cwd()}"
        return f"TIKTOK_PIPELINES_DATA_DIR={raw}"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def analytics_db_path(self) -> Path:
        configured = self.get("TIKTOK_PIPELINES_ANALYTICS_DB")
        return Path(configured).expanduser().resolve() if configured else self.data_dir / "analytics.duckdb"

    @property
    def analytics_timezone(self) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        name = self.require("TIKTOK_PIPELINES_ANALYTICS_TIMEZONE")
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"TIKTOK_PIPELINES_ANALYTICS_TIMEZONE must be an IANA time zone such as America/Sao_Paulo, "
                f"got {name!r}"
            ) from None
        return name

    @property
    def dev_key_path(self) -> Path:
        return self.data_dir / "dev-secret.key"


def redact_database_url(url: str) -> str:
    """A SQLAlchemy URL with its password replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unreadable database URL>"


def variables_markdown() -> str:
    """The README's table of configuration variables (`python -m tiktok_pipelines.settings`)."""
    lines = ["| variable | default | what it is |", "|---|---|---|"]
    for var in VARIABLES:
        default = f"`{var.default}`" if var.default else "—"
        secret = " **Secret.**" if var.secret else ""
        lines.append(f"| `{var.name}` | {default} | {var.help.replace('|', '/')}{secret} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(variables_markdown())
