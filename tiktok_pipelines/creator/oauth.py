"""Login Kit and the token endpoint (reference §2, §3): the consent link (with `state`, and PKCE where
the app type needs it), the code exchange, the refresh (the refresh token rotates: the answer's is the
one to keep), and revocation. An OAuth error may come with HTTP 200: the body's `error` decides."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pydantic import SecretStr

from tiktok_pipelines.creator.app import CreatorApp
from tiktok_pipelines.creator.errors import CreatorApiError, api_error
from tiktok_pipelines.creator.scopes import parse_scopes
from tiktok_pipelines.creator.transport import Transport


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str  # what goes in `code_challenge_method`


def new_pkce(encoding: str | None) -> Pkce | None:
    """A fresh verifier and its challenge: `base64url` is RFC 7636's S256, `hex` the hex SHA-256; both
    are sent as method S256. None when the app type needs none (encoding None)."""
    if encoding is None:
        return None
    verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved set
    digest = hashlib.sha256(verifier.encode("ascii"))
    challenge = (
        digest.hexdigest()
        if encoding == "hex"
        else base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
    )
    return Pkce(verifier, challenge, "S256")


def authorization_url(
    app: CreatorApp, state: str, pkce: Pkce | None, scopes: tuple[str, ...] | None = None
) -> str:
    """The consent link for a creator."""
    app.require()
    params = {
        "client_key": app.client_key,
        "scope": ",".join(scopes or app.scopes),
        "response_type": "code",
        "redirect_uri": app.redirect_uri,
        "state": state,
    }
    if pkce is not None:
        params |= {"code_challenge": pkce.challenge, "code_challenge_method": pkce.method}
    return f"{app.authorize_url}?{urlencode(params)}"


@dataclass(frozen=True)
class TokenAnswer:
    """A token endpoint's answer: the tokens (printed as `**********`), their lifetimes as given (seconds
    left), the creator's `open_id` and the scopes the creator actually granted."""

    access_token: SecretStr
    expires_in: int
    refresh_token: SecretStr
    refresh_expires_in: int
    open_id: str
    scopes: tuple[str, ...]
    received_at: datetime

    @property
    def access_expires_at(self) -> datetime:
        return self.received_at + timedelta(seconds=self.expires_in)

    @property
    def refresh_expires_at(self) -> datetime:
        return self.received_at + timedelta(seconds=self.refresh_expires_in)


def _token_answer(body: dict, received_at: datetime) -> TokenAnswer:
    try:
        return TokenAnswer(
            access_token=SecretStr(str(body["access_token"])),
            expires_in=int(body["expires_in"]),
            refresh_token=SecretStr(str(body["refresh_token"])),
            refresh_expires_in=int(body["refresh_expires_in"]),
            open_id=str(body["open_id"]),
            scopes=parse_scopes(body.get("scope")),
            received_at=received_at,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CreatorApiError("malformed_answer", f"the token answer lacks {exc}") from None


class CreatorOAuth:
    """The token endpoint of the app: code exchange, refresh, revocation."""

    def __init__(self, app: CreatorApp, transport: Transport):
        self.app = app
        self.transport = transport

    def _post(self, path: str, form: dict[str, str]) -> tuple[dict, datetime]:
        self.app.require()
        body, _, received_at = self.transport.form(
            path,
            {"client_key": self.app.client_key or "", "client_secret": self.app.client_secret or "", **form},
        )
        if "error" in body and body.get("error"):
            raise api_error(
                str(body["error"]),
                str(body.get("error_description") or ""),
                200,
                body.get("log_id"),
            )
        return body, received_at

    def exchange_code(self, code: str, code_verifier: str | None = None) -> TokenAnswer:
        form = {
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": self.app.redirect_uri or "",
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        return _token_answer(*self._post("/v2/oauth/token/", form))

    def refresh(self, refresh_token: str) -> TokenAnswer:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return _token_answer(*self._post("/v2/oauth/token/", form))

    def revoke(self, access_token: str) -> None:
        self._post("/v2/oauth/revoke/", {"token": access_token})
