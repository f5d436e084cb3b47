"""A strict local emulator of TikTok for Developers for creator accounts: Login Kit (authorize, consent),
the token endpoint (authorization_code with PKCE, refresh_token with rotation, client_credentials),
revocation, the Display API (user info, video list, video query) and the Content Posting API (creator
info, direct and inbox posts, chunked uploads, publish status), over simulated creators whose videos gain
views as the clock runs (reference `tiktok_creator_api.md`). Not TikTok Shop: other hosts,
other app credentials (`client_key`), other tokens, other error shapes.

What it enforces (reference §2–§8): the app's `client_key` and secret; the redirect URI registered for
the app type (web: https, static; desktop: localhost with a port, `*` allowed) and matched exactly, at
authorize and again at the code exchange; PKCE (S256, base64url or hex) for desktop and mobile apps;
codes single use and short-lived, carrying characters a client must URL-decode; the scopes the creator
granted (fewer than asked, if they choose), each user info field needing its scope
(`scope_permission_missed`), the video endpoints needing `video.list` (`scope_not_authorized`); refresh
tokens rotated, a used one refused (`invalid_grant`), their lifetime counted from the first issue and
answered as the remaining seconds; revoked and expired tokens (`access_token_invalid`); `fields`
required and known; `max_count` ≤ 20, a millisecond cursor; ≤ 20 ids a query, the creator's own public
videos only; and a sliding window of 600 calls a minute per endpoint and app (HTTP 429,
`rate_limit_exceeded`). OAuth errors answer `{"error", "error_description", "log_id"}` (HTTP 200 by
default, configurable); the API answers `{"data", "error": {"code", "message", "log_id"}}`.

Everything a test or the demo needs is a Python method of `TikTokCreatorEmulator` and a control route under
`/_sandbox/`: apps and their settings (app type, redirect URIs, lifetimes, rotation, `auto_approve`),
creators, switches for latency, 500s, 429 bursts, timeouts and a down token host, tokens expired or
revoked, the clock moved forward. Without a browser, consent is answered by a form POST to
`/v2/auth/authorize/consent/` (the session from the authorize page, with `Accept: application/json`),
choosing the creator and the scopes granted, or by the app's `auto_approve` switch.

Layout (the pattern of `sandbox.tiktok_shop`):
- state: `state` (apps, switches, authorizations, codes, tokens, redirect URI rules, scopes), `simulation`
  (the creators and their histories), `emulator` (`TikTokCreatorEmulator`: one mixin per API family, plus
  the lock, the clock, the rate-limit windows and counters);
- one module per API family: `oauth` (Login Kit, consent, token and revoke endpoints), `display` (user
  info, video list and query), `posting` (Content Posting: chunk rules, uploads, publish status);
- strict request checks: `app` (the pipeline every API call goes through, and the upload host),
  `calls` (what a handler receives, how an endpoint declares its scopes and per-token limit), `errors`
  (both error shapes);
- control routes: `control` (`/_sandbox/...`).

No module here imports the project's creator client (`tiktok_pipelines.creator`): the emulator is written
from the reference, so a client bug fails a test instead of being mirrored.
"""

from tiktok_pipelines.sandbox.tiktok_creator.app import API_ROUTES, create_creator_app
from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator
from tiktok_pipelines.sandbox.tiktok_creator.oauth import challenge_matches
from tiktok_pipelines.sandbox.tiktok_creator.simulation import SimulatedCreator, Video, generate_creator
from tiktok_pipelines.sandbox.tiktok_creator.state import (
    SANDBOX_CLIENT_KEY,
    SANDBOX_CLIENT_SECRET,
    SCOPES,
    USER_FIELD_SCOPES,
    CreatorApp,
    EmulatorConfig,
    Switches,
)

__all__ = [
    "API_ROUTES",
    "SANDBOX_CLIENT_KEY",
    "SANDBOX_CLIENT_SECRET",
    "SCOPES",
    "USER_FIELD_SCOPES",
    "CreatorApp",
    "EmulatorConfig",
    "SimulatedCreator",
    "Switches",
    "TikTokCreatorEmulator",
    "Video",
    "challenge_matches",
    "create_creator_app",
    "generate_creator",
]
