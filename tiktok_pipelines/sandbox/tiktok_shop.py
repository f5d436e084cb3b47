"""A strict local emulator of the TikTok Shop Partner API (202309+), its token host and its webhooks.

It serves the paths the project uses and enforces what the platform enforces (reference §1–§6):
signature (106001), app key and timestamp window (36009004), access token validity and expiry
(36009004 / 105002), shop_cipher required or forbidden (106013 / 36009004), unknown path (36009009)
and method (36009010), page sizes, missing warehouses in inventory updates (12019028 inside code 0),
locked prices (12019045), and a token-bucket rate limit per app + shop (+ endpoint) answered with HTTP
429 and code 36009002. State is in memory. Signatures are checked by `tiktok_signing` (written from the
reference, never the client's), query, body and field refusals come from `tiktok_requests`, the route table
(every version served) from `tiktok_routing`, answer shapes from `tiktok_answers`.

Everything a test or the demo needs to drive it is both a Python method of `TikTokShopEmulator` and a
control route under `/_sandbox/` (see `create_tiktok_app`): shops, products seeded from a catalog,
orders moved through statuses, webhooks sent (signed as the platform signs them) with the platform's
retry schedule, compressed by a time factor; switches for latency, errors, 429 bursts, token expiry;
and counters of calls per endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import random
import re
import secrets
import struct
import threading
import time
import uuid
import xml.etree.ElementTree as ET
import zlib
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tiktok_pipelines.core.nfe import cpf_with_check_digits, is_valid_access_key
from tiktok_pipelines.sandbox import tiktok_requests as req
from tiktok_pipelines.sandbox.catalog import Catalog
from tiktok_pipelines.sandbox.tiktok_answers import package_summary, sku_view, without_absent
from tiktok_pipelines.sandbox.tiktok_categories import TikTokCategory, build_category_tree, category_chain
from tiktok_pipelines.sandbox.tiktok_requests import ApiError
from tiktok_pipelines.sandbox.tiktok_routing import ApiRoute, RouteTable
from tiktok_pipelines.sandbox.tiktok_signing import (
    request_signature,
    signature_matches,
    webhook_authorization,
)

log = logging.getLogger(__name__)

SANDBOX_APP_KEY = "sandbox-app-key"
SANDBOX_APP_SECRET = "sandbox-app-secret-not-for-production"
SANDBOX_SERVICE_ID = "7000000000000000001"
NFE_NS = "http://www.portalfiscal.inf.br/nfe"

# The platform's webhook retry schedule after a failed delivery (reference §4; UNCONFIRMED there).
WEBHOOK_RETRY_SCHEDULE = (120.0, 1800.0, 10800.0, 43200.0)
WEBHOOK_TYPES = {
    "ORDER_STATUS_CHANGE": 1,
    "REVERSE_STATUS_UPDATE": 2,
    "RECIPIENT_ADDRESS_UPDATE": 3,
    "PACKAGE_UPDATE": 4,
    "PRODUCT_STATUS_CHANGE": 5,
    "SELLER_DEAUTHORIZATION": 6,
    "UPCOMING_AUTHORIZATION_EXPIRATION": 7,
    "CANCELLATION_STATUS_CHANGE": 11,
    "RETURN_STATUS_CHANGE": 12,
    "INVOICE_STATUS_CHANGE": 36,
}
ORDER_FLOW = ("UNPAID", "AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")
ORDER_TRANSITIONS = {
    "UNPAID": {"ON_HOLD", "AWAITING_SHIPMENT", "CANCELLED"},
    "ON_HOLD": {"AWAITING_SHIPMENT", "CANCELLED"},
    "AWAITING_SHIPMENT": {"AWAITING_COLLECTION", "CANCELLED"},
    "AWAITING_COLLECTION": {"IN_TRANSIT", "CANCELLED"},
    "IN_TRANSIT": {"DELIVERED"},
    "DELIVERED": {"COMPLETED"},
    "COMPLETED": set(),
    "CANCELLED": set(),
}
PRODUCT_STATUSES = (
    "ALL",
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
    "SCHEDULED",
)
_BR_CITIES = (
    ("SP", "São Paulo", "01310-100", "Avenida Paulista, 1578"),
    ("RJ", "Rio de Janeiro", "22021-001", "Avenida Atlântica, 1702"),
    ("MG", "Belo Horizonte", "30130-010", "Rua da Bahia, 1148"),
    ("BA", "Salvador", "40020-000", "Avenida Sete de Setembro, 300"),
    ("PR", "Curitiba", "80010-000", "Rua XV de Novembro, 700"),
    ("RS", "Porto Alegre", "90010-150", "Rua dos Andradas, 1001"),
    ("PE", "Recife", "50030-230", "Avenida Boa Viagem, 2500"),
)
_FIRST = ("Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Heitor", "Isabela", "João")
_LAST = ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Ferreira", "Almeida", "Rocha")


def _now() -> int:
    return int(time.time())


def _new_id(rng: random.Random | None = None) -> str:
    """A 19-digit id, transported as a string like every 64-bit id of the platform."""
    return str((rng or random).randrange(10**18, 9 * 10**18))


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(12052990, f"invalid amount {value!r}") from None
    if not amount.is_finite():
        raise ApiError(12052990, f"invalid amount {value!r}")
    return amount


# ----------------------------------------------------------------------------------------- state
@dataclass
class EmulatorConfig:
    app_key: str = SANDBOX_APP_KEY
    app_secret: str = SANDBOX_APP_SECRET
    service_id: str = SANDBOX_SERVICE_ID
    base_url: str = "http://127.0.0.1:8702"
    # Partner Center settings of the app: where consent redirects and where webhooks go by default.
    redirect_url: str | None = None
    webhook_url: str | None = None
    rate_limit_per_second: float = 50.0
    # "endpoint": one bucket per app + shop + endpoint (the reference's per-API quota); "shop": one per app + shop.
    rate_limit_scope: str = "endpoint"
    access_token_ttl: float = 7 * 86400.0
    refresh_token_ttl: float = 365 * 86400.0
    auth_code_ttl: float = 30 * 60.0
    timestamp_past_s: int = 300
    timestamp_future_s: int = 30
    webhook_retry_schedule: tuple[float, ...] = WEBHOOK_RETRY_SCHEDULE
    # Multiplies every webhook delay: 0.001 turns 2 min / 30 min / 3 h / 12 h into 0.12 s / 1.8 s / 10.8 s / 43.2 s.
    webhook_time_factor: float = 1.0
    webhook_timeout_s: float = 3.0
    # HTTP status of credential errors (106001, 105002, 36009004 on keys/tokens): UNCONFIRMED, 401 reported once.
    auth_error_http_status: int = 401
    # Seconds between an invoice upload and its verdict (webhook 36); the seed says TikTok checks the NF-e
    # with SEFAZ, which takes minutes. 0 decides at once (the webhook still goes out from the sender).
    invoice_review_s: float = 3.0
    # A Brazilian package ships only once its NF-e is accepted (the seed: webhook 36 SUCCESS → ship).
    require_invoice_to_ship: bool = True
    seed: int = 7


@dataclass
class Switches:
    """Fault injection, changed at run time through `/_sandbox/switches`."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of API calls answered with `error_code`
    error_code: int = 36009003
    error_http_status: int = 500
    burst_429: int = 0  # the next N API calls are answered 429 / 36009002
    rate_429: float = 0.0  # share of API calls answered 429 / 36009002, scattered
    timeout_rate: float = 0.0  # share of API calls processed but answered only after `timeout_ms`
    timeout_ms: float = 0.0
    rate_limit_per_second: float | None = None  # overrides the config when set
    rate_limit_enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "error_code": self.error_code,
            "error_http_status": self.error_http_status,
            "burst_429": self.burst_429,
            "rate_429": self.rate_429,
            "timeout_rate": self.timeout_rate,
            "timeout_ms": self.timeout_ms,
            "rate_limit_per_second": self.rate_limit_per_second,
            "rate_limit_enabled": self.rate_limit_enabled,
        }


@dataclass
class Grant:
    token: str
    seller_id: str
    open_id: str
    expires_at: float
    kind: str  # access | refresh
    revoked: bool = False


@dataclass
class Shop:
    id: str
    code: str
    name: str
    cipher: str
    seller_id: str
    region: str = "BR"
    seller_type: str = "LOCAL"
    currency: str = "BRL"
    warehouses: list[dict[str, Any]] = field(default_factory=list)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # package id → latest upload
    invoice_uploads: list[dict[str, Any]] = field(default_factory=list)  # every upload, in order
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancellations: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracking: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    price_locks: set[str] = field(default_factory=set)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_type -> subscription

    @property
    def sales_warehouse_ids(self) -> list[str]:
        return [
            w["id"]
            for w in self.warehouses
            if w["type"] == "SALES_WAREHOUSE" and w["effect_status"] == "ENABLED"
        ]

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "seller_type": self.seller_type,
            "cipher": self.cipher,
            "code": self.code,
        }


@dataclass
class Delivery:
    id: int
    url: str
    body: bytes
    event_type: str
    notification_id: str
    shop_id: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"  # pending | delivered | dropped

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "event_type": self.event_type,
            "type": json.loads(self.body).get("type"),
            "tts_notification_id": self.notification_id,
            "shop_id": self.shop_id,
            "state": self.state,
            "attempts": list(self.attempts),
            "body": json.loads(self.body),
        }


class WebhookSender:
    """Delivers webhooks from a background thread: at once, then after each delay of the retry schedule
    (times the time factor) until a 200, then gives up, as the platform does."""

    def __init__(self, emulator: TikTokShopEmulator):
        self.emulator = emulator
        self.deliveries: list[Delivery] = []
        self._queue: list[tuple[float, int, int]] = []  # (due, seq, delivery index)
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._http: httpx.Client | None = None

    def enqueue(self, url: str, body: bytes, event_type: str, notification_id: str, shop_id: str) -> Delivery:
        with self._cond:
            delivery = Delivery(len(self.deliveries) + 1, url, body, event_type, notification_id, shop_id)
            self.deliveries.append(delivery)
            heapq.heappush(self._queue, (time.monotonic(), next(self._seq), delivery.id - 1))
            self._ensure_thread()
            self._cond.notify_all()
        return delivery

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="tiktok-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._http is not None:
            self._http.close()
            self._http = None

    def pending(self) -> int:
        with self._cond:
            return sum(1 for d in self.deliveries if d.state == "pending")

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = (self._queue[0][0] - time.monotonic()) if self._queue else None
                    self._cond.wait(timeout=timeout)
                if self._stopping:
                    return
                _, _, index = heapq.heappop(self._queue)
                delivery = self.deliveries[index]
            self._attempt(delivery)

    def _attempt(self, delivery: Delivery) -> None:
        cfg = self.emulator.config
        if self._http is None:
            self._http = httpx.Client(timeout=cfg.webhook_timeout_s)
        headers = {
            "Content-Type": "application/json",
            "Authorization": webhook_authorization(cfg.app_key, cfg.app_secret, delivery.body),
            "User-Agent": "TikTokShop-Webhook-Emulator",
        }
        started = time.time()
        try:
            response = self._http.post(delivery.url, content=delivery.body, headers=headers)
            outcome: dict[str, Any] = {"at": started, "status": response.status_code}
            ok = response.status_code == 200
        except httpx.HTTPError as exc:
            outcome = {"at": started, "error": type(exc).__name__}
            ok = False
        with self._cond:
            delivery.attempts.append(outcome)
            if ok:
                delivery.state = "delivered"
                return
            retry_index = len(delivery.attempts) - 1
            if retry_index >= len(cfg.webhook_retry_schedule):
                delivery.state = "dropped"
                return
            delay = cfg.webhook_retry_schedule[retry_index] * cfg.webhook_time_factor
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), delivery.id - 1))
            self._cond.notify_all()


class TikTokShopEmulator:
    """The in-memory platform: sellers and shops, tokens, brands, categories, images, and the simulator."""

    def __init__(self, config: EmulatorConfig | None = None):
        self.config = config or EmulatorConfig()
        self.switches = Switches()
        self.lock = threading.RLock()
        self.rng = random.Random(self.config.seed)
        self.categories: dict[str, TikTokCategory] = build_category_tree()
        self.shops: dict[str, Shop] = {}
        self.brands: dict[str, dict[str, Any]] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, Grant] = {}
        self.calls: Counter = Counter()
        self.answers: Counter = Counter()  # (endpoint, code) -> count
        self.http_429s = 0
        # Arrival times (monotonic) of API calls per endpoint, so tests can measure the rate a client keeps.
        self.arrivals: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=100_000))
        self.buckets: dict[tuple, list[float]] = {}
        self.webhooks = WebhookSender(self)
        self._page_key = secrets.token_bytes(16)
        # Decides an uploaded invoice's verdict: ("SUCCESS"|"INVALID"|"FAILED", reason), or None to leave it
        # PROCESSING until `set_invoice_outcome` is called. The default checks the NF-e as TikTok and SEFAZ
        # would (`review_invoice`); tests replace it to force a verdict.
        self.invoice_processor: Callable[[Shop, dict[str, Any]], tuple[str, str | None] | None] | None = (
            self.review_invoice
        )
        self._invoice_seq = itertools.count(1)
        for name in ("Açaí Sports", "Nike", "Adidas", "Havaianas", "Tramontina", "Natura"):
            self._add_brand(name, authorized=True)

    # ---------------------------------------------------------------- sellers, shops, tokens
    def add_shop(
        self,
        code: str,
        name: str | None = None,
        *,
        seller_id: str | None = None,
        warehouses: int = 2,
        region: str = "BR",
    ) -> Shop:
        """A seller's shop with `warehouses` sales warehouses (and one return warehouse)."""
        with self.lock:
            for shop in self.shops.values():
                if shop.code == code:
                    return shop
            rng = random.Random(f"{self.config.seed}:shop:{code}")
            shop_id = str(rng.randrange(7 * 10**18, 8 * 10**18))
            cipher = "ROW_" + base64.urlsafe_b64encode(
                hashlib.sha256(f"cipher:{shop_id}".encode()).digest()[:24]
            ).decode().rstrip("=")
            shop = Shop(
                id=shop_id,
                code=code,
                name=name or f"Loja {code}",
                cipher=cipher,
                seller_id=seller_id or f"seller-{code.lower()}",
                region=region,
            )
            for i in range(warehouses):
                city = _BR_CITIES[i % len(_BR_CITIES)]
                shop.warehouses.append(
                    {
                        "id": str(rng.randrange(7 * 10**18, 8 * 10**18)),
                        "entity_id": str(rng.randrange(10**15, 10**16)),
                        "name": f"CD {city[1]}",
                        "effect_status": "ENABLED",
                        "type": "SALES_WAREHOUSE",
                        "sub_type": "DOMESTIC_WAREHOUSE",
                        "is_default": i == 0,
                        "address": {
                            "region": "Brasil",
                            "state": city[0],
                            "city": city[1],
                            "postal_code": city[2],
                            "full_address": city[3],
                            "region_code": "BR",
                            "contact_person": "Expedição",
                            "phone_number": "(11) 4000-1000",
                        },
                    }
                )
            shop.warehouses.append(
                {
                    "id": str(rng.randrange(7 * 10**18, 8 * 10**18)),
                    "entity_id": str(rng.randrange(10**15, 10**16)),
                    "name": "Devoluções",
                    "effect_status": "ENABLED",
                    "type": "RETURN_WAREHOUSE",
                    "sub_type": "DOMESTIC_WAREHOUSE",
                    "is_default": False,
                    "address": {
                        "region": "Brasil",
                        "state": "SP",
                        "city": "Barueri",
                        "postal_code": "06454-000",
                        "full_address": "Alameda Rio Negro, 500",
                        "region_code": "BR",
                    },
                }
            )
            self.shops[shop_id] = shop
            return shop

    def shop_by_code(self, code: str) -> Shop:
        with self.lock:
            for shop in self.shops.values():
                if shop.code == code:
                    return shop
        raise KeyError(code)

    def shops_of(self, seller_id: str) -> list[Shop]:
        return [s for s in self.shops.values() if s.seller_id == seller_id]

    def issue_auth_code(self, shop_code: str) -> str:
        """An auth code for the seller of a shop, as consent would produce (single use, 30 min)."""
        shop = self.shop_by_code(shop_code)
        code = "ROW_" + secrets.token_urlsafe(24)
        with self.lock:
            self.auth_codes[code] = {
                "seller_id": shop.seller_id,
                "expires_at": time.time() + self.config.auth_code_ttl,
                "used": False,
            }
        return code

    def _grant_tokens(self, seller_id: str) -> dict[str, Any]:
        now = time.time()
        access = Grant(
            "TTP_" + secrets.token_urlsafe(32),
            seller_id,
            f"open-{seller_id}",
            now + self.config.access_token_ttl,
            "access",
        )
        refresh = Grant(
            "TTP_" + secrets.token_urlsafe(32),
            seller_id,
            f"open-{seller_id}",
            now + self.config.refresh_token_ttl,
            "refresh",
        )
        self.grants[access.token] = access
        self.grants[refresh.token] = refresh
        shops = self.shops_of(seller_id)
        return {
            "access_token": access.token,
            "access_token_expire_in": int(access.expires_at),
            "refresh_token": refresh.token,
            "refresh_token_expire_in": int(refresh.expires_at),
            "open_id": access.open_id,
            "seller_name": shops[0].name if shops else seller_id,
            "seller_base_region": shops[0].region if shops else "BR",
            "user_type": 0,
            "granted_scopes": [
                "seller.product.basic",
                "seller.order.info",
                "seller.fulfillment.basic",
                "seller.logistics",
                "seller.finance.info",
                "seller.authorization.info",
            ],
        }

    def expire_tokens(self, shop_code: str | None = None, kind: str = "access") -> int:
        """Makes tokens (of one shop's seller, or all) expired now; returns how many."""
        with self.lock:
            seller = self.shop_by_code(shop_code).seller_id if shop_code else None
            n = 0
            for grant in self.grants.values():
                if grant.kind == kind and (seller is None or grant.seller_id == seller):
                    grant.expires_at = time.time() - 1
                    n += 1
            return n

    def revoke_tokens(self, shop_code: str | None = None) -> int:
        """Revokes every token (access and refresh) of a seller: refresh fails, re-authorization is needed."""
        with self.lock:
            seller = self.shop_by_code(shop_code).seller_id if shop_code else None
            n = 0
            for grant in self.grants.values():
                if seller is None or grant.seller_id == seller:
                    grant.revoked = True
                    n += 1
            return n

    # ---------------------------------------------------------------------------------- brands
    def _add_brand(self, name: str, authorized: bool = False) -> dict[str, Any]:
        brand = {
            "id": str(7_000_000_000_000_000_000 + zlib_crc(name.casefold())),
            "name": name,
            "authorized_status": "AUTHORIZED" if authorized else "UNAUTHORIEZD",
            "brand_status": "AVAILABLE",
            "is_t1_brand": False,
        }
        self.brands[name.casefold()] = brand
        return brand

    # ------------------------------------------------------------------------------ products
    def seed_products(self, shop: Shop, catalog: Catalog, count: int | None = None) -> list[str]:
        """Lists catalog products on the shop directly (as if published earlier); returns product ids.

        Lets the order simulator and stock tests work before the catalog pipeline has run.
        """
        created = []
        for product in catalog.products[: count if count is not None else len(catalog.products)]:
            brand = self.brands.get(product.brand.name.casefold()) or self._add_brand(product.brand.name)
            leaf = self.categories[SEED_CATEGORY_BY_VTEX_CATEGORY.get(product.category.id, "824330")]
            body = {
                "title": product.name,
                "description": product.description,
                "category_id": leaf.id,
                "brand_id": brand["id"],
                "main_images": [{"uri": self._store_image(b"seeded", "MAIN_IMAGE", 800, 800)["uri"]}],
                "package_weight": {"value": str(product.skus[0].weight_kg), "unit": "KILOGRAM"},
                "package_dimensions": {"length": "30", "width": "20", "height": "10", "unit": "CENTIMETER"},
                "product_attributes": seed_attributes(leaf),
                "certifications": [
                    {"id": c["id"], "images": [{"uri": "seeded"}]}
                    for c in leaf.rules()["product_certifications"]
                ],
                "skus": [
                    {
                        "seller_sku": str(sku.sku_id),
                        "sales_attributes": [{"name": "Cor", "value_name": sku.variant_name}]
                        if len(product.skus) > 1
                        else [],
                        "price": {"amount": str(sku.price), "currency": shop.currency},
                        "list_price": {"amount": str(sku.list_price), "currency": shop.currency},
                        "inventory": [
                            {"warehouse_id": wid, "quantity": sku.available if i == 0 else 0}
                            for i, wid in enumerate(shop.sales_warehouse_ids)
                        ],
                        "identifier_code": {"code": sku.ean, "type": "EAN"},
                    }
                    for sku in product.skus
                ],
                "external_product_id": str(product.product_id),
            }
            with self.lock:
                created.append(self._create_product(shop, body)["product_id"])
        return created

    def _store_image(self, data: bytes, use_case: str, width: int, height: int) -> dict[str, Any]:
        digest = hashlib.sha256(data + use_case.encode()).hexdigest()[:32]
        uri = f"tos-maliva-i-o3syd03w52-us/{digest}"
        image = {
            "uri": uri,
            "url": f"{self.config.base_url}/_sandbox/images/{uri}",
            "width": width,
            "height": height,
            "use_case": use_case,
        }
        self.images[uri] = {**image, "bytes": data}
        return image

    def _validate_product(self, shop: Shop, body: dict[str, Any]) -> list[str]:
        """Every reason the platform would refuse this listing (empty when it passes)."""
        problems: list[str] = []
        title = body.get("title")
        if not isinstance(title, str) or not (1 <= len(title) <= 255):
            problems.append("title must be 1-255 characters")
        if not body.get("description"):
            problems.append("description is required")
        category = self.categories.get(str(body.get("category_id") or ""))
        if category is None:
            problems.append(f"category {body.get('category_id')!r} does not exist")
        elif not category.is_leaf:
            raise ApiError(12052024, f"category {category.id} is not a leaf category")
        elif "AVAILABLE" not in category.permission_statuses:
            problems.append(f"the shop has no permission to list in category {category.id}")
        brand_id = body.get("brand_id")
        if brand_id and not any(b["id"] == str(brand_id) for b in self.brands.values()):
            problems.append(f"brand {brand_id} does not exist")
        images = body.get("main_images") or []
        if not 1 <= len(images) <= 9:
            problems.append("main_images must hold 1 to 9 images")
        for image in images:
            if not isinstance(image, dict) or image.get("uri") not in self.images:
                problems.append(
                    f"image uri {image.get('uri') if isinstance(image, dict) else image!r} was not uploaded"
                )
        weight = body.get("package_weight") or {}
        try:
            if Decimal(str(weight.get("value"))) <= 0 or weight.get("unit") not in ("KILOGRAM", "POUND"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append("package_weight needs a positive value and unit KILOGRAM or POUND")
        if category is not None and category.rules()["package_dimension"]["is_required"]:
            dims = body.get("package_dimensions") or {}
            if not all(dims.get(k) for k in ("length", "width", "height")) or dims.get("unit") not in (
                "CENTIMETER",
                "INCH",
            ):
                problems.append(
                    "package_dimensions (length, width, height, unit) are required in this category"
                )
        if category is not None:
            given = {str(a.get("id")): a for a in body.get("product_attributes") or [] if isinstance(a, dict)}
            for attr in category.attributes:
                if attr["type"] != "PRODUCT_PROPERTY":
                    continue
                value = given.get(attr["id"])
                if attr["is_requried"] and (value is None or not value.get("values")):
                    problems.append(f"required attribute {attr['name']} ({attr['id']}) is missing")
                if value is not None and attr["values"] and not attr["is_customizable"]:
                    allowed = {v["id"] for v in attr["values"]} | {v["name"] for v in attr["values"]}
                    for v in value.get("values") or []:
                        if str(v.get("id") or v.get("name")) not in allowed:
                            problems.append(
                                f"attribute {attr['name']} has no value {v.get('id') or v.get('name')!r}"
                            )
            for cert in category.rules()["product_certifications"]:
                if cert["is_required"] and not any(
                    str(c.get("id")) == cert["id"]
                    for c in body.get("certifications") or []
                    if isinstance(c, dict)
                ):
                    problems.append(
                        f"certification {cert['name']} ({cert['id']}) is required in this category"
                    )
        skus = body.get("skus") or []
        if not 1 <= len(skus) <= 100:
            problems.append("a product needs 1 to 100 skus")
        seen_skus: set[str] = set()
        combos: set[tuple] = set()
        warehouses = set(shop.sales_warehouse_ids)
        for sku in skus:
            seller_sku = str(sku.get("seller_sku") or "")
            if seller_sku:
                if seller_sku in seen_skus:
                    problems.append(f"seller_sku {seller_sku} repeats")
                seen_skus.add(seller_sku)
            price = sku.get("price") or {}
            try:
                if _money(price.get("amount")) <= 0:
                    problems.append(f"sku {seller_sku}: price must be positive")
            except ApiError:
                problems.append(f"sku {seller_sku}: price amount {price.get('amount')!r} is not a number")
            if price.get("currency") != shop.currency:
                problems.append(f"sku {seller_sku}: currency must be {shop.currency}")
            inventory = sku.get("inventory") or []
            if not inventory:
                problems.append(f"sku {seller_sku}: inventory is required")
            for inv in inventory:
                if str(inv.get("warehouse_id")) not in warehouses:
                    problems.append(
                        f"sku {seller_sku}: warehouse {inv.get('warehouse_id')} is not a sales warehouse of the shop"
                    )
                if not isinstance(inv.get("quantity"), int) or not 0 <= inv["quantity"] <= 99_999:
                    problems.append(f"sku {seller_sku}: quantity must be an integer from 0 to 99999")
            combo = tuple(
                sorted(
                    (str(a.get("id") or a.get("name")), str(a.get("value_id") or a.get("value_name")))
                    for a in sku.get("sales_attributes") or []
                )
            )
            if len(skus) > 1 and not combo:
                problems.append(
                    f"sku {seller_sku}: sales_attributes are required when a product has several skus"
                )
            if combo and combo in combos:
                problems.append(f"sku {seller_sku}: repeats the sales attributes of another sku")
            combos.add(combo)
        return problems

    def _build_skus(
        self, shop: Shop, skus: list[dict[str, Any]], old: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        by_seller_sku = {s["seller_sku"]: s for s in old or []}
        by_id = {s["id"]: s for s in old or []}
        out = []
        for sku in skus:
            previous = by_id.get(str(sku.get("id") or "")) or by_seller_sku.get(
                str(sku.get("seller_sku") or "")
            )
            sku_id = previous["id"] if previous else _new_id(self.rng)
            attrs = [
                {
                    "id": str(a.get("id") or _vid_name(a.get("name"))),
                    "name": a.get("name") or "",
                    "value_id": str(a.get("value_id") or _vid_name(a.get("value_name"))),
                    "value_name": a.get("value_name") or "",
                }
                for a in sku.get("sales_attributes") or []
            ]
            out.append(
                {
                    "id": sku_id,
                    "seller_sku": str(sku.get("seller_sku") or ""),
                    "external_sku_id": sku.get("external_sku_id") or "",
                    "price": _stored_price(sku["price"], _money(sku["price"]["amount"])),
                    "list_price": sku.get("list_price") or {},
                    "inventory": [
                        {"warehouse_id": str(i["warehouse_id"]), "quantity": int(i["quantity"])}
                        for i in sku.get("inventory") or []
                    ],
                    "committed": {},
                    "sales_attributes": attrs,
                    "identifier_code": sku.get("identifier_code") or {},
                }
            )
        return out

    def _create_product(self, shop: Shop, body: dict[str, Any]) -> dict[str, Any]:
        key = body.get("idempotency_key")
        if key and key in shop.idempotency and shop.idempotency[key] in shop.products:
            return self._create_answer(shop.products[shop.idempotency[key]])
        problems = self._validate_product(shop, body)
        if problems:
            raise ApiError(12052990, "product check failed: " + "; ".join(problems))
        now = _now()
        product_id = _new_id(self.rng)
        brand = next((b for b in self.brands.values() if b["id"] == str(body.get("brand_id"))), None)
        product = {
            "id": product_id,
            "title": body["title"],
            "description": body["description"],
            "status": "DRAFT" if body.get("save_mode") == "AS_DRAFT" else "ACTIVATE",
            "category_id": str(body["category_id"]),
            "brand": {"id": brand["id"], "name": brand["name"]} if brand else None,
            "main_images": [self._image_view(i["uri"]) for i in body["main_images"]],
            "skus": self._build_skus(shop, body["skus"]),
            "product_attributes": body.get("product_attributes") or [],
            "certifications": body.get("certifications") or [],
            "package_weight": body.get("package_weight"),
            "package_dimensions": body.get("package_dimensions"),
            "external_product_id": body.get("external_product_id") or "",
            "is_cod_allowed": bool(body.get("is_cod_allowed", False)),
            "create_time": now,
            "update_time": now,
            "audit": {"status": "APPROVED"},
            "sales_regions": [shop.region],
        }
        shop.products[product_id] = product
        if key:
            shop.idempotency[key] = product_id
        return self._create_answer(product)

    @staticmethod
    def _create_answer(product: dict[str, Any]) -> dict[str, Any]:
        return {
            "product_id": product["id"],
            "skus": [
                {
                    "id": s["id"],
                    "seller_sku": s["seller_sku"],
                    "external_sku_id": s["external_sku_id"],
                    "sales_attributes": [
                        {"id": a["id"], "value_id": a["value_id"]} for a in s["sales_attributes"]
                    ],
                }
                for s in product["skus"]
            ],
            "warnings": [],
        }

    def _image_view(self, uri: str) -> dict[str, Any]:
        image = self.images[uri]
        return {
            "uri": uri,
            "urls": [image["url"]],
            "thumb_urls": [image["url"]],
            "width": image["width"],
            "height": image["height"],
        }

    def _product_view(self, product: dict[str, Any], shop: Shop) -> dict[str, Any]:
        """A product as get product answers it: absent objects (no brand, no dimensions) are left out."""
        view = without_absent({k: v for k, v in product.items() if k != "category_id"})
        view["category_chains"] = category_chain(self.categories, product["category_id"])
        view["skus"] = [sku_view(s) for s in product["skus"]]
        return view

    def product_of(self, shop: Shop, product_id: str) -> dict[str, Any]:
        product = shop.products.get(str(product_id))
        if product is None or product["status"] == "DELETED":
            raise ApiError(12052032, f"product {product_id} not found")
        return product

    # -------------------------------------------------------------------------------- orders
    def create_orders(
        self,
        shop_code: str,
        count: int = 1,
        *,
        status: str = "AWAITING_SHIPMENT",
        sku_ids: list[str] | None = None,
        items_per_order: int | None = None,
        create_time: int | None = None,
    ) -> list[str]:
        """Buyers place `count` orders of the shop's live products (stock is taken), then each order walks
        UNPAID → ... → `status`, a webhook per step. Returns the order ids."""
        if status not in ORDER_TRANSITIONS:
            raise ValueError(f"unknown order status {status}")
        ids = []
        with self.lock:
            shop = self.shop_by_code(shop_code)
            for _ in range(count):
                order = self._place_order(shop, sku_ids, items_per_order, create_time)
                ids.append(order["id"])
        for order_id in ids:
            if status == "UNPAID":
                continue
            for step in _path_to(status):
                self.set_order_status(order_id, step)
        return ids

    def _place_order(
        self, shop: Shop, sku_ids: list[str] | None, items_per_order: int | None, create_time: int | None
    ) -> dict[str, Any]:
        candidates = [
            (p, s)
            for p in shop.products.values()
            if p["status"] == "ACTIVATE"
            for s in p["skus"]
            if (not sku_ids or s["id"] in sku_ids or s["seller_sku"] in sku_ids)
            and sum(i["quantity"] for i in s["inventory"]) > 0
        ]
        if not candidates:
            raise ValueError(f"shop {shop.code} has no live product with stock to order")
        rng = self.rng
        n_items = items_per_order or rng.choice((1, 1, 1, 2, 2, 3))
        picks = [rng.choice(candidates) for _ in range(n_items)]
        now = create_time or _now()
        order_id = str(rng.randrange(576 * 10**15, 577 * 10**15))
        package_id = _new_id(rng)
        state, city, cep, street = rng.choice(_BR_CITIES)
        buyer = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        warehouse_id = shop.sales_warehouse_ids[0]
        line_items = []
        subtotal = Decimal("0")
        for product, sku in picks:
            # One line item per unit, as the platform does; stock leaves the first warehouse that has it.
            inv = next(i for i in sku["inventory"] if i["quantity"] > 0)
            inv["quantity"] -= 1
            sku["committed"][inv["warehouse_id"]] = sku["committed"].get(inv["warehouse_id"], 0) + 1
            warehouse_id = inv["warehouse_id"]
            price = Decimal(sku["price"]["amount"])
            original = Decimal((sku.get("list_price") or {}).get("amount") or price)
            subtotal += price
            line_items.append(
                {
                    "id": _new_id(rng),
                    "sku_id": sku["id"],
                    "product_id": product["id"],
                    "product_name": product["title"],
                    "seller_sku": sku["seller_sku"],
                    "sku_name": ", ".join(a["value_name"] for a in sku["sales_attributes"]) or "Padrão",
                    "sku_image": product["main_images"][0]["urls"][0] if product["main_images"] else "",
                    "sale_price": str(price),
                    "original_price": str(max(original, price)),
                    "seller_discount": str(max(original - price, Decimal("0"))),
                    "platform_discount": "0",
                    "currency": shop.currency,
                    "display_status": "UNPAID",
                    "package_id": package_id,
                    "package_status": "TO_FULFILL",
                    "tracking_number": "",
                    "shipping_provider_name": "",
                    "is_gift": False,
                }
            )
        shipping = Decimal(rng.choice(("0", "9.90", "14.90", "19.90")))
        order = {
            "id": order_id,
            "status": "UNPAID",
            "create_time": now,
            "update_time": now,
            "paid_time": None,
            "user_id": str(rng.randrange(10**17, 10**18)),
            "buyer_email": f"{buyer.split()[0].lower()}.{order_id[-6:]}@scs.tiktokw.us",
            "buyer_message": "",
            "shipping_type": "TIKTOK",
            "fulfillment_type": "FULFILLMENT_BY_SELLER",
            "delivery_option_id": "7091146663229785857",
            "delivery_option_name": "Padrão",
            "warehouse_id": warehouse_id,
            "tracking_number": "",
            "shipping_provider": "",
            "shipping_provider_id": "",
            "is_cod": False,
            "is_on_hold_order": False,
            "is_sample_order": False,
            "cancel_reason": "",
            "cancellation_initiator": "",
            "rts_sla_time": now + 2 * 86400,
            "tts_sla_time": now + 5 * 86400,
            "recipient_address": {
                "name": buyer,
                "phone_number": f"(+55)11{rng.randrange(90000000, 99999999)}",
                "postal_code": cep,
                "full_address": f"{street}, {city}, {state}, {cep}",
                "address_detail": f"Apto {rng.randrange(1, 200)}",
                "address_line1": street,
                "address_line2": "",
                "region_code": "BR",
                "district_info": [
                    {"address_level_name": "Country", "address_name": "Brasil", "address_level": "L0"},
                    {"address_level_name": "State", "address_name": state, "address_level": "L1"},
                    {"address_level_name": "City", "address_name": city, "address_level": "L2"},
                ],
            },
            "payment": {
                "currency": shop.currency,
                "sub_total": str(subtotal),
                "shipping_fee": str(shipping),
                "seller_discount": str(sum(Decimal(li["seller_discount"]) for li in line_items)),
                "platform_discount": "0",
                "tax": "0",
                "total_amount": str(subtotal + shipping),
                "original_total_product_price": str(sum(Decimal(li["original_price"]) for li in line_items)),
                "original_shipping_fee": str(shipping),
            },
            "line_items": line_items,
            "packages": [{"id": package_id}],
            "cpf": cpf_with_check_digits(f"{rng.randrange(10**8, 10**9)}"),
        }
        shop.orders[order_id] = order
        shop.packages[package_id] = {
            "package_id": package_id,
            "package_status": "TO_FULFILL",
            "tracking_number": "",
            "shipping_provider_id": "",
            "shipping_provider_name": "",
            "orders": [{"id": order_id, "skus": [{"id": li["sku_id"], "quantity": 1} for li in line_items]}],
            "order_line_item_ids": [li["id"] for li in line_items],
            "handover_method": None,
            "create_time": now,
            "update_time": now,
        }
        shop.tracking[order_id] = [{"description": "Pedido realizado", "update_time_millis": now * 1000}]
        return order

    def _shop_of_order(self, order_id: str) -> tuple[Shop, dict[str, Any]]:
        for shop in self.shops.values():
            if order_id in shop.orders:
                return shop, shop.orders[order_id]
        raise KeyError(order_id)

    def set_order_status(
        self, order_id: str, status: str, *, cancelled_by: str = "BUYER", cancel_reason: str | None = None
    ) -> dict[str, Any]:
        """Moves an order one allowed step (cancellation restores stock); sends ORDER_STATUS_CHANGE."""
        with self.lock:
            shop, order = self._shop_of_order(order_id)
            current = order["status"]
            if status == current:
                return order
            if status not in ORDER_TRANSITIONS.get(current, set()):
                raise ValueError(f"order {order_id} cannot go from {current} to {status}")
            now = _now()
            order["status"] = status
            order["update_time"] = now
            order["is_on_hold_order"] = status == "ON_HOLD"
            if status in ("AWAITING_SHIPMENT", "ON_HOLD") and not order["paid_time"]:
                order["paid_time"] = now
            display = {
                "AWAITING_SHIPMENT": "TO_SHIP",
                "AWAITING_COLLECTION": "TO_SHIP",
                "IN_TRANSIT": "SHIPPED",
                "DELIVERED": "DELIVERED",
                "COMPLETED": "COMPLETED",
                "CANCELLED": "CANCELLED",
            }.get(status, status)
            for li in order["line_items"]:
                li["display_status"] = display
            package = shop.packages.get(order["packages"][0]["id"])
            package_before = package["package_status"] if package else None
            if status == "AWAITING_COLLECTION" and package and package["package_status"] == "TO_FULFILL":
                # Moved by the simulator rather than by a ship call: the platform's carrier takes it.
                package.update(
                    package_status="PROCESSING",
                    tracking_number="BR" + str(self.rng.randrange(10**11, 10**12)) + "TT",
                    shipping_provider_id="7117858858072016686",
                    shipping_provider_name="J&T Express Brasil",
                    handover_method="PICKUP",
                )
                order.update(
                    tracking_number=package["tracking_number"],
                    shipping_provider=package["shipping_provider_name"],
                    shipping_provider_id=package["shipping_provider_id"],
                )
            if status == "CANCELLED":
                self._cancel(shop, order, now, cancelled_by, cancel_reason)
                if package:
                    package["package_status"] = "CANCELLED"
            elif package and status in ("IN_TRANSIT", "DELIVERED", "COMPLETED"):
                package["package_status"] = (
                    "COMPLETED" if status in ("DELIVERED", "COMPLETED") else "FULFILLING"
                )
                shop.tracking[order_id].append(
                    {
                        "description": {
                            "IN_TRANSIT": "Em trânsito",
                            "DELIVERED": "Entregue",
                            "COMPLETED": "Concluído",
                        }[status],
                        "update_time_millis": now * 1000,
                    }
                )
            if package:
                package["update_time"] = now
                for li in order["line_items"]:
                    li["package_status"] = package["package_status"]
                if package["package_status"] != package_before:
                    self.emit(
                        shop,
                        "PACKAGE_UPDATE",
                        {
                            "sc_type": "ONLINE",
                            "role_type": "SELLER",
                            "package_list": [{"package_id": package["package_id"], "order_id": order_id}],
                            "update_time": now,
                        },
                    )
            self.emit(
                shop,
                "ORDER_STATUS_CHANGE",
                {
                    "order_id": order_id,
                    # The webhook spells cancellation CANCEL (reference §3).
                    "order_status": "CANCEL" if status == "CANCELLED" else status,
                    "is_on_hold_order": order["is_on_hold_order"],
                    "update_time": now,
                },
            )
            return order

    def seller_cancel(self, order_id: str, cancel_reason: str) -> dict[str, Any]:
        """The seller cancels an order not yet handed to a carrier (`POST .../cancellations`)."""
        with self.lock:
            _, order = self._shop_of_order(order_id)
            if order["status"] not in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
                raise ApiError(
                    21023002,
                    f"order {order_id} in status {order['status']} can no longer be cancelled by the seller",
                )
            self.set_order_status(order_id, "CANCELLED", cancelled_by="SELLER", cancel_reason=cancel_reason)
            shop, _ = self._shop_of_order(order_id)
            return next(c for c in reversed(shop.cancellations.values()) if c["order_id"] == order_id)

    def _cancel(
        self, shop: Shop, order: dict[str, Any], now: int, role: str = "BUYER", reason: str | None = None
    ) -> None:
        for li in order["line_items"]:
            product = shop.products.get(li["product_id"])
            sku = next((s for s in product["skus"] if s["id"] == li["sku_id"]), None) if product else None
            if sku is None:
                continue
            wid = next((w for w, n in sku["committed"].items() if n > 0), None)
            if wid is not None:
                sku["committed"][wid] -= 1
                for inv in sku["inventory"]:
                    if inv["warehouse_id"] == wid:
                        inv["quantity"] += 1
        order["cancel_reason"] = reason or "Comprador desistiu da compra"
        order["cancellation_initiator"] = role
        cancel_id = _new_id(self.rng)
        shop.cancellations[cancel_id] = {
            "cancel_id": cancel_id,
            "order_id": order["id"],
            "cancel_type": "BUYER_CANCEL" if role == "BUYER" else "CANCEL",
            "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
            "role": role,
            "cancel_reason_text": order["cancel_reason"],
            "refund_amount": {"currency": shop.currency, "refund_total": order["payment"]["total_amount"]},
            "cancel_line_items": [
                {"order_line_item_id": li["id"], "sku_id": li["sku_id"]} for li in order["line_items"]
            ],
            "create_time": now,
            "update_time": now,
        }
        self.emit(
            shop,
            "CANCELLATION_STATUS_CHANGE",
            {
                "order_id": order["id"],
                "cancellations_role": role,
                "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
                "cancel_id": cancel_id,
                "create_time": now,
            },
        )

    def autopilot_step(self, shop_code: str) -> dict[str, Any]:
        """One tick of the demo's buyers: a new order when the shop has live stock, and one older order
        moved a step along (paid → collected → in transit → delivered → completed, now and then a cancel)."""
        done: dict[str, Any] = {"created": None, "moved": None}
        with self.lock:
            shop = self.shop_by_code(shop_code)
            movable = [
                o
                for o in shop.orders.values()
                if o["status"] not in ("COMPLETED", "CANCELLED", "AWAITING_SHIPMENT")
            ]
            waiting = [o for o in shop.orders.values() if o["status"] == "AWAITING_SHIPMENT"]
        with contextlib.suppress(ValueError):  # nothing listed with stock yet
            done["created"] = self.create_orders(shop_code, 1, status="AWAITING_SHIPMENT")[0]
        rng = self.rng
        if waiting and rng.random() < 0.1:
            order = rng.choice(waiting)
            self.set_order_status(order["id"], "CANCELLED")
            done["moved"] = (order["id"], "CANCELLED")
        elif movable:
            order = min(movable, key=lambda o: o["update_time"])
            nxt = {
                "UNPAID": "AWAITING_SHIPMENT",
                "ON_HOLD": "AWAITING_SHIPMENT",
                "AWAITING_COLLECTION": "IN_TRANSIT",
                "IN_TRANSIT": "DELIVERED",
                "DELIVERED": "COMPLETED",
            }.get(order["status"])
            if nxt:
                self.set_order_status(order["id"], nxt)
                done["moved"] = (order["id"], nxt)
        return done

    def start_autopilot(self, shop_code: str, interval_s: float) -> None:
        """Runs `autopilot_step` every `interval_s` seconds in a background thread until stopped."""
        self.stop_autopilot()
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval_s):
                try:
                    self.autopilot_step(shop_code)
                except Exception:  # the demo's buyers must not die with one bad tick
                    log.exception("sandbox autopilot tick failed")

        self._autopilot = (stop, threading.Thread(target=loop, name="tiktok-autopilot", daemon=True))
        self._autopilot[1].start()

    def stop_autopilot(self) -> None:
        current = getattr(self, "_autopilot", None)
        if current is not None:
            current[0].set()
            current[1].join(timeout=5)
            self._autopilot = None

    def request_return(self, order_id: str, return_type: str = "RETURN_AND_REFUND") -> str:
        """The buyer asks to return a delivered order; sends RETURN_STATUS_CHANGE. Returns the return id."""
        with self.lock:
            shop, order = self._shop_of_order(order_id)
            if order["status"] not in ("DELIVERED", "COMPLETED"):
                raise ValueError(
                    f"order {order_id} is {order['status']}: only delivered orders can be returned"
                )
            now = _now()
            return_id = _new_id(self.rng)
            shop.returns[return_id] = {
                "return_id": return_id,
                "order_id": order_id,
                "return_type": return_type,
                "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
                "role": "BUYER",
                "return_reason_text": "Produto diferente do anunciado",
                "refund_amount": {"currency": shop.currency, "refund_total": order["payment"]["sub_total"]},
                "return_line_items": [
                    {
                        "order_line_item_id": li["id"],
                        "sku_id": li["sku_id"],
                        "seller_sku": li["seller_sku"],
                        "product_name": li["product_name"],
                        "refund_amount": {"currency": shop.currency, "refund_total": li["sale_price"]},
                    }
                    for li in order["line_items"]
                ],
                "create_time": now,
                "update_time": now,
            }
            self.emit(
                shop,
                "RETURN_STATUS_CHANGE",
                {
                    "order_id": order_id,
                    "return_role": "BUYER",
                    "return_type": return_type,
                    "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
                    "return_id": return_id,
                    "create_time": now,
                    "update_time": now,
                },
            )
            return return_id

    def update_address(self, order_id: str, full_address: str) -> None:
        """The buyer changes the delivery address; sends RECIPIENT_ADDRESS_UPDATE."""
        with self.lock:
            shop, order = self._shop_of_order(order_id)
            order["recipient_address"]["full_address"] = full_address
            order["update_time"] = _now()
            self.emit(
                shop, "RECIPIENT_ADDRESS_UPDATE", {"order_id": order_id, "update_time": order["update_time"]}
            )

    def set_invoice_outcome(
        self, package_id: str, status: str, reason: str | None = None, seq: int | None = None
    ) -> dict[str, Any]:
        """Decides an uploaded invoice (SUCCESS / FAILED / INVALID) and sends INVOICE_STATUS_CHANGE (36).
        With `seq`, only if that upload is still the package's latest (a re-upload replaces it)."""
        with self.lock:
            for shop in self.shops.values():
                invoice = shop.invoices.get(package_id)
                if invoice is not None:
                    if seq is not None and invoice["seq"] != seq:
                        return invoice
                    invoice.update(invoice_status=status, invalid_reason=reason, update_time=_now())
                    self.emit(
                        shop,
                        "INVOICE_STATUS_CHANGE",
                        {
                            "package_id": package_id,
                            "order_ids": invoice["order_ids"],
                            "invoice_status": status,
                            "invalid_reason": reason,
                        },
                    )
                    return invoice
        raise KeyError(package_id)

    def accept_invoice(
        self, shop: Shop, package_id: str, order_ids: list[str], content: bytes
    ) -> dict[str, Any]:
        """Stores an upload (PROCESSING) and has `invoice_processor` decide its verdict after
        `invoice_review_s`."""
        record = {
            "package_id": package_id,
            "order_ids": order_ids,
            "invoice_status": "PROCESSING",
            "invalid_reason": None,
            "size_bytes": len(content),
            "xml": content,
            "sha256": hashlib.sha256(content).hexdigest(),
            "seq": next(self._invoice_seq),
            "upload_time": _now(),
            "update_time": _now(),
        }
        shop.invoices[package_id] = record
        shop.invoice_uploads.append({k: v for k, v in record.items() if k != "xml"})
        processor = self.invoice_processor
        if processor is None:
            return record

        def decide(seq: int = record["seq"]) -> None:
            with self.lock:
                current = shop.invoices.get(package_id)
                if current is None or current["seq"] != seq:
                    return
                verdict = processor(shop, current)
            if verdict is not None:
                self.set_invoice_outcome(package_id, verdict[0], verdict[1], seq=seq)

        if self.config.invoice_review_s <= 0:
            decide()
        else:
            timer = threading.Timer(self.config.invoice_review_s, decide)
            timer.daemon = True
            timer.start()
        return record

    def refuse_invoice(
        self, shop: Shop, package_id: str, order_ids: list[str], content: bytes, reason: str
    ) -> None:
        """An upload refused at once: logged, the package's invoice left as it was, and an INVALID webhook
        36 sent, as the seed's sequence shows for an upload error."""
        shop.invoice_uploads.append(
            {
                "package_id": package_id,
                "order_ids": order_ids,
                "invoice_status": "INVALID",
                "invalid_reason": reason,
                "size_bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "upload_time": _now(),
            }
        )
        self.emit(
            shop,
            "INVOICE_STATUS_CHANGE",
            {
                "package_id": package_id,
                "order_ids": order_ids,
                "invoice_status": "INVALID",
                "invalid_reason": reason,
            },
        )

    def review_invoice(self, shop: Shop, invoice: dict[str, Any]) -> tuple[str, str | None]:
        """TikTok's (and SEFAZ's) verdict on an accepted NF-e: INVALID with a reason, or SUCCESS."""
        try:
            root = ET.fromstring(invoice["xml"])
        except ET.ParseError:
            return "INVALID", "INVALID_XML"
        ns = {"n": NFE_NS}
        inf = root.find(".//n:infNFe", ns)
        prot = root.find("n:protNFe/n:infProt", ns)
        if inf is None:
            return "INVALID", "INVALID_XML"
        if prot is None or (prot.findtext("n:cStat", "", ns) or "").strip() not in ("100", "150"):
            return "INVALID", "NOT_AUTHORIZED"
        key = (inf.get("Id") or "").removeprefix("NFe")
        if not is_valid_access_key(key) or (prot.findtext("n:chNFe", "", ns) or "").strip() != key:
            return "INVALID", "INVALID_ACCESS_KEY"
        tot = inf.find("n:total/n:ICMSTot", ns)

        def cents(tag: str) -> int:
            text = tot.findtext(f"n:{tag}", "0", ns) if tot is not None else "0"
            return int((_money(text or "0") * 100).to_integral_value())

        parts = sum(cents(t) for t in ("vProd", "vST", "vFCPST", "vFrete", "vSeg", "vOutro", "vII", "vIPI"))
        if tot is None or cents("vNF") not in (
            parts - cents("vDesc"),
            parts - cents("vDesc") - cents("vICMSDeson"),
        ):
            return "INVALID", "TOTAL_MISMATCH"
        buyer = re.sub(
            r"\D", "", inf.findtext("n:dest/n:CPF", "", ns) or inf.findtext("n:dest/n:CNPJ", "", ns)
        )
        for order_id in invoice["order_ids"]:
            order = shop.orders.get(order_id) or {}
            if order.get("cpf") and re.sub(r"\D", "", order["cpf"]) != buyer:
                return "INVALID", "BUYER_MISMATCH"
        for other in shop.invoices.values():
            if (
                other["package_id"] != invoice["package_id"]
                and other["invoice_status"] == "SUCCESS"
                and other.get("access_key") == key
            ):
                return "INVALID", "DUPLICATE_INVOICE"
        invoice["access_key"] = key
        return "SUCCESS", None

    # ------------------------------------------------------------------------------ webhooks
    def emit(self, shop: Shop, event_type: str, data: dict[str, Any]) -> Delivery | None:
        """Sends a webhook of `event_type` to the shop's subscription (or the app's default URL)."""
        subscription = shop.webhooks.get(event_type)
        url = subscription["address"] if subscription else self.config.webhook_url
        if not url:
            return None
        notification_id = str(self.rng.randrange(7 * 10**18, 8 * 10**18))
        body = json.dumps(
            {
                "type": WEBHOOK_TYPES[event_type],
                "tts_notification_id": notification_id,
                "shop_id": shop.id,
                "timestamp": _now(),
                "data": data,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        return self.webhooks.enqueue(url, body, event_type, notification_id, shop.id)

    # -------------------------------------------------------------------------- rate limits
    def _take_token(self, key: tuple) -> bool:
        rate = self.switches.rate_limit_per_second or self.config.rate_limit_per_second
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = [rate, now]  # full: one second of the limit
        tokens = min(rate, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if tokens < 1:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1
        return True

    def stats(self) -> dict[str, Any]:
        with self.lock:
            by_code: dict[str, dict[str, int]] = defaultdict(dict)
            for (endpoint, code), n in self.answers.items():
                by_code[endpoint][str(code)] = n
            return {
                "calls": dict(self.calls),
                "total_calls": sum(self.calls.values()),
                "http_429": self.http_429s,
                "answers": dict(by_code),
                "webhooks": {"pending": self.webhooks.pending(), "sent": len(self.webhooks.deliveries)},
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.calls.clear()
            self.answers.clear()
            self.http_429s = 0

    def page_token(self, offset: int) -> str:
        raw = str(offset).encode()
        mac = hmac.new(self._page_key, raw, hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(raw + b"." + mac).decode().rstrip("=")

    def page_offset(self, token: str | None) -> int:
        if not token:
            return 0
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            offset, mac = raw.split(b".", 1)
            if hmac.compare_digest(mac, hmac.new(self._page_key, offset, hashlib.sha256).digest()[:8]):
                return int(offset)
        except (ValueError, binascii.Error):
            pass
        raise ApiError(36009004, "invalid param error: page_token is invalid")


def _stored_price(price: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    """A SKU's price as a write set it: `amount` (a local seller's display price) and, when given, the
    `sale_price` a global seller sets."""
    stored = {"amount": str(amount), "currency": price["currency"]}
    if price.get("sale_price") is not None:
        stored["sale_price"] = str(_money(price["sale_price"]))
    return stored


def zlib_crc(text: str) -> int:
    return zlib.crc32(text.encode()) * 1000 + len(text)


def _vid_name(name: Any) -> str:
    return str(6_000_000 + zlib.crc32(str(name or "").encode()) % 1_000_000)


# The sandbox catalog's VTEX categories and the leaf each is listed under when seeded.
SEED_CATEGORY_BY_VTEX_CATEGORY = {
    11: "824330",
    12: "824341",
    13: "601305",
    21: "605198",
    22: "605211",
    31: "600003",
    32: "600011",
    41: "601741",
    42: "601751",
    51: "601452",
    61: "824587",
}


def seed_attributes(leaf: TikTokCategory) -> list[dict[str, Any]]:
    """Values for the required product attributes of a leaf (its first value, or 500 when free-form)."""
    out = []
    for attr in leaf.attributes:
        if attr["type"] == "PRODUCT_PROPERTY" and attr["is_requried"]:
            value = {"id": attr["values"][0]["id"]} if attr["values"] else {"name": "500"}
            out.append({"id": attr["id"], "values": [value]})
    return out


def _path_to(status: str) -> list[str]:
    if status == "ON_HOLD":
        return ["ON_HOLD"]
    if status == "CANCELLED":
        return ["AWAITING_SHIPMENT", "CANCELLED"]
    return list(ORDER_FLOW[1 : ORDER_FLOW.index(status) + 1])


# ------------------------------------------------------------------------------- API handlers
@dataclass
class Ctx:
    emulator: TikTokShopEmulator
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    form: dict[str, Any]
    shop: Shop | None
    grant: Grant | None


def _page_size(ctx: Ctx, low: int, high: int, required: bool = True, default: int = 10) -> int:
    raw = ctx.query.get("page_size")
    if raw is None or raw == "":
        if required:
            raise ApiError(36009004, "invalid param error: page_size is required")
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(36009004, f"invalid param error: page_size {raw!r}") from None
    if not low <= size <= high:
        raise ApiError(36009004, f"invalid param error: page_size must be between {low} and {high}")
    return size


def _paginate(
    ctx: Ctx, items: list[Any], key: str, low: int, high: int, required: bool = True
) -> dict[str, Any]:
    size = _page_size(ctx, low, high, required)
    offset = ctx.emulator.page_offset(ctx.query.get("page_token"))
    chunk = items[offset : offset + size]
    more = offset + size < len(items)
    return {
        key: chunk,
        "next_page_token": ctx.emulator.page_token(offset + size) if more else "",
        "total_count": len(items),
    }


def _sort(ctx: Ctx, items: list[dict[str, Any]], default_field: str = "create_time") -> list[dict[str, Any]]:
    field_name = ctx.query.get("sort_field") or default_field
    if field_name not in ("create_time", "update_time"):
        raise ApiError(36009004, f"invalid param error: sort_field {field_name!r}")
    order = (ctx.query.get("sort_order") or "DESC").upper()
    if order not in ("ASC", "DESC"):
        raise ApiError(36009004, f"invalid param error: sort_order {order!r}")
    return sorted(
        items,
        key=lambda x: (x.get(field_name) or 0, str(x.get("id") or x.get("package_id") or "")),
        reverse=order == "DESC",
    )


def _time_filter(items: list[dict[str, Any]], body: dict[str, Any], lt: str = "lt") -> list[dict[str, Any]]:
    for field_name in ("create_time", "update_time"):
        ge = body.get(f"{field_name}_ge")
        upper = body.get(f"{field_name}_{lt}")
        if ge is not None:
            items = [i for i in items if (i.get(field_name) or 0) >= int(ge)]
        if upper is not None:
            items = [i for i in items if (i.get(field_name) or 0) < int(upper) + (1 if lt == "le" else 0)]
    return items


def _id_list(body: dict[str, Any], key: str) -> list[str]:
    """A list of string ids from the body (absent → empty); anything else is a param error."""
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ApiError(36009004, f"invalid param error: {key} must be a list of ids")
    return [str(v) for v in value]


def _body(ctx: Ctx) -> dict[str, Any]:
    if ctx.body is None:
        return {}
    if not isinstance(ctx.body, dict):
        raise ApiError(36009004, "invalid param error: body must be a JSON object")
    return ctx.body


def h_authorized_shops(ctx: Ctx) -> dict[str, Any]:
    assert ctx.grant is not None
    return {"shops": [s.as_api() for s in ctx.emulator.shops_of(ctx.grant.seller_id)]}


def h_active_shops(ctx: Ctx) -> dict[str, Any]:
    assert ctx.grant is not None
    return {"shops": [{"id": s.id, "region": s.region} for s in ctx.emulator.shops_of(ctx.grant.seller_id)]}


def _product_write(ctx: Ctx) -> dict[str, Any]:
    """The body of a product create, edit or check, its fields of the wrong type or range refused."""
    body = _body(ctx)
    req.check_fields(body, req.PRODUCT_WRITE)
    return body


def h_create_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    return ctx.emulator._create_product(ctx.shop, _product_write(ctx))


def h_edit_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    product = emu.product_of(shop, ctx.params["product_id"])
    body = _product_write(ctx)
    problems = emu._validate_product(shop, body)
    if problems:
        raise ApiError(12052990, "product check failed: " + "; ".join(problems))
    brand = next((b for b in emu.brands.values() if b["id"] == str(body.get("brand_id"))), None)
    # A full edit replaces the product: SKUs left out are deleted.
    product.update(
        title=body["title"],
        description=body["description"],
        category_id=str(body["category_id"]),
        brand={"id": brand["id"], "name": brand["name"]} if brand else None,
        main_images=[emu._image_view(i["uri"]) for i in body["main_images"]],
        skus=emu._build_skus(shop, body["skus"], product["skus"]),
        product_attributes=body.get("product_attributes") or [],
        certifications=body.get("certifications") or [],
        package_weight=body.get("package_weight"),
        package_dimensions=body.get("package_dimensions"),
        update_time=_now(),
    )
    return TikTokShopEmulator._create_answer(product)


def h_partial_edit_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    product = emu.product_of(shop, ctx.params["product_id"])
    body = _product_write(ctx)
    merged = {
        "title": product["title"],
        "description": product["description"],
        "category_id": product["category_id"],
        "brand_id": (product.get("brand") or {}).get("id"),
        "main_images": [{"uri": i["uri"]} for i in product["main_images"]],
        "package_weight": product["package_weight"],
        "package_dimensions": product["package_dimensions"],
        "product_attributes": product["product_attributes"],
        "certifications": product.get("certifications") or [],
        "skus": [
            {**s, "price": {"amount": s["price"]["amount"], "currency": s["price"]["currency"]}}
            for s in product["skus"]
        ],
    }
    unknown = set(body) - set(merged) - {"external_product_id", "video", "size_chart"}
    if unknown:
        raise ApiError(36009004, f"invalid param error: unknown fields {sorted(unknown)}")
    merged.update(body)
    problems = emu._validate_product(shop, merged)
    if problems:
        raise ApiError(12052990, "product check failed: " + "; ".join(problems))
    if "skus" in body:
        product["skus"] = emu._build_skus(shop, body["skus"], product["skus"])
    for key in (
        "title",
        "description",
        "product_attributes",
        "certifications",
        "package_weight",
        "package_dimensions",
    ):
        if key in body:
            product[key] = body[key]
    if "category_id" in body:
        product["category_id"] = str(body["category_id"])
    if "main_images" in body:
        product["main_images"] = [emu._image_view(i["uri"]) for i in body["main_images"]]
    product["update_time"] = _now()
    return TikTokShopEmulator._create_answer(product)


def h_delete_products(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    ids = _id_list(_body(ctx), "product_ids")
    if not ids or len(ids) > 20:
        raise ApiError(36009004, "invalid param error: product_ids must hold 1 to 20 ids")
    errors = []
    for pid in ids:
        product = ctx.shop.products.get(str(pid))
        if product is None or product["status"] == "DELETED":
            errors.append(
                {"code": 12052032, "message": "product not found", "detail": {"product_id": str(pid)}}
            )
        else:
            product["status"] = "DELETED"
            product["update_time"] = _now()
    return {"errors": errors}


def _set_status(new: str, allowed_from: tuple[str, ...]) -> Callable[[Ctx], dict[str, Any]]:
    def handler(ctx: Ctx) -> dict[str, Any]:
        assert ctx.shop
        errors = []
        for pid in _body(ctx).get("product_ids") or []:
            product = ctx.shop.products.get(str(pid))
            if product is None or product["status"] not in allowed_from:
                errors.append(
                    {
                        "code": 12052032,
                        "message": "product not found or not in a state for this change",
                        "detail": {"product_id": str(pid)},
                    }
                )
            else:
                product["status"] = new
                product["update_time"] = _now()
        return {"errors": errors}

    return handler


def h_get_product(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    return ctx.emulator._product_view(ctx.emulator.product_of(ctx.shop, ctx.params["product_id"]), ctx.shop)


def h_search_products(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _body(ctx)
    status = body.get("status") or "ALL"
    if status not in PRODUCT_STATUSES:
        raise ApiError(36009004, f"invalid param error: status {status!r}")
    items = [
        p
        for p in ctx.shop.products.values()
        if (p["status"] == status) or (status == "ALL" and p["status"] != "DELETED")
    ]
    if body.get("seller_skus"):
        wanted = set(body["seller_skus"])
        items = [p for p in items if any(s["seller_sku"] in wanted for s in p["skus"])]
    items = _time_filter(items, body, lt="le")
    items = sorted(items, key=lambda p: (p["create_time"], p["id"]))
    page = _paginate(ctx, items, "products", 1, 100)  # summaries of the page only: a large shop pages fast
    page["products"] = [
        {
            "id": p["id"],
            "title": p["title"],
            "status": p["status"],
            "sales_regions": p["sales_regions"],
            "skus": [
                sku_view(s, ("id", "seller_sku", "price", "list_price", "inventory")) for s in p["skus"]
            ],
            "create_time": p["create_time"],
            "update_time": p["update_time"],
        }
        for p in page["products"]
    ]
    return page


def h_search_products_202502(ctx: Ctx) -> dict[str, Any]:
    """Product search 202502: the 202309 search, with at most 10 seller SKUs per filter."""
    seller_skus = _body(ctx).get("seller_skus")
    if isinstance(seller_skus, list) and len(seller_skus) > 10:
        raise ApiError(12019027, "The maximum count of “seller_skus” in the search filter is 10.")
    return h_search_products(ctx)


def h_listing_check(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _product_write(ctx)
    try:
        problems = ctx.emulator._validate_product(ctx.shop, body)
    except ApiError as exc:
        problems = [exc.message]
    return {
        "check_result": "FAIL" if problems else "PASS",
        "fail_reasons": [{"code": 12052990, "reasons": problems}] if problems else [],
        "listing_quality": {
            "current_tier": "GOOD" if not problems else "POOR",
            "remaining_recommendations": 0,
        },
    }


def h_update_inventory(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    product = ctx.emulator.product_of(ctx.shop, ctx.params["product_id"])
    skus = _body(ctx).get("skus")
    if not isinstance(skus, list) or not skus:
        raise ApiError(36009004, "invalid param error: skus is required")
    by_id = {s["id"]: s for s in product["skus"]}
    valid_warehouses = set(ctx.shop.sales_warehouse_ids)
    errors = []
    for item in skus:
        sku = by_id.get(str(item.get("id")))
        if sku is None:
            errors.append(
                {
                    "code": 12019150,
                    "message": "sku not found in this product",
                    "detail": {"sku_id": str(item.get("id"))},
                }
            )
            continue
        given = {str(i.get("warehouse_id")): i.get("quantity") for i in item.get("inventory") or []}
        extra_errors = []
        for inv in sku["inventory"]:
            if inv["warehouse_id"] not in given:
                extra_errors.append(
                    {
                        "warehouse_id": inv["warehouse_id"],
                        "code": 12019028,
                        "message": "all warehouses of the sku must be listed",
                    }
                )
        for wid, qty in given.items():
            if wid not in valid_warehouses:
                extra_errors.append(
                    {
                        "warehouse_id": wid,
                        "code": 12019029,
                        "message": "warehouse is not a sales warehouse of the shop",
                    }
                )
            elif not isinstance(qty, int) or isinstance(qty, bool) or not 0 <= qty <= 99_999:
                extra_errors.append(
                    {
                        "warehouse_id": wid,
                        "code": 12019030,
                        "message": "quantity must be an integer from 0 to 99999",
                    }
                )
        if extra_errors:
            code = 12019028 if any(e["code"] == 12019028 for e in extra_errors) else extra_errors[0]["code"]
            errors.append(
                {
                    "code": code,
                    "message": "inventory update failed for this sku",
                    "detail": {"sku_id": sku["id"], "extra_errors": extra_errors},
                }
            )
            continue
        sku["inventory"] = [{"warehouse_id": wid, "quantity": qty} for wid, qty in given.items()]
    product["update_time"] = _now()
    return {"errors": errors}


def h_search_inventory(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _body(ctx)
    product_ids, sku_ids = _id_list(body, "product_ids"), _id_list(body, "sku_ids")
    if bool(product_ids) == bool(sku_ids):
        raise ApiError(36009004, "invalid param error: give product_ids or sku_ids")
    out = []
    for product in ctx.shop.products.values():
        if product["status"] == "DELETED" or (product_ids and product["id"] not in product_ids):
            continue
        skus = [s for s in product["skus"] if not sku_ids or s["id"] in sku_ids]
        if not skus:
            continue
        out.append(
            {
                "product_id": product["id"],
                "skus": [
                    {
                        "id": s["id"],
                        "seller_sku": s["seller_sku"],
                        "total_available_quantity": sum(i["quantity"] for i in s["inventory"]),
                        "total_committed_quantity": sum(s["committed"].values()),
                        "warehouse_inventory": [
                            {
                                "warehouse_id": i["warehouse_id"],
                                "available_quantity": i["quantity"],
                                "committed_quantity": s["committed"].get(i["warehouse_id"], 0),
                            }
                            for i in s["inventory"]
                        ],
                    }
                    for s in skus
                ],
            }
        )
    return {"inventory": out}


def h_update_prices(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    shop = ctx.shop
    product = ctx.emulator.product_of(shop, ctx.params["product_id"])
    body = _body(ctx)
    req.check_fields(body, req.PRICE_UPDATE)
    skus = body.get("skus")
    if not isinstance(skus, list) or not skus:
        raise ApiError(36009004, "invalid param error: skus is required")
    by_id = {s["id"]: s for s in product["skus"]}
    changes = []
    for item in skus:
        sku = by_id.get(str(item.get("id")))
        if sku is None:
            raise ApiError(12019150, f"sku {item.get('id')} not found in product {product['id']}")
        if sku["id"] in shop.price_locks:
            raise ApiError(12019045, f"the price of sku {sku['id']} is locked by an ongoing promotion")
        price = item.get("price") or {}
        amount = _money(price.get("amount"))
        if amount <= 0 or price.get("currency") != shop.currency:
            raise ApiError(12052990, f"sku {sku['id']}: price must be a positive amount in {shop.currency}")
        list_price = item.get("list_price")
        if list_price and _money(list_price.get("amount")) < amount:
            raise ApiError(12052990, f"sku {sku['id']}: list_price is below the price")
        changes.append((sku, amount, price, list_price))
    for sku, amount, price, list_price in changes:
        sku["price"] = _stored_price(price, amount)
        if list_price:
            sku["list_price"] = {
                "amount": str(_money(list_price["amount"])),
                "currency": list_price.get("currency", shop.currency),
            }
    product["update_time"] = _now()
    return {}


def h_get_brands(ctx: Ctx) -> dict[str, Any]:
    brands = sorted(ctx.emulator.brands.values(), key=lambda b: b["name"].casefold())
    name = ctx.query.get("brand_name")
    if name:
        brands = [b for b in brands if name.casefold() in b["name"].casefold()]
    if ctx.query.get("is_authorized") in ("true", "1"):
        brands = [b for b in brands if b["authorized_status"] == "AUTHORIZED"]
    return _paginate(ctx, brands, "brands", 1, 100)


def h_create_brand(ctx: Ctx) -> dict[str, Any]:
    name = str(_body(ctx).get("name") or "").strip()
    if not 2 <= len(name) <= 30:
        raise ApiError(36009004, "invalid param error: name must be 2 to 30 characters")
    if name.casefold() in ctx.emulator.brands:
        raise ApiError(4000, "This brand name already exists.")
    return {"id": ctx.emulator._add_brand(name)["id"]}


def h_categories(ctx: Ctx) -> dict[str, Any]:
    version = ctx.query.get("category_version") or "v1"
    if version not in ("v1", "v2"):
        raise ApiError(36009004, f"invalid param error: category_version {version!r}")
    cats = list(ctx.emulator.categories.values())
    keyword = ctx.query.get("keyword")
    if keyword:
        cats = [c for c in cats if keyword.casefold() in c.local_name.casefold()]
    return {"categories": [c.as_api() for c in cats]}


def _category(ctx: Ctx) -> TikTokCategory:
    cat = ctx.emulator.categories.get(ctx.params["category_id"])
    if cat is None:
        raise ApiError(12052220, f"category {ctx.params['category_id']} does not exist")
    return cat


def h_category_rules(ctx: Ctx) -> dict[str, Any]:
    cat = _category(ctx)
    if not cat.is_leaf:
        raise ApiError(12052024, f"category {cat.id} is not a leaf category")
    return cat.rules()


def h_category_attributes(ctx: Ctx) -> dict[str, Any]:
    cat = _category(ctx)
    if not cat.is_leaf:
        raise ApiError(12052024, f"category {cat.id} is not a leaf category")
    return {"attributes": cat.attributes}


def h_recommend_category(ctx: Ctx) -> dict[str, Any]:
    title = str(_body(ctx).get("product_title") or "")
    if not title:
        raise ApiError(36009004, "invalid param error: product_title is required")
    words = {w for w in re.findall(r"\w+", title.casefold()) if len(w) > 2}
    best, score = None, 0
    for cat in ctx.emulator.categories.values():
        if not cat.is_leaf:
            continue
        names = set(
            re.findall(
                r"\w+",
                " ".join(c["local_name"] for c in category_chain(ctx.emulator.categories, cat.id)).casefold(),
            )
        )
        stems = {n[:5] for n in names}
        s = sum(1 for w in words if w in names or w[:5] in stems)
        if s > score:
            best, score = cat, s
    if best is None:
        return {"leaf_category_id": "", "categories": []}
    return {"leaf_category_id": best.id, "categories": category_chain(ctx.emulator.categories, best.id)}


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 0, 0
    return None


def h_upload_image(ctx: Ctx) -> dict[str, Any]:
    upload = ctx.form.get("data")
    if upload is None:
        raise ApiError(36009004, "invalid param error: data (the image file) is required")
    data: bytes = upload
    use_case = ctx.form.get("use_case") or "MAIN_IMAGE"
    if use_case not in (
        "MAIN_IMAGE",
        "ATTRIBUTE_IMAGE",
        "DESCRIPTION_IMAGE",
        "CERTIFICATION_IMAGE",
        "SIZE_CHART_IMAGE",
    ):
        raise ApiError(36009004, f"invalid param error: use_case {use_case!r}")
    if len(data) > 5 * 1024 * 1024:
        raise ApiError(36009021, "file too large: images are limited to 5 MB")
    size = _image_size(data)
    if size is None:
        raise ApiError(12052990, "the file is not a JPG, PNG or WEBP image")
    width, height = size
    if width and height and (min(width, height) < 100 or max(width, height) > 20000):
        raise ApiError(12052990, f"image is {width}x{height}: sides must be 100 to 20000 pixels")
    return ctx.emulator._store_image(data, use_case, width, height)


def h_warehouses(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    return {"warehouses": ctx.shop.warehouses}


def h_search_orders(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _body(ctx)
    orders = list(ctx.shop.orders.values())
    if body.get("order_status"):
        orders = [o for o in orders if o["status"] == body["order_status"]]
    orders = _time_filter(orders, body)
    if body.get("buyer_user_id"):
        orders = [o for o in orders if o["user_id"] == body["buyer_user_id"]]
    return _paginate(ctx, _sort(ctx, orders), "orders", 1, 100)


def h_get_orders(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    ids = [i for i in (ctx.query.get("ids") or "").split(",") if i]
    if not ids:
        raise ApiError(36009004, "invalid param error: ids is required")
    if len(ids) > 50:
        raise ApiError(36009004, "invalid param error: at most 50 ids")
    return {"orders": [ctx.shop.orders[i] for i in ids if i in ctx.shop.orders]}


def h_search_packages(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _body(ctx)
    packages = list(ctx.shop.packages.values())
    if body.get("package_status"):
        packages = [p for p in packages if p["package_status"] == body["package_status"]]
    packages = _time_filter(packages, body)
    page = _paginate(ctx, _sort(ctx, packages), "packages", 1, 50)
    page["packages"] = [package_summary(p) for p in page["packages"]]
    return page


def _package(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    package = ctx.shop.packages.get(ctx.params["package_id"])
    if package is None:
        raise ApiError(21011001, f"package {ctx.params['package_id']} not found")
    return package


def h_get_package(ctx: Ctx) -> dict[str, Any]:
    return without_absent(_package(ctx))


def h_ship_package(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    package = _package(ctx)
    body = _body(ctx)
    if package["package_status"] != "TO_FULFILL":
        raise ApiError(
            21011002, f"package {package['package_id']} is {package['package_status']}, not TO_FULFILL"
        )
    invoice = shop.invoices.get(package["package_id"])
    if (
        emu.config.require_invoice_to_ship
        and shop.region == "BR"
        and (invoice or {}).get("invoice_status") != "SUCCESS"
    ):
        raise ApiError(
            21011004,
            f"package {package['package_id']} needs an accepted NF-e (invoice upload) before it ships",
        )
    self_shipment = body.get("self_shipment")
    handover = body.get("handover_method")
    if self_shipment:
        if not self_shipment.get("tracking_number") or not self_shipment.get("shipping_provider_id"):
            raise ApiError(
                36009004, "invalid param error: self_shipment needs tracking_number and shipping_provider_id"
            )
        tracking, provider_id, provider = (
            self_shipment["tracking_number"],
            self_shipment["shipping_provider_id"],
            "Transportadora do vendedor",
        )
    elif handover in ("PICKUP", "DROP_OFF"):
        tracking = "BR" + str(emu.rng.randrange(10**11, 10**12)) + "TT"
        provider_id, provider = "7117858858072016686", "J&T Express Brasil"
    else:
        raise ApiError(
            36009004, "invalid param error: handover_method PICKUP|DROP_OFF or self_shipment is required"
        )
    now = _now()
    package.update(
        package_status="PROCESSING",
        tracking_number=tracking,
        shipping_provider_id=provider_id,
        shipping_provider_name=provider,
        handover_method=handover or "SELF_SHIPMENT",
        update_time=now,
    )
    for ref in package["orders"]:
        order = shop.orders[ref["id"]]
        order.update(tracking_number=tracking, shipping_provider=provider, shipping_provider_id=provider_id)
        for li in order["line_items"]:
            li.update(tracking_number=tracking, shipping_provider_name=provider, package_status="PROCESSING")
        shop.tracking[order["id"]].append(
            {"description": "Pedido enviado ao transportador", "update_time_millis": now * 1000}
        )
        emu.emit(
            shop,
            "PACKAGE_UPDATE",
            {
                "sc_type": "ONLINE",
                "role_type": "SELLER",
                "package_list": [{"package_id": package["package_id"], "order_id": order["id"]}],
                "update_time": now,
            },
        )
        if order["status"] == "AWAITING_SHIPMENT":
            emu.set_order_status(order["id"], "AWAITING_COLLECTION")
    return {}


def h_tracking(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    order_id = ctx.params["order_id"]
    if order_id not in ctx.shop.orders:
        raise ApiError(21011003, f"order {order_id} not found")
    return {"tracking": list(reversed(ctx.shop.tracking.get(order_id, [])))}


def h_upload_invoice(ctx: Ctx) -> dict[str, Any]:
    """Invoice upload (Brazil): refusals known at once come back per item in `errors` with the seed's
    codes (4001 invalid XML, 4002 unknown package, 4003 order ids not the package's); an accepted invoice
    is PROCESSING and its verdict arrives as webhook 36. An invalid XML also gets an INVALID webhook, as
    the seed's sequence shows."""
    assert ctx.shop
    emu, shop = ctx.emulator, ctx.shop
    invoices = _body(ctx).get("invoices")
    if not isinstance(invoices, list) or not invoices:
        raise ApiError(36009004, "invalid param error: invoices is required")
    if len(invoices) > 50:
        raise ApiError(36009004, "invalid param error: at most 50 invoices")
    errors = []
    for inv in invoices:
        package_id = str(inv.get("package_id") or "")
        order_ids = [str(o) for o in inv.get("order_ids") or []]
        detail = {"order_ids": order_ids, "package_id": package_id}

        def refuse(code: int, message: str, detail=detail) -> None:
            errors.append({"code": code, "message": message, "detail": detail})

        package = shop.packages.get(package_id)
        if package is None:
            refuse(4002, "Package ID not found")
            continue
        if not order_ids or set(order_ids) != {o["id"] for o in package["orders"]}:
            refuse(4003, "Order ID does not belong to the package")
            continue
        if inv.get("file_type") != "XML":
            refuse(36009004, "invalid param error: file_type must be XML")
            continue
        try:
            content = base64.b64decode(str(inv.get("file") or ""), validate=True)
        except (binascii.Error, ValueError):
            refuse(36009004, "invalid param error: file is not base64")
            continue
        if len(str(inv.get("file") or "")) > 1024 * 1024:
            refuse(36009021, "file too large: at most 1 MB")
            continue
        try:
            root = ET.fromstring(content)
        except ET.ParseError:
            refuse(4001, "Invalid XML format")
            emu.refuse_invoice(shop, package_id, order_ids, content, "INVALID_XML")
            continue
        if not any(el.tag.endswith("infNFe") for el in root.iter()):
            refuse(4001, "Invalid XML format: not an NF-e (no infNFe)")
            emu.refuse_invoice(shop, package_id, order_ids, content, "NOT_AN_NFE")
            continue
        emu.accept_invoice(shop, package_id, order_ids, content)
    return {"errors": errors}


def _search_records(
    ctx: Ctx,
    records: dict[str, dict[str, Any]],
    filters: tuple[tuple[str, str], ...],
    key: str,
    low: int,
    high: int,
) -> dict[str, Any]:
    """A search over records: list filters (body key → record field), time filters, sort, page."""
    body = _body(ctx)
    items = list(records.values())
    for body_key, field_name in filters:
        if body.get(body_key):
            items = [r for r in items if r[field_name] in body[body_key]]
    items = _time_filter(items, body)
    return _paginate(ctx, _sort(ctx, items), key, low, high, required=False)


def h_search_returns(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    filters = (
        ("return_ids", "return_id"),
        ("order_ids", "order_id"),
        ("return_types", "return_type"),
        ("return_status", "return_status"),
    )
    return _search_records(ctx, ctx.shop.returns, filters, "return_orders", 10, 50)


def h_search_cancellations(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    filters = (
        ("cancel_ids", "cancel_id"),
        ("order_ids", "order_id"),
        ("cancel_status", "cancel_status"),
        ("cancel_types", "cancel_type"),
    )
    return _search_records(ctx, ctx.shop.cancellations, filters, "cancellations", 1, 50)


def h_create_cancellation(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _body(ctx)
    order_id = str(body.get("order_id") or "")
    reason = str(body.get("cancel_reason") or "")
    if not order_id or not reason:
        raise ApiError(36009004, "invalid param error: order_id and cancel_reason are required")
    if order_id not in ctx.shop.orders:
        raise ApiError(21011001, f"order {order_id} not found")
    cancellation = ctx.emulator.seller_cancel(order_id, reason)
    return {"cancel_id": cancellation["cancel_id"], "cancel_status": cancellation["cancel_status"]}


def h_products_performance(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    try:
        start = date.fromisoformat(ctx.query["start_date_ge"])
        end = date.fromisoformat(ctx.query["end_date_lt"])
    except (KeyError, ValueError):
        raise ApiError(
            36009004, "invalid param error: start_date_ge and end_date_lt (YYYY-MM-DD) are required"
        ) from None
    if end <= start:
        raise ApiError(36009004, "invalid param error: end_date_lt must be after start_date_ge")
    lo = int(datetime.combine(start, datetime.min.time(), UTC).timestamp())
    hi = int(datetime.combine(end, datetime.min.time(), UTC).timestamp())
    per: dict[str, dict[str, Any]] = {}
    for order in ctx.shop.orders.values():
        if not lo <= order["create_time"] < hi or order["status"] in ("UNPAID", "CANCELLED"):
            continue
        for li in order["line_items"]:
            row = per.setdefault(
                li["product_id"],
                {"id": li["product_id"], "gmv": Decimal("0"), "orders": set(), "units_sold": 0},
            )
            row["gmv"] += Decimal(li["sale_price"])
            row["orders"].add(order["id"])
            row["units_sold"] += 1
    rows = []
    for pid, row in sorted(per.items(), key=lambda kv: -kv[1]["gmv"]):
        views = 40 * row["units_sold"] + len(pid) % 7
        rows.append(
            {
                "id": pid,
                "gmv": {"amount": str(row["gmv"]), "currency": ctx.shop.currency},
                "orders": len(row["orders"]),
                "units_sold": row["units_sold"],
                "impressions": views * 12,
                "page_views": views,
                "avg_page_visitors": max(1, views // 2),
                "click_through_rate": "0.0833",
                "conversion_rate": f"{len(row['orders']) / views:.4f}",
            }
        )
    return _paginate(ctx, rows, "shop_products", 1, 100) | {
        "latest_available_date": (date.today() - timedelta(days=1)).isoformat()
    }


def h_get_webhooks(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    hooks = list(ctx.shop.webhooks.values())
    return {"webhooks": hooks, "total_count": len(hooks)}


def h_put_webhook(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    body = _body(ctx)
    address, event_type = str(body.get("address") or ""), str(body.get("event_type") or "")
    if event_type not in WEBHOOK_TYPES:
        raise ApiError(36009004, f"invalid param error: event_type {event_type!r}")
    if not re.match(r"^https?://", address) or len(address) > 255:
        raise ApiError(
            36009004, "invalid param error: address must be an http(s) URL of at most 255 characters"
        )
    now = _now()
    previous = ctx.shop.webhooks.get(event_type)
    ctx.shop.webhooks[event_type] = {
        "address": address,
        "event_type": event_type,
        "create_time": previous["create_time"] if previous else now,
        "update_time": now,
    }
    return {}


def h_delete_webhook(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop
    event_type = str(_body(ctx).get("event_type") or "")
    if ctx.shop.webhooks.pop(event_type, None) is None:
        raise ApiError(36009004, f"invalid param error: no subscription for {event_type!r}")
    return {}


API_ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/authorization/202309/shops", h_authorized_shops, cipher=False),
    ApiRoute("GET", "/seller/202309/shops", h_active_shops, cipher=False),
    ApiRoute("POST", "/product/202309/products", h_create_product),
    ApiRoute("DELETE", "/product/202309/products", h_delete_products),
    ApiRoute("PUT", "/product/202309/products/{product_id}", h_edit_product),
    ApiRoute("GET", "/product/202309/products/{product_id}", h_get_product),
    ApiRoute("POST", "/product/202309/products/{product_id}/partial_edit", h_partial_edit_product),
    ApiRoute("POST", "/product/202309/products/search", h_search_products),
    ApiRoute("POST", "/product/202502/products/search", h_search_products_202502),
    ApiRoute("PUT", "/product/202509/products/{product_id}", h_edit_product),
    ApiRoute("POST", "/product/202509/products/{product_id}/partial_edit", h_partial_edit_product),
    ApiRoute("POST", "/product/202309/products/listing_check", h_listing_check),
    ApiRoute(
        "POST", "/product/202309/products/activate", _set_status("ACTIVATE", ("SELLER_DEACTIVATED", "DRAFT"))
    ),
    ApiRoute("POST", "/product/202309/products/deactivate", _set_status("SELLER_DEACTIVATED", ("ACTIVATE",))),
    ApiRoute("POST", "/product/202309/products/{product_id}/inventory/update", h_update_inventory),
    ApiRoute("POST", "/product/202309/inventory/search", h_search_inventory),
    ApiRoute("POST", "/product/202309/products/{product_id}/prices/update", h_update_prices),
    ApiRoute("GET", "/product/202309/brands", h_get_brands),
    ApiRoute("POST", "/product/202309/brands", h_create_brand, cipher=False),
    ApiRoute("GET", "/product/202309/categories", h_categories),
    ApiRoute("GET", "/product/202309/categories/{category_id}/rules", h_category_rules),
    ApiRoute("GET", "/product/202309/categories/{category_id}/attributes", h_category_attributes),
    ApiRoute("POST", "/product/202309/categories/recommend", h_recommend_category),
    ApiRoute("POST", "/product/202309/images/upload", h_upload_image, cipher=False, multipart=True),
    ApiRoute("GET", "/logistics/202309/warehouses", h_warehouses),
    ApiRoute("POST", "/order/202309/orders/search", h_search_orders),
    ApiRoute("GET", "/order/202309/orders", h_get_orders),
    ApiRoute("GET", "/order/202507/orders", h_get_orders),
    ApiRoute("POST", "/fulfillment/202309/packages/search", h_search_packages),
    ApiRoute("GET", "/fulfillment/202309/packages/{package_id}", h_get_package),
    ApiRoute("POST", "/fulfillment/202309/packages/{package_id}/ship", h_ship_package),
    ApiRoute("GET", "/fulfillment/202309/orders/{order_id}/tracking", h_tracking),
    ApiRoute("POST", "/fulfillment/202502/invoice/upload", h_upload_invoice),
    ApiRoute("POST", "/return_refund/202309/returns/search", h_search_returns),
    ApiRoute("POST", "/return_refund/202309/cancellations/search", h_search_cancellations),
    ApiRoute("POST", "/return_refund/202309/cancellations", h_create_cancellation),
    ApiRoute("GET", "/analytics/202405/shop_products/performance", h_products_performance),
    ApiRoute("GET", "/event/202309/webhooks", h_get_webhooks),
    ApiRoute("PUT", "/event/202309/webhooks", h_put_webhook),
    ApiRoute("DELETE", "/event/202309/webhooks", h_delete_webhook),
)
ROUTES = RouteTable(API_ROUTES)


def _envelope(code: int, message: str, data: Any = None, http_status: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": uuid.uuid4().hex.upper()[:32]}
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=http_status)


def create_tiktok_app(emulator: TikTokShopEmulator) -> Starlette:
    """The emulator as an ASGI app: the API, the token host, consent, and `/_sandbox/` control routes."""
    emu = emulator
    cfg = emu.config

    async def api(request: Request) -> Response:
        path = request.url.path
        try:
            route, params = ROUTES.resolve(request.method, path)
        except ApiError as exc:
            return _record(path, None, exc)
        emu.arrivals[route.endpoint].append(time.monotonic())
        if emu.switches.latency_ms:
            await asyncio.sleep(emu.switches.latency_ms / 1000.0)
        with emu.lock:
            # A timeout as clients meet it: the call takes effect, the answer comes too late.
            late = bool(emu.switches.timeout_rate) and emu.rng.random() < emu.switches.timeout_rate
        raw = await request.body()
        try:
            data = await _handle(request, route, params, raw)
        except ApiError as exc:
            response = _record(path, route, exc)
        else:
            response = _record(path, route, None, data)
        if late:
            await asyncio.sleep(emu.switches.timeout_ms / 1000.0)
        return response

    def _record(path: str, route: ApiRoute | None, error: ApiError | None, data: Any = None) -> Response:
        endpoint = route.endpoint if route else f"? {path}"
        with emu.lock:
            emu.calls[endpoint] += 1
            emu.answers[(endpoint, error.code if error else 0)] += 1
            if error and error.http_status == 429:
                emu.http_429s += 1
        if error:
            return _envelope(error.code, error.message, None, error.http_status)
        return _envelope(0, "Success", data)

    async def _handle(request: Request, route: ApiRoute, params: dict[str, str], raw: bytes) -> Any:
        auth_status = cfg.auth_error_http_status
        query = req.parse_query(request.url.query)
        if query.get("app_key") != cfg.app_key:
            raise ApiError(36009004, req.MSG_INVALID_APP_KEY, auth_status)
        if not query.get("sign"):
            raise ApiError(36009004, req.MSG_MISSING_SIGN, auth_status)
        try:
            ts = int(query.get("timestamp", ""))
        except ValueError:
            raise ApiError(36009004, req.MSG_TIMESTAMP_FORMAT, auth_status) from None
        now = time.time()
        if ts < 0:
            raise ApiError(36009004, req.MSG_TIMESTAMP_NEGATIVE, auth_status)
        if ts < now - cfg.timestamp_past_s:
            raise ApiError(36009004, req.MSG_TIMESTAMP_OLD, auth_status)
        if ts > now + cfg.timestamp_future_s:
            raise ApiError(36009004, req.MSG_TIMESTAMP_FUTURE, auth_status)
        content_type = request.headers.get("content-type", "")
        is_multipart = content_type.lower().startswith("multipart/form-data")
        text = None if is_multipart or not raw else req.decode_body(raw)
        expected = request_signature(request.url.path, query.items(), text, content_type, cfg.app_secret)
        if not signature_matches(expected, query["sign"]):
            raise ApiError(106001, req.MSG_INVALID_SIGN, auth_status)
        if route.multipart and not is_multipart:
            raise ApiError(36009023, req.MSG_MULTIPART)
        if not route.multipart and raw and not content_type.lower().startswith("application/json"):
            raise ApiError(36009022, req.MSG_BODY_FORMAT)
        # API 202309+ reads the token from the header only; a legacy `access_token` query is not a token.
        token = request.headers.get("x-tts-access-token")
        with emu.lock:
            grant = emu.grants.get(token or "")
            if grant is None or grant.kind != "access" or grant.revoked:
                raise ApiError(36009004, req.MSG_INVALID_TOKEN, auth_status)
            if grant.expires_at <= time.time():
                raise ApiError(105002, req.MSG_EXPIRED_TOKEN, auth_status)
            shop: Shop | None = None
            cipher = query.get("shop_cipher")
            if route.cipher:
                if not cipher:
                    raise ApiError(106013, req.MSG_MISSING_CIPHER)
                shop = next((s for s in emu.shops.values() if s.cipher == cipher), None)
                if shop is None or shop.seller_id != grant.seller_id:
                    raise ApiError(
                        101000,
                        "Invalid query or header. The `shop_cipher` query parameter names a shop this "
                        "token does not cover.",
                    )
            elif cipher is not None:
                raise ApiError(36009004, req.MSG_UNEXPECTED_CIPHER)
            if emu.switches.burst_429 > 0:
                emu.switches.burst_429 -= 1
                raise ApiError(36009002, req.MSG_TOO_MANY, 429)
            if emu.switches.rate_429 and emu.rng.random() < emu.switches.rate_429:
                raise ApiError(36009002, req.MSG_TOO_MANY, 429)
            if emu.switches.rate_limit_enabled:
                scope_shop = shop.id if shop else f"seller:{grant.seller_id}"
                key = (cfg.app_key, scope_shop) + (
                    (route.endpoint,) if cfg.rate_limit_scope == "endpoint" else ()
                )
                if not emu._take_token(key):
                    raise ApiError(36009002, req.MSG_TOO_MANY, 429)
            if emu.switches.error_rate and emu.rng.random() < emu.switches.error_rate:
                raise ApiError(
                    emu.switches.error_code, "Internal error, please retry", emu.switches.error_http_status
                )
        body: Any = None
        form: dict[str, Any] = {}
        if is_multipart:
            parsed = await request.form()
            for key, value in parsed.multi_items():
                form[key] = await value.read() if hasattr(value, "read") else value
        elif text:
            try:
                body = json.loads(text)
            except ValueError:
                raise req.param_error("the body is not valid JSON") from None
        ctx = Ctx(emu, request.method, request.url.path, params, query, body, form, shop, grant)
        with emu.lock:
            try:
                return route.handler(ctx)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                # A body of the wrong shape (missing field, string for a list...): the platform's generic refusal.
                log.info("sandbox refused %s %s: %r", request.method, request.url.path, exc)
                raise ApiError(36009004, f"invalid param error: {type(exc).__name__}: {exc}") from None

    # -- token host
    def _token_error(code: int, message: str) -> JSONResponse:
        return _envelope(code, message, None, 200)

    async def token_get(request: Request) -> Response:
        q = request.query_params
        emu.calls["GET /api/v2/token/get"] += 1
        if q.get("app_key") != cfg.app_key or q.get("app_secret") != cfg.app_secret:
            return _token_error(36009004, req.MSG_INVALID_APP_CREDENTIALS)
        if q.get("grant_type") != "authorized_code":
            return _token_error(36009004, "invalid param error: grant_type must be authorized_code")
        with emu.lock:
            code = emu.auth_codes.get(q.get("auth_code") or "")
            if code is None or code["used"] or code["expires_at"] <= time.time():
                return _token_error(36004004, "Invalid auth code: it is unknown, used or expired")
            code["used"] = True
            data = emu._grant_tokens(code["seller_id"])
        return _envelope(0, "success", data)

    async def token_refresh(request: Request) -> Response:
        q = request.query_params
        emu.calls["GET /api/v2/token/refresh"] += 1
        if q.get("app_key") != cfg.app_key or q.get("app_secret") != cfg.app_secret:
            return _token_error(36009004, req.MSG_INVALID_APP_CREDENTIALS)
        # The official Node SDK sends authorized_code here too; the platform accepts both.
        if q.get("grant_type") not in ("refresh_token", "authorized_code"):
            return _token_error(36009004, "invalid param error: grant_type must be refresh_token")
        with emu.lock:
            grant = emu.grants.get(q.get("refresh_token") or "")
            if grant is None or grant.kind != "refresh" or grant.revoked or grant.expires_at <= time.time():
                return _token_error(36004004, "Invalid refresh_token: it is unknown, revoked or expired")
            data = emu._grant_tokens(grant.seller_id)
        return _envelope(0, "success", data)

    async def authorize(request: Request) -> Response:
        """Seller consent, auto-approved: redirects to the app's redirect URL with `code` and `state`."""
        q = request.query_params
        if q.get("service_id") != cfg.service_id:
            return JSONResponse({"error": "unknown service_id"}, status_code=400)
        if not cfg.redirect_url:
            return JSONResponse(
                {"error": "the app has no redirect URL (POST /_sandbox/app {redirect_url})"}, status_code=400
            )
        with emu.lock:
            shops = list(emu.shops.values())
        shop_code = q.get("shop_code") or (shops[0].code if shops else None)
        try:
            code = emu.issue_auth_code(shop_code or "")
        except KeyError:
            return JSONResponse({"error": f"no shop {shop_code!r} in the sandbox"}, status_code=400)
        params = {"code": code, "state": q.get("state", "")}
        sep = "&" if "?" in cfg.redirect_url else "?"
        return RedirectResponse(f"{cfg.redirect_url}{sep}{urlencode(params)}", status_code=302)

    # -- control routes
    async def _json(request: Request) -> dict[str, Any]:
        raw = await request.body()
        return json.loads(raw) if raw else {}

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "shops": [s.code for s in emu.shops.values()]})

    async def ctl_stats(request: Request) -> Response:
        if request.method == "DELETE":
            emu.reset_stats()
        return JSONResponse(emu.stats())

    async def ctl_switches(request: Request) -> Response:
        if request.method == "POST":
            payload = await _json(request)
            with emu.lock:
                for key, value in payload.items():
                    if not hasattr(emu.switches, key):
                        return JSONResponse({"error": f"unknown switch {key}"}, status_code=400)
                    setattr(emu.switches, key, value)
        return JSONResponse(emu.switches.as_dict())

    async def ctl_app(request: Request) -> Response:
        if request.method == "POST":
            payload = await _json(request)
            allowed = {
                "redirect_url",
                "webhook_url",
                "rate_limit_per_second",
                "rate_limit_scope",
                "access_token_ttl",
                "webhook_time_factor",
                "webhook_retry_schedule",
                "invoice_review_s",
                "require_invoice_to_ship",
            }
            unknown = set(payload) - allowed
            if unknown:
                return JSONResponse({"error": f"unknown settings {sorted(unknown)}"}, status_code=400)
            with emu.lock:
                for key, value in payload.items():
                    setattr(cfg, key, tuple(value) if key == "webhook_retry_schedule" else value)
                emu.buckets.clear()
        return JSONResponse(
            {
                "app_key": cfg.app_key,
                "service_id": cfg.service_id,
                "redirect_url": cfg.redirect_url,
                "webhook_url": cfg.webhook_url,
                "rate_limit_per_second": cfg.rate_limit_per_second,
                "rate_limit_scope": cfg.rate_limit_scope,
                "webhook_time_factor": cfg.webhook_time_factor,
                "invoice_review_s": cfg.invoice_review_s,
                "require_invoice_to_ship": cfg.require_invoice_to_ship,
            }
        )

    async def ctl_shops(request: Request) -> Response:
        if request.method == "POST":
            payload = await _json(request)
            shop = emu.add_shop(
                payload["code"], payload.get("name"), warehouses=int(payload.get("warehouses", 2))
            )
            return JSONResponse(shop.as_api() | {"warehouse_ids": shop.sales_warehouse_ids})
        return JSONResponse(
            {"shops": [s.as_api() | {"warehouse_ids": s.sales_warehouse_ids} for s in emu.shops.values()]}
        )

    def _shop(request: Request) -> Shop:
        return emu.shop_by_code(request.path_params["code"])

    async def ctl_shop(request: Request) -> Response:
        try:
            shop = _shop(request)
        except KeyError:
            return JSONResponse({"error": "no such shop"}, status_code=404)
        action = request.path_params.get("action")
        payload = await _json(request) if request.method == "POST" else {}
        try:
            if action is None:
                with emu.lock:
                    return JSONResponse(
                        shop.as_api()
                        | {
                            "warehouse_ids": shop.sales_warehouse_ids,
                            "products": len(shop.products),
                            "orders": len(shop.orders),
                            "invoices": {k: v["invoice_status"] for k, v in shop.invoices.items()},
                            "price_locks": sorted(shop.price_locks),
                            "webhooks": list(shop.webhooks.values()),
                        }
                    )
            if action == "products" and request.method == "GET":
                with emu.lock:
                    return JSONResponse(
                        {"products": [emu._product_view(p, shop) for p in shop.products.values()]}
                    )
            if action == "orders" and request.method == "POST":
                ids = emu.create_orders(
                    shop.code,
                    int(payload.get("count", 1)),
                    status=payload.get("status", "AWAITING_SHIPMENT"),
                    sku_ids=payload.get("sku_ids"),
                    items_per_order=payload.get("items_per_order"),
                )
                return JSONResponse({"order_ids": ids})
            if action == "price_locks":
                with emu.lock:
                    shop.price_locks.update(str(s) for s in payload.get("sku_ids", []))
                    for s in payload.get("unlock", []):
                        shop.price_locks.discard(str(s))
                    return JSONResponse({"price_locks": sorted(shop.price_locks)})
            if action == "auth_code":
                return JSONResponse({"code": emu.issue_auth_code(shop.code)})
        except (ValueError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def ctl_order(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        action = request.path_params["action"]
        payload = await _json(request)
        try:
            if action == "status":
                order = emu.set_order_status(order_id, payload["status"])
                return JSONResponse({"order_id": order_id, "status": order["status"]})
            if action == "return":
                return JSONResponse(
                    {
                        "return_id": emu.request_return(
                            order_id, payload.get("return_type", "RETURN_AND_REFUND")
                        )
                    }
                )
            if action == "address":
                emu.update_address(order_id, payload["full_address"])
                return JSONResponse({"order_id": order_id})
        except (ValueError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def ctl_invoices(request: Request) -> Response:
        with emu.lock:
            return JSONResponse(
                {
                    "uploads": [
                        u | {"shop_code": s.code} for s in emu.shops.values() for u in s.invoice_uploads
                    ]
                }
            )

    async def ctl_invoice(request: Request) -> Response:
        payload = await _json(request)
        try:
            invoice = emu.set_invoice_outcome(
                request.path_params["package_id"], payload["status"], payload.get("reason")
            )
        except KeyError:
            return JSONResponse({"error": "no invoice for this package"}, status_code=404)
        return JSONResponse({k: v for k, v in invoice.items() if k != "xml"})

    async def ctl_tokens(request: Request) -> Response:
        payload = await _json(request)
        action = request.path_params["action"]
        if action == "expire":
            return JSONResponse(
                {"expired": emu.expire_tokens(payload.get("shop_code"), payload.get("kind", "access"))}
            )
        if action == "revoke":
            return JSONResponse({"revoked": emu.revoke_tokens(payload.get("shop_code"))})
        return JSONResponse({"error": f"unknown action {action}"}, status_code=404)

    async def ctl_autopilot(request: Request) -> Response:
        payload = await _json(request)
        if payload.get("enabled", True):
            try:
                emu.shop_by_code(payload["shop_code"])
            except KeyError:
                return JSONResponse({"error": "no such shop"}, status_code=404)
            emu.start_autopilot(payload["shop_code"], float(payload.get("interval_seconds", 30)))
            return JSONResponse({"autopilot": "on", "shop_code": payload["shop_code"]})
        emu.stop_autopilot()
        return JSONResponse({"autopilot": "off"})

    async def ctl_deliveries(request: Request) -> Response:
        with emu.webhooks._cond:
            return JSONResponse({"deliveries": [d.as_dict() for d in emu.webhooks.deliveries]})

    async def ctl_image(request: Request) -> Response:
        image = emu.images.get(request.path_params["uri"])
        if image is None:
            return Response(status_code=404)
        return Response(image["bytes"], media_type="application/octet-stream")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/open/authorize", authorize),
            Route("/api/v2/token/get", token_get),
            Route("/api/v2/token/refresh", token_refresh),
            Route("/_sandbox/stats", ctl_stats, methods=["GET", "DELETE"]),
            Route("/_sandbox/switches", ctl_switches, methods=["GET", "POST"]),
            Route("/_sandbox/app", ctl_app, methods=["GET", "POST"]),
            Route("/_sandbox/shops", ctl_shops, methods=["GET", "POST"]),
            Route("/_sandbox/shops/{code}", ctl_shop, methods=["GET"]),
            Route("/_sandbox/shops/{code}/{action}", ctl_shop, methods=["GET", "POST"]),
            Route("/_sandbox/orders/{order_id}/{action}", ctl_order, methods=["POST"]),
            Route("/_sandbox/invoices", ctl_invoices),
            Route("/_sandbox/invoices/{package_id}/outcome", ctl_invoice, methods=["POST"]),
            Route("/_sandbox/tokens/{action}", ctl_tokens, methods=["POST"]),
            Route("/_sandbox/webhooks/deliveries", ctl_deliveries),
            Route("/_sandbox/autopilot", ctl_autopilot, methods=["POST"]),
            Route("/_sandbox/images/{uri:path}", ctl_image),
            Route("/{path:path}", api, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ]
    )
