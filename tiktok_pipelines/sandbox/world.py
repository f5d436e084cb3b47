"""The sandbox world: the merchant catalogs and the emulators that serve them, wired together.

`sandbox up` and the demo serve a `SandboxWorld`; tests build one with their own ports. Every emulator
of the world reads the same catalog objects, so the feed, VTEX and TikTok agree on SKUs and prices.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from tiktok_pipelines.sandbox.catalog import Catalog, generate_catalog
from tiktok_pipelines.sandbox.feeds import FeedHost, create_feed_app
from tiktok_pipelines.sandbox.llm import SANDBOX_LLM_KEY, SANDBOX_LLM_MODEL, LlmEmulator, create_llm_app
from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID as ML_SANDBOX_APP_ID
from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_CLIENT_SECRET as ML_SANDBOX_CLIENT_SECRET
from tiktok_pipelines.sandbox.mercado_livre import AppConfig as MercadoLivreAppConfig
from tiktok_pipelines.sandbox.mercado_livre import MercadoLivreEmulator, create_mercado_livre_app
from tiktok_pipelines.sandbox.server import Served, free_port
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_ID as SHOPEE_SANDBOX_PARTNER_ID
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_KEY as SHOPEE_SANDBOX_PARTNER_KEY
from tiktok_pipelines.sandbox.shopee import EmulatorConfig as ShopeeEmulatorConfig
from tiktok_pipelines.sandbox.shopee import ShopeeEmulator, create_shopee_app
from tiktok_pipelines.sandbox.tiktok_creator import (
    SANDBOX_CLIENT_KEY,
    SANDBOX_CLIENT_SECRET,
    CreatorApp,
    TikTokCreatorEmulator,
    create_creator_app,
)
from tiktok_pipelines.sandbox.tiktok_creator import EmulatorConfig as CreatorEmulatorConfig
from tiktok_pipelines.sandbox.tiktok_creator.state import SCOPES as CREATOR_SCOPES
from tiktok_pipelines.sandbox.tiktok_shop import (
    SANDBOX_APP_KEY,
    SANDBOX_APP_SECRET,
    SANDBOX_SERVICE_ID,
    EmulatorConfig,
    TikTokShopEmulator,
    create_tiktok_app,
)
from tiktok_pipelines.sandbox.vtex import VtexEmulator, create_vtex_app

DEMO_CLIENT_ID = "demo"
DEMO_ACCOUNT = "demostore"
DEMO_VTEX_APP_KEY = "vtexappkey-demostore-SANDBOX"
DEMO_VTEX_APP_TOKEN = "sandbox-app-token-demostore"
DEMO_WAREHOUSE = "1_1"
DEMO_SHOP_CODE = "BRDEMO001"
DEMO_VTEX_WEBHOOK_SECRET = "sandbox-vtex-webhook-secret"
TIKTOK_WEBHOOK_PATH = "/webhooks/tiktok"
VTEX_WEBHOOK_PATH = "/webhooks/vtex"
DEMO_SHOP_NAME = "Demo Store (sandbox)"
OAUTH_CALLBACK_PATH = "/oauth/tiktok/callback"
# The demo creator (TikTok for Developers, Login Kit): a desktop app, whose redirect URI may be loopback http.
DEMO_CREATOR = "demo.creator"
DEMO_CREATOR_NAME = "Demo Creator (sandbox)"
CREATOR_OAUTH_CALLBACK_PATH = "/oauth/tiktok-creator/callback"
SHOPEE_PUSH_PATH = "/webhooks/shopee"
SHOPEE_OAUTH_CALLBACK_PATH = "/oauth/shopee/callback"
CREATOR_APP_TYPE = "desktop"
# The demo seller on Mercado Livre (linked to the demo client), the app's redirect URI and callback.
DEMO_ML_SELLER = "DEMOSTORE"
ML_OAUTH_CALLBACK_PATH = "/oauth/mercado-livre/callback"
ML_WEBHOOK_PATH = "/webhooks/mercado-livre"
# The demo store's VTEX affiliate for Mercado Livre (TikTok Shop's is TTS), made when the seller connects.
DEMO_ML_AFFILIATE = "MLB"
# The demo seller's Shopee shop: it consents on the authorization page without a click.
DEMO_SHOPEE_SHOP_ID = 700000001
DEMO_SHOPEE_AFFILIATE = "SHP"  # the affiliate the demo store's VTEX takes Shopee's orders under


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    feeds_port: int = 8701
    tiktok_port: int = 8702
    vtex_port: int = 8703
    creator_port: int = 8705  # TikTok for Developers (Login Kit, Display API) for creator accounts
    llm_port: int = 8709  # an OpenAI-compatible chat-completions endpoint (the content lane's ideas)
    mercado_livre_port: int = 8707  # Mercado Livre (API, authorization page, notifications)
    shopee_port: int = 8708  # Shopee Open Platform v2
    receiver_port: int = 8700  # the project's HTTP receiver (OAuth callback, webhooks)
    sinks_port: int = 8704  # the chat-webhook sink, and the pages listing what the sinks received
    smtp_port: int = 8725  # the local mailbox (SMTP)
    products: int = 120
    seed: int = 42

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"

    @classmethod
    def on_free_ports(cls, **settings: Any) -> SandboxConfig:
        """A config whose every server (each `*_port`) listens on a free loopback port: tests, benchmarks."""
        host = settings.get("host", cls.host)
        ports = {f.name: free_port(host) for f in fields(cls) if f.name.endswith("_port")}
        return cls(**(ports | settings))


@dataclass
class SandboxWorld:
    config: SandboxConfig = field(default_factory=SandboxConfig)
    catalogs: dict[str, Catalog] = field(default_factory=dict)
    feeds: FeedHost | None = None
    vtex: VtexEmulator | None = None
    tiktok: TikTokShopEmulator | None = None
    creator: TikTokCreatorEmulator | None = None
    llm: LlmEmulator = field(default_factory=LlmEmulator)
    mercado_livre: MercadoLivreEmulator | None = None
    shopee: ShopeeEmulator | None = None

    def __post_init__(self) -> None:
        cfg = self.config
        if DEMO_ACCOUNT not in self.catalogs:
            self.catalogs[DEMO_ACCOUNT] = generate_catalog(
                cfg.products, seed=cfg.seed, account=DEMO_ACCOUNT, warehouses=(DEMO_WAREHOUSE,)
            )
        self.feeds = FeedHost(image_base_url=cfg.url(cfg.feeds_port))
        self.feeds.add("demo", self.catalogs[DEMO_ACCOUNT], "rss")
        self.feeds.add("demo-atom", self.catalogs[DEMO_ACCOUNT], "atom")
        self.vtex = VtexEmulator(image_base_url=cfg.url(cfg.feeds_port), public_url=cfg.url(cfg.vtex_port))
        for catalog in self.catalogs.values():
            self.vtex.add_account(catalog)
        self.tiktok = TikTokShopEmulator(
            EmulatorConfig(
                base_url=cfg.url(cfg.tiktok_port),
                redirect_url=cfg.url(cfg.receiver_port) + OAUTH_CALLBACK_PATH,
                webhook_url=cfg.url(cfg.receiver_port) + TIKTOK_WEBHOOK_PATH,
                seed=cfg.seed,
            )
        )
        self.tiktok.add_shop(DEMO_SHOP_CODE, DEMO_SHOP_NAME)
        # The demo creator's videos age 60 times faster than the clock: their analytics move within minutes.
        self.creator = TikTokCreatorEmulator(
            CreatorEmulatorConfig(base_url=cfg.url(cfg.creator_port), growth_speedup=60.0, seed=cfg.seed),
            apps=(
                CreatorApp(
                    app_type=CREATOR_APP_TYPE,
                    redirect_uris=(cfg.url(cfg.receiver_port) + CREATOR_OAUTH_CALLBACK_PATH,),
                    scopes=CREATOR_SCOPES,  # approved for the Display API and Content Posting
                    verified_url_prefixes=(cfg.url(cfg.feeds_port) + "/videos/",),
                ),
            ),
        )
        self.creator.add_creator(DEMO_CREATOR, DEMO_CREATOR_NAME)
        # Mercado Livre's app sends its seller back to the receiver's callback, its notifications to its hook.
        receiver = cfg.url(cfg.receiver_port)
        ml_app = MercadoLivreAppConfig(base_url=cfg.url(cfg.mercado_livre_port), seed=cfg.seed)
        ml_app.redirect_uri, ml_app.callback_url = (
            receiver + ML_OAUTH_CALLBACK_PATH,
            receiver + ML_WEBHOOK_PATH,
        )
        self.mercado_livre = MercadoLivreEmulator(ml_app)
        self.mercado_livre.add_seller(DEMO_ML_SELLER, "Demo Store", "(sandbox)")
        self.shopee = ShopeeEmulator(
            ShopeeEmulatorConfig(
                base_url=cfg.url(cfg.shopee_port),
                push_url=receiver + SHOPEE_PUSH_PATH,
                seed=cfg.seed,
            )
        )
        self.shopee.add_shop(DEMO_SHOPEE_SHOP_ID, DEMO_SHOP_NAME, auto_consent=True)

    @property
    def demo_catalog(self) -> Catalog:
        return self.catalogs[DEMO_ACCOUNT]

    def apps(self) -> list[Served]:
        """The emulators to serve, each on its own port."""
        assert self.feeds is not None and self.vtex is not None and self.tiktok is not None
        assert self.creator is not None and self.mercado_livre is not None and self.shopee is not None
        return [
            Served("feeds", create_feed_app(self.feeds), self.config.feeds_port),
            Served("tiktok", create_tiktok_app(self.tiktok), self.config.tiktok_port),
            Served("vtex", create_vtex_app(self.vtex), self.config.vtex_port),
            Served("creator", create_creator_app(self.creator), self.config.creator_port),
            Served("llm", create_llm_app(self.llm), self.config.llm_port),
            Served(
                "mercado_livre", create_mercado_livre_app(self.mercado_livre), self.config.mercado_livre_port
            ),
            Served("shopee", create_shopee_app(self.shopee), self.config.shopee_port),
        ]

    def urls(self) -> dict[str, str]:
        cfg = self.config
        return {
            "feeds": cfg.url(cfg.feeds_port),
            "tiktok": cfg.url(cfg.tiktok_port),
            "vtex": cfg.url(cfg.vtex_port),
            "creator": cfg.url(cfg.creator_port),
            "llm": cfg.url(cfg.llm_port),
            "mercado_livre": cfg.url(cfg.mercado_livre_port),
            "shopee": cfg.url(cfg.shopee_port),
            "receiver": cfg.url(cfg.receiver_port),
            "mailbox": f"{cfg.url(cfg.sinks_port)}/_sandbox/mail",
            "chat": f"{cfg.url(cfg.sinks_port)}/_sandbox/chat",
        }

    def environment(self) -> dict[str, str]:
        """Configuration variables that point the project at this sandbox (fixed sandbox app credentials)."""
        # One VTEX emulator port serves every account under /{account} (see sandbox.vtex).
        vtex = self.config.url(self.config.vtex_port) + "/{account}"
        tiktok = self.urls()["tiktok"]
        return {
            "VTEX_BASE_URL": vtex,
            "VTEX_PRICING_BASE_URL": vtex,
            "VTEX_LOGISTICS_BASE_URL": vtex,
            "TIKTOK_APP_KEY": SANDBOX_APP_KEY,
            "TIKTOK_APP_SECRET": SANDBOX_APP_SECRET,
            "TIKTOK_SERVICE_ID": SANDBOX_SERVICE_ID,
            "TIKTOK_API_BASE_URL": tiktok,
            "TIKTOK_AUTH_BASE_URL": tiktok,
            "TIKTOK_AUTHORIZE_URL": f"{tiktok}/open/authorize",
            "TIKTOK_PIPELINES_RECEIVER_HOST": self.config.host,
            "TIKTOK_PIPELINES_RECEIVER_PORT": str(self.config.receiver_port),
            "TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET": DEMO_VTEX_WEBHOOK_SECRET,
            # VTEX calls the receiver back with invoices and cancellations of the orders placed.
            "VTEX_MARKETPLACE_SERVICES_ENDPOINT": self.urls()["receiver"],
            # TikTok for Developers: Login Kit's authorize page and the API host, both on the creator emulator.
            "TIKTOK_CREATOR_CLIENT_KEY": SANDBOX_CLIENT_KEY,
            "TIKTOK_CREATOR_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "TIKTOK_CREATOR_APP_TYPE": CREATOR_APP_TYPE,
            "TIKTOK_CREATOR_AUTHORIZE_URL": self.urls()["creator"] + "/v2/auth/authorize/",
            "TIKTOK_CREATOR_API_BASE_URL": self.urls()["creator"],
            "TIKTOK_CREATOR_REDIRECT_URI": self.urls()["receiver"] + CREATOR_OAUTH_CALLBACK_PATH,
            # The content lane's ideas from the chat-completions emulator.
            "TIKTOK_PIPELINES_LLM_API_KEY": SANDBOX_LLM_KEY,
            "TIKTOK_PIPELINES_LLM_BASE_URL": self.urls()["llm"] + "/v1",
            "TIKTOK_PIPELINES_LLM_MODEL": SANDBOX_LLM_MODEL,
            # Mercado Livre: the sandbox application, its authorization page and API on the emulator.
            "MERCADO_LIVRE_APP_ID": ML_SANDBOX_APP_ID,
            "MERCADO_LIVRE_CLIENT_SECRET": ML_SANDBOX_CLIENT_SECRET,
            "MERCADO_LIVRE_REDIRECT_URI": self.urls()["receiver"] + ML_OAUTH_CALLBACK_PATH,
            "MERCADO_LIVRE_API_BASE_URL": self.urls()["mercado_livre"],
            "MERCADO_LIVRE_AUTHORIZE_URL": self.urls()["mercado_livre"] + "/authorization",
            # Shopee Open Platform: the partner app of the sandbox, its pushes and consent back to the receiver.
            "SHOPEE_PARTNER_ID": str(SHOPEE_SANDBOX_PARTNER_ID),
            "SHOPEE_PARTNER_KEY": SHOPEE_SANDBOX_PARTNER_KEY,
            "SHOPEE_API_BASE_URL": self.urls()["shopee"],
            "SHOPEE_REDIRECT_URL": self.urls()["receiver"] + SHOPEE_OAUTH_CALLBACK_PATH,
            "SHOPEE_PUSH_URL": self.urls()["receiver"] + SHOPEE_PUSH_PATH,
        }

    def demo_destinations(self) -> dict[str, str]:
        """The demo client's notification destinations (Apprise URLs): the local mailbox and chat sink."""
        cfg = self.config
        return {
            "email": f"mailto://{cfg.host}:{cfg.smtp_port}?from=pipelines@demo.local&to=ops@demo.local",
            "chat": f"json://{cfg.host}:{cfg.sinks_port}/hooks/demo",
        }

    def demo_client_fields(self) -> dict:
        """Registry fields of the demo client, pointed at this sandbox."""
        return {
            "client_id": DEMO_CLIENT_ID,
            "display_name": "Demo store (sandbox)",
            "feed_url": f"{self.urls()['feeds']}/feeds/demo.xml",
            "vtex_account": DEMO_ACCOUNT,
            "vtex_app_key": DEMO_VTEX_APP_KEY,
            "vtex_app_token": DEMO_VTEX_APP_TOKEN,
            "vtex_warehouse_ids": (DEMO_WAREHOUSE,),
            "vtex_trade_policy": "1",
            "vtex_affiliate_id": "TTS",
            "tiktok_shop_code": DEMO_SHOP_CODE,
            # Each channel's orders go to VTEX under their own affiliate.
            "options": {
                "vtex_affiliates": {"mercado_livre": DEMO_ML_AFFILIATE, "shopee": DEMO_SHOPEE_AFFILIATE}
            },
        }
