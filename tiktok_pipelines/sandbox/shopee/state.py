"""The Shopee emulator's state: the sandbox partner's credentials, the app's settings (`EmulatorConfig`),
the fault switches, the token grants and the shops with everything they hold; and the id and time values
every API family writes."""

from __future__ import annotations

import random
import string
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from tiktok_pipelines.sandbox.records import field_view
from tiktok_pipelines.sandbox.shopee.errors import DEFAULT_HTTP_STATUS

SANDBOX_PARTNER_ID = 1000001
SANDBOX_PARTNER_KEY = "sandbox-shopee-partner-key-not-for-production"
DAY = 86400.0

# Retries of a push after a failed delivery (reference §7: per-push numbers UNCONFIRMED).
PUSH_RETRY_SCHEDULE = (60.0, 300.0, 1800.0)


def unix_now() -> int:
    return int(time.time())


def new_token(rng: random.Random) -> str:
    """A token as the platform shows them: 32 lowercase hex characters."""
    return f"{rng.getrandbits(128):032x}"


def new_order_sn(rng: random.Random, at: float) -> str:
    """An order_sn as the platform writes them: yymmdd then 8 upper-case letters and digits."""
    alphabet = string.ascii_uppercase + string.digits
    return time.strftime("%y%m%d", time.gmtime(at)) + "".join(rng.choice(alphabet) for _ in range(8))


@dataclass
class EmulatorConfig:
    partner_id: int = SANDBOX_PARTNER_ID
    partner_key: str = SANDBOX_PARTNER_KEY
    base_url: str = "http://127.0.0.1:8708"
    # The app's live push callback (Console or `v2.push.set_app_push_config`) and the codes it takes.
    push_url: str | None = None
    push_codes: tuple[int, ...] = (1, 2, 3, 4, 8, 12, 15)
    timestamp_window_s: int = 300
    auth_code_ttl: float = 600.0
    auth_link_ttl: float = 300.0
    access_token_ttl: float = 4 * 3600.0
    refresh_token_ttl: float = 30 * DAY
    old_access_token_grace_s: float = 300.0
    # The authorization the demo shop's seller chooses on the consent page (at most 365 days).
    authorization_days: float = 365.0
    auth_expiry_warning_s: float = 7 * DAY
    order_window_s: int = 15 * 86400
    # "Too many requests": a token bucket per partner and shop (reference §8: numbers UNCONFIRMED).
    rate_limit_per_second: float = 100.0
    http_status: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_HTTP_STATUS))
    throttle_http_status: int = 429  # UNCONFIRMED (reference §8)
    push_retry_schedule: tuple[float, ...] = PUSH_RETRY_SCHEDULE
    # Multiplies every push delay: 0.001 turns a minute into 60 ms (tests, the demo).
    push_time_factor: float = 1.0
    push_timeout_s: float = 3.0
    # Health policy (reference §7): over the window, once more than `push_health_min_pushes` were sent,
    # a success share below `push_warn_below` warns and below `push_disable_below` disables the
    # subscription.
    push_health_window_s: float = 6 * 3600.0
    push_health_min_pushes: int = 600
    push_warn_below: float = 0.70
    push_disable_below: float = 0.30
    lost_push_days: float = 3.0
    # Brazil: a paid order waits in INVOICE_PENDING for its NF-e before it is READY_TO_SHIP.
    invoice_pending: bool = True
    region: str = "BR"
    currency: str = "BRL"
    seed: int = 7

    def status_of(self, error: str, throttled: bool = False) -> int:
        if throttled:
            return self.throttle_http_status
        return self.http_status.get(error, 200 if not error else 400)


@dataclass
class Switches:
    """Fault injection, changed at run time through `/_sandbox/switches`."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of API calls answered with `error_code` / `error_message`
    error_code: str = "error_server"
    error_message: str = "System error, please try again later."
    throttle_burst: int = 0  # the next N API calls are answered "Too many requests"
    throttle_rate: float = 0.0  # share of API calls answered "Too many requests", scattered
    rate_limit_per_second: float | None = None  # overrides the config when set
    rate_limit_enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AccessGrant:
    """An access token, for the shops and merchants (`owners`, e.g. ("shop", 123)) it was issued to.
    `retired` is when a refresh replaced it for an owner: it keeps working for that owner a grace period."""

    token: str
    owners: frozenset[tuple[str, int]]
    expires_at: float
    retired: dict[tuple[str, int], float] = field(default_factory=dict)


@dataclass
class RefreshGrant:
    token: str
    owners: frozenset[tuple[str, int]]
    expires_at: float


@dataclass
class Shop:
    shop_id: int
    name: str
    region: str = "BR"
    currency: str = "BRL"
    status: str = "NORMAL"
    merchant_id: int | None = None
    main_account_id: int | None = None
    auto_consent: bool = True  # the demo seller consents on the authorization page without a click
    auth_time: int | None = None
    expire_time: int | None = None  # when the seller's authorization of the partner ends
    expiry_warned: bool = False
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # order_sn → NF-e upload
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # order_sn → shipping document
    logistics: dict[int, bool] = field(default_factory=dict)  # channel id → enabled for the shop

    def as_api(self) -> dict[str, Any]:
        view = field_view(
            self, "shop_id", "region", "status", "merchant_id", "auth_time", "expire_time", shop_name="name"
        )
        return view | {"items": len(self.items), "orders": len(self.orders)}
