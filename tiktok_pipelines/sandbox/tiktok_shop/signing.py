"""Signatures as TikTok Shop computes them, written from the reference (§1 requests, §4 webhooks).

The emulator checks requests with this module and never with the project's client, so a signing bug in the
client fails against the emulator as it would against the platform.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

# Query parameters left out of the signed string (§1): the signature itself and the legacy query token.
UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def string_to_sign(
    path: str, params: Iterable[tuple[str, str]], body: str | None, content_type: str, app_secret: str
) -> str:
    """`secret + path + key value ... (sorted by key) + body + secret`; a multipart body is not part of it."""
    base = path + "".join(
        key + value for key, value in sorted(p for p in params if p[0] not in UNSIGNED_PARAMS)
    )
    if body and not content_type.lower().startswith("multipart/form-data"):
        base += body
    return app_secret + base + app_secret


def request_signature(
    path: str, params: Iterable[tuple[str, str]], body: str | None, content_type: str, app_secret: str
) -> str:
    """The `sign` a request must carry: lowercase hex HMAC-SHA256, keyed by the app secret."""
    text = string_to_sign(path, params, body, content_type, app_secret)
    return hmac.new(app_secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex signatures."""
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace"))


def webhook_authorization(app_key: str, app_secret: str, body: bytes) -> str:
    """The `Authorization` header of a webhook: hex HMAC-SHA256 keyed by the app secret of app key + raw body."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256).hexdigest()
