"""The VTEX emulator: Catalog, Logistics, Pricing v2, fulfillment (external marketplace), OMS, orders
feed and hook, on loopback, as strict as the real APIs where their behaviour is documented.

URL scheme. One port serves every account; the account is the first path segment, so the project's
host templates work unchanged: `VTEX_BASE_URL=http://127.0.0.1:8703/{account}` (core APIs at
`/{account}/api/...`) and `VTEX_PRICING_BASE_URL=http://127.0.0.1:8703/{account}` (Pricing at
`/{account}/pricing/...`, as `https://api.vtex.com/{account}/pricing/...`). The Host header is ignored.

Strictness: app key and token headers are required (401), each route needs a License Manager resource
(403), each account has token buckets per API (429 + Retry-After; Pricing answers always carry
`Ratelimit-Limit/Remaining/Reset`), request bodies must be JSON, order money must be integer cents.

`GET /_sandbox/stats`: what each account received and did (requests per endpoint and answer, orders by
status, notifications sent); `DELETE` resets the request counts.

Switches, all under `/_sandbox/vtex/` (see `VtexSandboxControl` for a client):
- `calls` (GET, DELETE): requests per account and endpoint (`"GET /api/logistics/..."`), and by status.
- `faults` (POST, DELETE): answer the next N matching requests with a status (and Retry-After), or
  delay them (a delay longer than the client's timeout is a timeout); with `after`, the request is
  processed first and only its answer is lost.
- `latency` (POST): added to every request; `rate-limits` (POST, DELETE): token buckets per API.
- `deliveries` (GET, DELETE, POST `/flush`): notifications sent (SKU broadcasts, order hook,
  marketplace callbacks) with their status and attempts.
- `accounts/{account}/...`: `config` (window-to-cancel seconds, weight unit, `auto_invoice`: the ERP
  invoicing orders by itself after a delay, some NF-es broken and corrected later), `appkeys/{key}`,
  `affiliates/{id}`, `notifications` (where SKU-change broadcasts go), `skus/{id}/stock`,
  `skus/{id}/price`, `walk/start|stop|step` (the seeded random walk of stock and prices), `orders`,
  `orders/{id}/advance`, `orders/{id}/invoice` (the ERP issues an NF-e and invoices the order;
  `broken` makes the XML bad on purpose), `orders/{id}/invoice/correct` (the ERP replaces a refused
  NF-e with a new one), `invoices/{key}.xml` (the NF-e XML).

Layout (the pattern of `sandbox.tiktok_shop`):
- state: `account` (`SandboxAccount`, one store: one mixin per API family, plus its catalog lookups
  and the random walk), `emulator` (`VtexEmulator`: the accounts, switches, counters and the request
  pipeline), `notifications` (the outbox: broadcasts, hook, marketplace callbacks), `erp` (the
  merchant's ERP and its NF-es);
- one module per API family, each holding that family's part of the store (its mixin) and its
  endpoints (handlers on its `router`): `catalog` (over the answer shapes of `catalog_records`),
  `inventory` (logistics), `pricing`, `marketplace` (simulation, placement, authorization to dispatch),
  `oms` (orders and their workflow), `invoices`, `order_feed` (feed v3 and hook);
- strict request checks: `emulator` (keys, resources, rate limits, JSON bodies), `resources` (who may
  call what), `values` (timestamps and numbers taken strictly), `errors` (the error answer), `routing`
  (what a handler receives, routers, the JSON answer), `app` (every family's routes under `/{account}`);
- control routes: `control` (`/_sandbox/...`), and their client, `control_client`.

No module here imports the project's client (`tiktok_pipelines.vtex`).
"""

from tiktok_pipelines.sandbox.vtex.account import SandboxAccount
from tiktok_pipelines.sandbox.vtex.app import create_vtex_app
from tiktok_pipelines.sandbox.vtex.control_client import VtexSandboxControl
from tiktok_pipelines.sandbox.vtex.emulator import VtexEmulator
from tiktok_pipelines.sandbox.vtex.errors import ApiError
from tiktok_pipelines.sandbox.vtex.marketplace import Affiliate
from tiktok_pipelines.sandbox.vtex.resources import AppKey, catalog_only_credentials, sandbox_credentials

__all__ = [
    "Affiliate",
    "ApiError",
    "AppKey",
    "SandboxAccount",
    "VtexEmulator",
    "VtexSandboxControl",
    "catalog_only_credentials",
    "create_vtex_app",
    "sandbox_credentials",
]
