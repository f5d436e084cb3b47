"""A strict local emulator of the TikTok Shop Partner API (202309+), its token host and its webhooks.

It serves the paths the project uses, in every version the client can be set to, and enforces what the
platform enforces (reference §1–§6): signature (106001), app key and timestamp window (36009004), access
token validity and expiry (36009004 / 105002), shop_cipher required or forbidden (106013 / 36009004),
unknown path (36009009), method (36009010) and version (36009014), page sizes, missing warehouses in
inventory updates (12019028 inside code 0), locked prices (12019045), and a token-bucket rate limit per
app + shop (+ endpoint) answered with HTTP 429 and code 36009002. State is in memory.

Everything a test or the demo needs to drive it is both a Python method of `TikTokShopEmulator` and a
control route under `/_sandbox/`: shops, products seeded from a catalog, orders moved through statuses,
webhooks sent (signed as the platform signs them) with the platform's retry schedule, compressed by a
time factor; switches for latency, errors, 429 bursts, token expiry; and counters of calls per endpoint.

Layout (the pattern a new emulator follows; `sandbox.vtex` is laid out the same way):
- state: `state` (the app's settings, fault switches, grants, shops), `seed` (shops, buyers, products
  listed from a merchant catalog), `emulator` (`TikTokShopEmulator`: one mixin per API family, plus
  what they share: lock, random source, rate-limit buckets, counters, page tokens);
- one module per API family, each holding that family's part of the platform (its mixin) and its
  endpoints (handlers and `ROUTES`): `authorization` (auth codes, tokens, the token host and consent
  page), `products`, `brands_categories` (over the tree in `category_tree`), `images`,
  `inventory_prices` (and warehouses), `orders` (the order simulator), `fulfilment` (packages, NF-e
  invoices), `returns` (returns and cancellations), `webhooks` (subscriptions and their sender),
  `analytics`;
- strict request checks: `app` (the pipeline every call goes through: route, keys, signature,
  timestamp, body format, token, cipher, faults, rate limit), `routing` (which endpoint a method and
  path are, or the platform's refusal), `signing` (signatures written from the reference, never the
  client's), `request_checks` (the platform's refusals of queries, bodies and fields, and its messages),
  `context` (what a handler receives and the readings families share), `answers` (answer shapes);
- control routes: `control` (`/_sandbox/...`).

No module here imports the project's client (`tiktok_pipelines.channels`): the emulator is written from
the reference, so a client bug fails a test instead of being mirrored.
"""

from tiktok_pipelines.sandbox.tiktok_shop.app import API_ROUTES, ROUTES, create_tiktok_app
from tiktok_pipelines.sandbox.tiktok_shop.emulator import TikTokShopEmulator
from tiktok_pipelines.sandbox.tiktok_shop.seed import SEED_CATEGORY_BY_VTEX_CATEGORY, seed_attributes
from tiktok_pipelines.sandbox.tiktok_shop.state import (
    SANDBOX_APP_KEY,
    SANDBOX_APP_SECRET,
    SANDBOX_SERVICE_ID,
    EmulatorConfig,
    Grant,
    Shop,
    Switches,
)
from tiktok_pipelines.sandbox.tiktok_shop.webhooks import WEBHOOK_TYPES, Delivery, WebhookSender

__all__ = [
    "API_ROUTES",
    "ROUTES",
    "SANDBOX_APP_KEY",
    "SANDBOX_APP_SECRET",
    "SANDBOX_SERVICE_ID",
    "SEED_CATEGORY_BY_VTEX_CATEGORY",
    "WEBHOOK_TYPES",
    "Delivery",
    "EmulatorConfig",
    "Grant",
    "Shop",
    "Switches",
    "TikTokShopEmulator",
    "WebhookSender",
    "create_tiktok_app",
    "seed_attributes",
]
