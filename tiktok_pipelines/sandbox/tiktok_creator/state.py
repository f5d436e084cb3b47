"""The TikTok for Developers emulator's state: the sandbox app's credentials, the registered apps
(`CreatorApp`: app type, redirect URIs, approved scopes, token lifetimes), the fault switches, and the
authorizations a creator gives an app with the codes and tokens that carry them (reference §2–§4)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tiktok_pipelines.sandbox.controls import FaultSwitches

SANDBOX_CLIENT_KEY = "sbawsandboxcreator01"
SANDBOX_CLIENT_SECRET = "sandbox-creator-client-secret-not-for-production"

# The user info fields each scope grants (reference §4, after the 2024 scope migration).
SCOPE_USER_FIELDS: dict[str, tuple[str, ...]] = {
    "user.info.basic": (
        "open_id",
        "union_id",
        "avatar_url",
        "avatar_url_100",
        "avatar_large_url",
        "display_name",
    ),
    "user.info.profile": ("bio_description", "profile_deep_link", "is_verified", "username"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
USER_FIELD_SCOPES = {name: scope for scope, names in SCOPE_USER_FIELDS.items() for name in names}
SCOPES = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
)
APP_TYPES = ("web", "desktop", "mobile")
# Desktop and mobile apps must prove the code with PKCE; web server apps need not (reference §2).
PKCE_APP_TYPES = ("desktop", "mobile")


def redirect_uri_problem(app_type: str, uri: str) -> str | None:
    """Why `uri` cannot be registered for an app of `app_type` (reference §2), or None."""
    if len(uri) >= 512:
        return "a redirect URI has fewer than 512 characters"
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return "a redirect URI has no fragment"
    if parts.query:
        return "a redirect URI is static: no query parameters"
    if app_type == "web":
        return None if parts.scheme == "https" and parts.netloc else "a web redirect URI is absolute https://"
    if parts.scheme not in ("http", "https") or parts.hostname not in ("localhost", "127.0.0.1"):
        return "a desktop redirect URI is http(s) on localhost or 127.0.0.1"
    port = parts.netloc.rsplit(":", 1)[1] if ":" in parts.netloc else ""
    if not (port == "*" or port.isdigit()):
        return "a desktop redirect URI names a port (or the wildcard *)"
    return None


def redirect_uri_matches(registered: str, given: str) -> bool:
    """Exact match, except a desktop URI registered with the wildcard port `*` matches any port."""
    if registered == given:
        return True
    reg, giv = urlsplit(registered), urlsplit(given)
    if not reg.netloc.endswith(":*"):
        return False
    return (
        reg.scheme == giv.scheme
        and reg.hostname == giv.hostname
        and giv.port is not None
        and reg.path == giv.path
        and not giv.query
        and not giv.fragment
    )


@dataclass
class CreatorApp:
    """An app registered on TikTok for Developers, with its settings (all of them UNCONFIRMED defaults the
    reference asks to keep configurable: short lifetimes and rotation on, to catch client bugs)."""

    client_key: str = SANDBOX_CLIENT_KEY
    client_secret: str = SANDBOX_CLIENT_SECRET
    app_type: str = "web"
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
    access_ttl: float = 86400.0
    refresh_ttl: float = 31536000.0  # counted from the first issue: a refresh never extends it
    rotate_refresh: bool = True
    code_ttl: float = 300.0
    client_token_ttl: float = 7200.0
    # Consent answered without a person: every asked scope granted by `auto_creator` (the demo's switch).
    auto_approve: bool = False
    auto_creator: str | None = None
    auto_scopes: tuple[str, ...] | None = None  # with auto_approve: grant only these of the asked scopes
    audited: bool = False  # until the app passes audit, its posts are private (SELF_ONLY)
    verified_url_prefixes: tuple[str, ...] = ()  # where PULL_FROM_URL may pull videos from

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        if self.app_type not in APP_TYPES:
            raise ValueError(f"app_type is one of {APP_TYPES}")
        if len(self.redirect_uris) > 10:
            raise ValueError("at most 10 redirect URIs are registered")
        for uri in self.redirect_uris:
            problem = redirect_uri_problem(self.app_type, uri)
            if problem:
                raise ValueError(f"{uri!r}: {problem}")
        unknown = set(self.scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}")

    def settings(self) -> dict[str, Any]:
        return {
            "client_key": self.client_key,
            "app_type": self.app_type,
            "redirect_uris": list(self.redirect_uris),
            "scopes": list(self.scopes),
            "access_ttl": self.access_ttl,
            "refresh_ttl": self.refresh_ttl,
            "rotate_refresh": self.rotate_refresh,
            "code_ttl": self.code_ttl,
            "auto_approve": self.auto_approve,
            "auto_creator": self.auto_creator,
            "auto_scopes": None if self.auto_scopes is None else list(self.auto_scopes),
            "audited": self.audited,
            "verified_url_prefixes": list(self.verified_url_prefixes),
        }


@dataclass
class EmulatorConfig:
    base_url: str = "http://127.0.0.1:8705"
    # Display API: requests per sliding window, per endpoint and per app ("app") or per token ("token").
    rate_limit: int = 600
    rate_window_s: float = 60.0
    rate_limit_key: str = "app"
    # HTTP status of an OAuth error answer (UNCONFIRMED: clients must read `error` even on 200).
    oauth_error_http_status: int = 200
    # The creator's videos gain views `growth_speedup` times faster than real time (the demo: minutes).
    growth_speedup: float = 1.0
    # Content Posting: where upload URLs point (another host; this one when None), seconds a publish is
    # processed once its bytes are in, and seconds more before a public post has its id (moderation).
    upload_base_url: str | None = None
    publish_processing_s: float = 2.0
    moderation_s: float = 3.0
    # A creator's posts (direct and inbox) in any 24 hours, at most (UNCONFIRMED figure).
    posts_per_day: int = 15
    seed: int = 11


@dataclass
class Switches(FaultSwitches):
    """Fault injection, changed at run time through `/_sandbox/switches`: the shared switches on Display
    API calls (an error is a 500 `internal_error`, a 429 `rate_limit_exceeded`), and the token host's."""

    token_endpoint_errors: int = 0  # the next N token calls are answered 500 (the token host is down)


@dataclass
class Authorization:
    """What one creator granted one app: the scopes, and the refresh deadline of the whole chain."""

    id: str
    client_key: str
    creator: str  # username
    scopes: tuple[str, ...]
    refresh_deadline: float
    created_at: float = field(default_factory=time.time)
    revoked: bool = False


@dataclass
class Token:
    token: str
    kind: str  # access | refresh | client
    client_key: str
    expires_at: float
    authorization: Authorization | None = None  # None for a client token
    used: bool = False  # a rotated refresh token: answered invalid_grant from then on

    @property
    def dead(self) -> bool:
        return self.used or (self.authorization is not None and self.authorization.revoked)


@dataclass
class AuthCode:
    code: str
    client_key: str
    redirect_uri: str
    creator: str
    scopes: tuple[str, ...]
    expires_at: float
    code_challenge: str | None = None
    used: bool = False
