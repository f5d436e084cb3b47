"""The Mercado Livre emulator's state: the sandbox application (`AppConfig`: credentials, redirect URI,
PKCE, callback and topics, limits and lifetimes), the fault switches, sellers with what they hold, and the
time and id values every API family writes. Numbers marked UNCONFIRMED in the reference are settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tiktok_pipelines.sandbox.controls import FaultSwitches

SANDBOX_APP_ID = "5503910054141466"
SANDBOX_CLIENT_SECRET = "sandbox-mercadolivre-secret-not-for-production"
SITE_ID = "MLB"
CURRENCY = "BRL"
SCOPES = ("offline_access", "read", "write")
# Topics an application may subscribe to (reference §8).
TOPICS = (
    "orders_v2",
    "items",
    "questions",
    "shipments",
    "payments",
    "post_purchase",
    "orders_feedback",
    "messages",
    "price_suggestion",
    "stock-location",
    "invoices",
)
# The reference's delivery contract: 8 attempts within an hour, then the notification is dropped.
RETRY_SCHEDULE = (60.0, 120.0, 300.0, 420.0, 600.0, 900.0, 1200.0)
BRT = timezone(timedelta(hours=-3))


def iso(ts: float, tz: timezone = BRT) -> str:
    """A timestamp as the API writes them: ISO-8601 with milliseconds and an offset."""
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds")


def iso_utc(ts: float) -> str:
    """A UTC timestamp as notifications carry them (`2019-10-30T16:19:20.129Z`)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> float:
    """A timestamp of a query (`2015-07-01T00:00:00.000-00:00`), as seconds; ValueError when malformed."""
    stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


@dataclass
class AppConfig:
    """The sandbox application as its developer configured it (reference §2, §8, §9)."""

    app_id: str = SANDBOX_APP_ID
    client_secret: str = SANDBOX_CLIENT_SECRET
    base_url: str = "http://127.0.0.1:8707"
    redirect_uri: str | None = None  # static, matched exactly
    pkce_required: bool = False  # "PKCE enabled" on the app: code_challenge becomes mandatory
    offline_access: bool = True  # without it, no refresh_token is issued
    callback_url: str | None = None  # where notifications go
    topics: tuple[str, ...] = ("orders_v2", "items", "shipments")
    access_token_ttl: float = 21600.0
    refresh_token_ttl: float = 180 * 86400.0
    auth_code_ttl: float = 600.0
    # Calls a second per application and endpoint before 429 (no public quota: UNCONFIRMED, §9).
    rate_limit_per_second: float = 50.0
    # The legacy `?access_token=` query parameter (deprecated, §1); refused unless set.
    query_token_accepted: bool = False
    # Whether a closed item that has sales may still be deleted (UNCONFIRMED): refused by default.
    delete_with_sales: bool = False
    orders_search_max_limit: int = 51  # UNCONFIRMED, §6
    items_search_max_limit: int = 100
    offset_paging_max: int = 1000  # offset + limit beyond this wants search_type=scan
    scroll_ttl: float = 300.0
    # Notifications: 200 within `notification_deadline_s` or the attempt failed; retried after each delay
    # of the schedule (times the time factor); dropped ones are listed in /missed_feeds for 2 days.
    notification_deadline_s: float = 0.5
    notification_retry_schedule: tuple[float, ...] = RETRY_SCHEDULE
    notification_time_factor: float = 1.0
    missed_feed_ttl: float = 2 * 86400.0
    # Consecutive failed attempts after which the endpoint's topics are disabled ("fall back", UNCONFIRMED).
    fallback_after_failures: int = 50
    # orders_v2 notifications per change of an order (the platform sends several per sale).
    orders_v2_per_change: int = 2
    seed: int = 7


@dataclass
class Switches(FaultSwitches):
    """Fault injection, changed at run time through `/_sandbox/switches`: the shared switches (5xx of
    `error_http_status`, 429s, latency, late answers), the rate limit, and the token endpoint's time."""

    rate_limit_per_second: float | None = None  # overrides the app's setting when set
    rate_limit_enabled: bool = True
    token_latency_ms: float = 0.0  # time the token endpoint takes (lets two refreshes overlap)


@dataclass
class Seller:
    id: int
    nickname: str
    first_name: str
    last_name: str
    email: str
    registration: float = field(default_factory=time.time)
    operator: bool = False  # an operator (collaborator) user may not grant an application
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    packs: dict[int, dict[str, Any]] = field(default_factory=dict)
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)
    billing_infos: dict[int, dict[str, Any]] = field(default_factory=dict)  # per order id

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nickname": self.nickname,
            "registration_date": iso(self.registration),
            "first_name": self.first_name,
            "last_name": self.last_name,
            "country_id": "BR",
            "email": self.email,
            "site_id": SITE_ID,
            "user_type": "normal",
            "tags": ["normal", "user_info_verified"],
            "permalink": f"http://perfil.mercadolivre.com.br/{self.nickname}",
            "seller_reputation": {
                "level_id": "5_green",
                "power_seller_status": None,
                "transactions": {
                    "total": len(self.orders),
                    "completed": sum(1 for o in self.orders.values() if o["status"] == "paid"),
                    "canceled": sum(1 for o in self.orders.values() if o["status"] == "cancelled"),
                    "period": "historic",
                },
            },
            "status": {"site_status": "active"},
        }

    def public(self) -> dict[str, Any]:
        full = self.as_api()
        return {
            k: full[k]
            for k in (
                "id",
                "nickname",
                "registration_date",
                "country_id",
                "site_id",
                "user_type",
                "tags",
                "permalink",
                "seller_reputation",
                "status",
            )
        }
