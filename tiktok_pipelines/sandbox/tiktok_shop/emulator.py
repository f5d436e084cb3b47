"""`TikTokShopEmulator`: the in-memory platform, composed of one mixin per API family (each in its
module, next to that family's endpoints), plus what they share: the lock, the seeded random source,
rate-limit buckets, call counters and page tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import secrets
from collections.abc import Callable
from typing import Any

from tiktok_pipelines.sandbox.controls import EmulatorState
from tiktok_pipelines.sandbox.tiktok_shop.authorization import TokensMixin
from tiktok_pipelines.sandbox.tiktok_shop.brands_categories import BrandsMixin
from tiktok_pipelines.sandbox.tiktok_shop.category_tree import TikTokCategory, build_category_tree
from tiktok_pipelines.sandbox.tiktok_shop.fulfilment import FulfilmentMixin
from tiktok_pipelines.sandbox.tiktok_shop.images import ImagesMixin
from tiktok_pipelines.sandbox.tiktok_shop.orders import OrdersMixin
from tiktok_pipelines.sandbox.tiktok_shop.products import ProductsMixin
from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.returns import ReturnsMixin
from tiktok_pipelines.sandbox.tiktok_shop.seed import SeedMixin
from tiktok_pipelines.sandbox.tiktok_shop.state import EmulatorConfig, Grant, Shop, Switches
from tiktok_pipelines.sandbox.tiktok_shop.webhooks import WebhookSender, WebhooksMixin


class TikTokShopEmulator(
    EmulatorState,
    SeedMixin,
    TokensMixin,
    BrandsMixin,
    ImagesMixin,
    ProductsMixin,
    OrdersMixin,
    ReturnsMixin,
    FulfilmentMixin,
    WebhooksMixin,
):
    """The in-memory platform: sellers and shops, tokens, brands, categories, images, and the simulator."""

    def __init__(self, config: EmulatorConfig | None = None):
        self.init_state(config or EmulatorConfig(), Switches())
        self.categories: dict[str, TikTokCategory] = build_category_tree()
        self.shops: dict[str, Shop] = {}
        self.brands: dict[str, dict[str, Any]] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, Grant] = {}
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

    def shop_by_code(self, code: str) -> Shop:
        with self.lock:
            for shop in self.shops.values():
                if shop.code == code:
                    return shop
        raise KeyError(code)

    def shops_of(self, seller_id: str) -> list[Shop]:
        return [s for s in self.shops.values() if s.seller_id == seller_id]

    # ------------------------------------------------------------ rate limits, counters, page tokens
    def stats(self) -> dict[str, Any]:
        with self.lock:
            return super().stats() | {
                "webhooks": {"pending": self.webhooks.pending(), "sent": len(self.webhooks.deliveries)}
            }

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
