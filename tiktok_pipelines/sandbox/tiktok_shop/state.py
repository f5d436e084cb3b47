"""The TikTok Shop emulator's state: the sandbox app's credentials, the app's settings (`EmulatorConfig`),
the fault switches, grants (tokens) and shops with everything they hold; and the id, time and money values
every API family writes."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tiktok_pipelines.sandbox.controls import FaultSwitches
from tiktok_pipelines.sandbox.records import field_view
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError

SANDBOX_APP_KEY = "sandbox-app-key"
SANDBOX_APP_SECRET = "sandbox-app-secret-not-for-production"
SANDBOX_SERVICE_ID = "7000000000000000001"

# The platform's webhook retry schedule after a failed delivery (reference §4; UNCONFIRMED there).
WEBHOOK_RETRY_SCHEDULE = (120.0, 1800.0, 10800.0, 43200.0)


def unix_now() -> int:
    return int(time.time())


def new_id(rng: random.Random | None = None) -> str:
    """A 19-digit id, transported as a string like every 64-bit id of the platform."""
    return str((rng or random).randrange(10**18, 9 * 10**18))


def parse_money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(12052990, f"invalid amount {value!r}") from None
    if not amount.is_finite():
        raise ApiError(12052990, f"invalid amount {value!r}")
    return amount


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
class Switches(FaultSwitches):
    """Fault injection, changed at run time through `/_sandbox/switches`."""

    error_code: int = 36009003  # the code of an answer `error_rate` picks
    rate_limit_per_second: float | None = None  # overrides the config when set
    rate_limit_enabled: bool = True


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
        return field_view(self, "id", "name", "region", "seller_type", "cipher", "code")
