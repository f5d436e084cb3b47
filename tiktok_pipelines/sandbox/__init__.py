"""Faithful local emulators of the outside world (feed server, TikTok Shop, VTEX, TikTok for Developers,
Mercado Livre) for tests and the demo.

One package per outside system: `tiktok_shop/` (the Partner API, its token host and webhooks),
`tiktok_creator/` (TikTok for Developers: Login Kit, tokens and the Display API of creator accounts),
`mercado_livre/` (the seller API, its authorization page, tokens and notifications), `vtex/`
(the merchant's store: catalog, logistics, pricing, marketplace protocol, OMS, orders feed, and the ERP
beside it), `feeds/` (the store front: product feed and images), `llm/` (an OpenAI-compatible
chat-completions endpoint, for the content lane's ideas). Beside them, the world they serve:
`catalog` (the seeded merchant catalogs every emulator reads), `nfe` (the ERP's NF-e documents),
`sales` (generated sales history for analytics), `world` (`SandboxWorld`: the catalogs and emulators
wired together on their ports), `server` (serving apps on loopback), `rate_limits` (the token bucket
emulators share), `controls` (the call counters and the `/_sandbox/` stats, switches and tokens routes
emulators share); and the demo: `demo`, `demo_catalog`, `supervisor`.

What the marketplace emulators (`tiktok_shop/`, `mercado_livre/`, `shopee/`) share, and a new one
starts from: `controls.EmulatorState` (settings, switches, lock, seeded random source, rate limit
with its off switch, counters, the demo's buyers), `controls.marketplace_routes` (`/_sandbox/` stats,
switches, app settings, an owner's tokens, autopilot), `apps.emulator_app` (`/health`, its own routes,
every other path to its API pipeline) and `apps.run_handler` (a body of the wrong shape answered as the
platform's generic refusal), `refusals.Refusal` (the base of its `ApiError`, a dataclass of the
platform's error fields) and `records.field_view` (a record's fields under their wire names). What
differs between platforms (envelopes, codes, statuses, signatures) stays in each emulator.

A new emulator follows the pattern of `tiktok_shop/` and `vtex/` (their package docstrings say more):
- state: plain in-memory objects (settings, fault switches, what the platform holds), seeded so runs
  repeat, composed of one mixin per API family;
- one module per API family, holding that family's part of the state (its mixin) and its endpoints
  (handlers and their routes), written from `reference/`, never from the project's client;
- strict request checks in one pipeline every call goes through (credentials, signatures, formats,
  rate limits, faults), refusing what the real API refuses with the real error;
- control routes under `/_sandbox/` (and a Python method for each) that tests and the demo drive it with.
Each module stays small (well under 800 lines). An emulator never imports the client it tests
(`tiktok_pipelines.channels`, `tiktok_pipelines.vtex`, `tiktok_pipelines.creator`, `tiktok_pipelines.lanes.content`, `openai`), and production code never imports the sandbox.
"""
