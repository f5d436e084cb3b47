"""A strict local emulator of the Shopee Open Platform API v2 (reference: `shopee_api.md`), its shop
authorization and its pushes.

It enforces what the platform enforces: the sign of each API type (public, shop, merchant) over its base
string, the 5-minute timestamp window, the presence of `partner_id`, `timestamp`, `sign`, `access_token`
and `shop_id` / `merchant_id`, access tokens per shop (4 hours, and 5 more minutes once replaced), single-use
refresh tokens of which only the newest works, single-use 10-minute codes, the authorization's expiry;
the envelope (`request_id`, `error`, `message`, `warning`, `response`) and the reference's error codes,
"Too many requests" per partner and shop; offset and cursor paging, the 15-day order window, items with
tier variations and models, per-model stock and prices, Brazil's INVOICE_PENDING and NF-e, shipping; and
pushes signed over `url|body`, retried until a 2xx with an empty body, lost ones listed, the subscription
disabled below 30 % success. State is in memory and seeded.

Everything a test or the demo needs to drive it is a Python method of `ShopeeEmulator` and a control
route under `/_sandbox/`: shops and consent, items, orders moved through statuses, buyers (`autopilot`),
switches (latency, errors, throttling), tokens expired or revoked, push deliveries and health.

Layout (the pattern of `sandbox.tiktok_shop`):
- state: `state` (credentials, settings, switches, grants, shops), `emulator` (`ShopeeEmulator`: one
  mixin per API family, plus the lock, random source, buckets, counters, push sender);
- one module per API family, each holding that family's part of the platform and its endpoints
  (`ROUTES`): `authorization` (consent page, codes, tokens, shop and merchant info), `catalog_data`
  (categories, attributes, brands), `media` (image upload), `products` (items, models, stock, prices),
  `logistics` (channels), `orders` (orders and the buyers), `fulfilment` (NF-e, shipping, documents),
  `pushes` (the sender, the health policy, lost pushes, push config);
- strict request checks: `app` (the pipeline every call goes through), `signing` (written from the
  reference, never from the project's client), `errors` (codes, messages, HTTP statuses), `context`
  (routes, what a handler receives, shared readings);
- control routes: `control` (`/_sandbox/...`).

No module here imports the project's client (`tiktok_pipelines.channels`).
"""

from tiktok_pipelines.sandbox.shopee.app import API_ROUTES, create_shopee_app, resolve
from tiktok_pipelines.sandbox.shopee.emulator import ShopeeEmulator
from tiktok_pipelines.sandbox.shopee.signing import ApiType, base_string, push_authorization, sign
from tiktok_pipelines.sandbox.shopee.state import (
    SANDBOX_PARTNER_ID,
    SANDBOX_PARTNER_KEY,
    EmulatorConfig,
    Shop,
    Switches,
)

__all__ = [
    "API_ROUTES",
    "SANDBOX_PARTNER_ID",
    "SANDBOX_PARTNER_KEY",
    "ApiType",
    "EmulatorConfig",
    "Shop",
    "ShopeeEmulator",
    "Switches",
    "base_string",
    "create_shopee_app",
    "push_authorization",
    "resolve",
    "sign",
]
