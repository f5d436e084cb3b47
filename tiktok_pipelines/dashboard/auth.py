"""The dashboard's login: one password for the team, kept as a scrypt hash, and a signed session cookie.

Outside development the dashboard requires `TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH` (made by
`tiktok-pipelines dashboard hash-password`; the password itself is stored nowhere) and refuses to start
without it. In development it is open unless a hash is set. The session cookie is signed with a key
derived from `TIKTOK_PIPELINES_SECRET_KEY` (or, without one, a key of the process), lasts
`SESSION_SECONDS`, is HTTP-only and SameSite=strict.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from tiktok_pipelines.settings import ConfigError, Settings

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
SESSION_SECONDS = 12 * 3600
PASSWORD_VARIABLE = "TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (base64), for TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH."""
    if not password:
        raise ValueError("the password is empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"{SCHEME}${N}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def check_hash(stored: str) -> None:
    """Raises ConfigError if `stored` is not a hash made by hash_password."""
    parts = stored.split("$")
    try:
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ValueError
        int(parts[1]), int(parts[2]), int(parts[3])
        base64.urlsafe_b64decode(parts[4]), base64.urlsafe_b64decode(parts[5])
    except ValueError:
        raise ConfigError(
            f"{PASSWORD_VARIABLE} is not a password hash: make one with `tiktok-pipelines dashboard hash-password`"
        ) from None


def verify_password(password: str, stored: str) -> bool:
    check_hash(stored)
    _, n, r, p, salt, digest = stored.split("$")
    expected = base64.urlsafe_b64decode(digest)
    given = hashlib.scrypt(
        password.encode(),
        salt=base64.urlsafe_b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(given, expected)


def password_hash(settings: Settings) -> str | None:
    """The configured hash; required outside development (ConfigError naming the variable)."""
    stored = settings.get(PASSWORD_VARIABLE)
    if stored:
        check_hash(stored)
        return stored
    if settings.is_production:
        raise ConfigError(
            f"{PASSWORD_VARIABLE} is not set: outside development the dashboard requires a login. "
            "Make a hash with `tiktok-pipelines dashboard hash-password` and set it."
        )
    return None


def session_key(settings: Settings) -> str:
    """The key that signs session cookies: derived from the secret key, so it survives restarts and
    rotates with it; a key of this process when none is configured (development)."""
    configured = settings.get("TIKTOK_PIPELINES_SECRET_KEY")
    if not configured:
        return secrets.token_urlsafe(32)
    first = configured.split(",")[0].strip().encode()
    return hmac.new(first, b"tiktok-pipelines dashboard session", hashlib.sha256).hexdigest()
