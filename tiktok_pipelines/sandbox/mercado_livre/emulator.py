"""`MercadoLivreEmulator`: the in-memory platform, composed of one mixin per API family (each in its
module, next to that family's endpoints), plus what they share: the lock, the seeded random source,
rate-limit buckets and call counters."""

from __future__ import annotations

from typing import Any

from tiktok_pipelines.sandbox.controls import EmulatorState
from tiktok_pipelines.sandbox.mercado_livre.items import ItemsMixin
from tiktok_pipelines.sandbox.mercado_livre.notifications import NotificationSender, NotificationsMixin
from tiktok_pipelines.sandbox.mercado_livre.oauth import Token, TokensMixin
from tiktok_pipelines.sandbox.mercado_livre.orders import OrdersMixin
from tiktok_pipelines.sandbox.mercado_livre.shipments import ShipmentsMixin
from tiktok_pipelines.sandbox.mercado_livre.state import AppConfig, Seller, Switches
from tiktok_pipelines.sandbox.mercado_livre.users import UsersMixin


class MercadoLivreEmulator(
    EmulatorState,
    UsersMixin,
    TokensMixin,
    ItemsMixin,
    OrdersMixin,
    ShipmentsMixin,
    NotificationsMixin,
):
    """Sellers with their items, orders, packs and shipments; the application's tokens; notifications."""

    def __init__(self, config: AppConfig | None = None):
        self.init_state(config or AppConfig(), Switches())
        self.sellers: dict[str, Seller] = {}
        self.sellers_by_id: dict[int, Seller] = {}
        self.consenting: str | None = None  # the seller the authorization page consents as
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        self.latest_refresh: dict[tuple[str, int], str] = {}
        self.pictures: dict[str, dict[str, Any]] = {}
        self.scrolls: dict[str, dict[str, Any]] = {}
        self.notifications = NotificationSender(self)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return super().stats() | {
                "notifications": {
                    "pending": self.notifications.pending(),
                    "sent": len(self.notifications.notifications),
                    "fallen_back": self.notifications.fallen_back,
                }
            }

    def close(self) -> None:
        self.stop_autopilot()
        self.notifications.stop()
