"""A strict local emulator of the Mercado Livre seller API (Brazil, site MLB), its authorization page,
its token endpoint and its notifications, written from `reference/mercado_livre_api.md` (its §10 is the
checklist).

It enforces what the platform enforces: OAuth parameters in the form body only, single-use codes bound to
their exact redirect_uri and PKCE challenge (S256 or plain), single-use refresh tokens of which only the
newest works (two refreshes with one token: the second gets `invalid_grant`), bearer tokens of 6 hours;
the category's required attributes, the variation rules (one sent without its id is deleted and created
anew), the rules of items with sales, at most 20 ids per multiget, offset paging up to 1,000 and scan
paging beyond, a rate limit per application and endpoint answered 429; with the reference's error
bodies. State is in memory.

Everything a test or the demo needs to drive it is a Python method of `MercadoLivreEmulator` and a control
route under `/_sandbox/`: sellers, seeded listings from a merchant catalog, the buyer simulator (paid
orders, cart purchases sharing a pack and a shipment, cancellations, shipment progress, an autopilot),
notifications sent with the platform's retries and fall back (compressed by a time factor), switches for
latency, 429s and 5xx, tokens expired or revoked, and counters of calls per endpoint.

Layout (the pattern of `tiktok_shop/`):
- state: `state` (the application's settings, fault switches, sellers, time values), `errors` (the two
  error shapes), `emulator` (`MercadoLivreEmulator`: one mixin per API family, and what they share);
- one module per API family, each holding its part of the platform and its endpoints (`ROUTES`):
  `oauth` (authorization page, token endpoint), `users` (and seeded listings), `categories` (the seeded
  tree, attributes, `domain_discovery`), `items` (CRUD, variations, validate, descriptions), `search`
  (a seller's listings with scan; picture upload), `orders` (the buyer simulator, orders, search, packs),
  `shipments` (and labels), `notifications` (the sender and `/missed_feeds`);
- strict request checks: `app` (the pipeline every call goes through), `routes` (route table, what a
  handler receives, paging);
- control routes: `control` (`/_sandbox/...`).

No module here imports the project's client (`tiktok_pipelines.channels`).
"""

from tiktok_pipelines.sandbox.mercado_livre.app import API_ROUTES, ROUTES, create_mercado_livre_app
from tiktok_pipelines.sandbox.mercado_livre.emulator import MercadoLivreEmulator
from tiktok_pipelines.sandbox.mercado_livre.state import (
    SANDBOX_APP_ID,
    SANDBOX_CLIENT_SECRET,
    AppConfig,
    Seller,
    Switches,
)

__all__ = [
    "API_ROUTES",
    "ROUTES",
    "SANDBOX_APP_ID",
    "SANDBOX_CLIENT_SECRET",
    "AppConfig",
    "MercadoLivreEmulator",
    "Seller",
    "Switches",
    "create_mercado_livre_app",
]
