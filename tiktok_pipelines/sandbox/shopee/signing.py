"""Signatures as Shopee computes them, written from the reference (§2 requests, §7 pushes); the emulator
checks requests with this module and never with the project's client, so a signing bug in the client fails
here as it would against the platform.

Requests: `sign` = `sign(partner_key, base_string(...))`, lowercase hex HMAC-SHA256 keyed by the partner key's UTF-8 bytes over the base string,
which is the plain concatenation, no separators, of (public) `partner_id + api_path + timestamp`, (shop)
`... + access_token + shop_id`, (merchant) `... + access_token + merchant_id`.
Pushes: the `Authorization` header = the same HMAC over `callback_url + "|" + raw_body`.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum


class ApiType(StrEnum):
    """Who a call acts for, which decides its common parameters and its base string (reference §2)."""

    PUBLIC = "public"
    SHOP = "shop"
    MERCHANT = "merchant"

    @property
    def owner_param(self) -> str | None:
        """The query parameter naming the owner the token is for (None for public calls)."""
        return {ApiType.SHOP: "shop_id", ApiType.MERCHANT: "merchant_id"}.get(self)


def base_string(
    api_type: ApiType,
    partner_id: str | int,
    api_path: str,
    timestamp: str | int,
    access_token: str = "",
    owner_id: str | int = "",
) -> str:
    """The text a request's `sign` is computed over."""
    base = f"{partner_id}{api_path}{timestamp}"
    if api_type is ApiType.PUBLIC:
        return base
    return f"{base}{access_token}{owner_id}"


def sign(partner_key: str, message: str | bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `message` (a base string, or a push's `url|body`) keyed by the partner
    key as UTF-8 bytes (not hex-decoded): a request's `sign`, a push's `Authorization`."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return hmac.new(partner_key.encode("utf-8"), data, hashlib.sha256).hexdigest()


def push_authorization(partner_key: str, callback_url: str, body: bytes) -> str:
    """The `Authorization` header of a push: over the exact configured URL, `|`, and the raw body bytes."""
    return sign(partner_key, callback_url.encode("utf-8") + b"|" + body)


def signs_match(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex signatures (a sign in capitals is not the platform's)."""
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace"))
