"""Authorization and tokens (reference §2): the authorization page (auto-consent by the seller chosen to
consent, `state` echoed, PKCE S256 or plain stored with the code), and `/oauth/token`: parameters in a
form body only, single-use codes bound to their exact `redirect_uri` and PKCE challenge, refresh tokens
bound to their application and single use, only the newest of a seller's accepted (a second refresh with
the same token, concurrent or not, gets `invalid_grant`), access tokens of 6 hours."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.mercado_livre.errors import MSG_INVALID_GRANT, OAuthError
from tiktok_pipelines.sandbox.mercado_livre.state import SCOPES, Seller

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.mercado_livre.emulator import MercadoLivreEmulator

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_FORM = "application/x-www-form-urlencoded"
_TOKEN_PARAMS = {"grant_type", "client_id", "client_secret", "code", "redirect_uri", "refresh_token"}


@dataclass
class Token:
    token: str
    kind: str  # access | refresh
    seller_id: int
    client_id: str
    expires_at: float
    revoked: bool = False
    used: bool = False  # a refresh token once exchanged


def pkce_matches(challenge: str, method: str, verifier: str) -> bool:
    """RFC 7636: S256 is the unpadded base64url of the verifier's SHA-256; plain is the verifier itself."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        expected = verifier
    return hmac.compare_digest(challenge, expected)


class TokensMixin:
    """Codes and tokens of `MercadoLivreEmulator`."""

    def consent(self: MercadoLivreEmulator, query: dict[str, str]) -> str:
        """The authorization page's answer, auto-approved by the seller chosen to consent: the URL the
        browser goes back to (with `code` and `state`). Raises OAuthError when the request cannot be
        trusted (unknown application, a redirect_uri other than the app's) or is malformed."""
        cfg = self.config
        if query.get("client_id") != cfg.app_id:
            raise OAuthError("invalid_client", "invalid client_id")
        redirect_uri = query.get("redirect_uri", "")
        if not cfg.redirect_uri or redirect_uri != cfg.redirect_uri:
            raise OAuthError("invalid_request", "redirect_uri does not match the application's redirect URI")
        if query.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method") or ("plain" if challenge else "")
        if cfg.pkce_required and not challenge:
            raise OAuthError(
                "invalid_request", "code_challenge is required: the application has PKCE enabled"
            )
        if challenge and method not in ("S256", "plain"):
            raise OAuthError("invalid_request", "code_challenge_method must be S256 or plain")
        back = {"state": query["state"]} if "state" in query else {}
        with self.lock:
            seller = self.consenting_seller()
            if seller.operator:
                return _with_query(
                    redirect_uri,
                    {"error": "invalid_operator_user_id", "error_description": "operator users cannot grant"}
                    | back,
                )
            code = f"TG-{secrets.token_hex(12)}-{seller.id}"
            self.auth_codes[code] = {
                "seller_id": seller.id,
                "client_id": cfg.app_id,
                "redirect_uri": redirect_uri,
                "challenge": challenge,
                "method": method,
                "expires_at": time.time() + cfg.auth_code_ttl,
                "used": False,
            }
        return _with_query(redirect_uri, {"code": code} | back)

    def consenting_seller(self: MercadoLivreEmulator) -> Seller:
        seller = self.sellers.get(self.consenting) if self.consenting else None
        seller = seller or next(iter(self.sellers.values()), None)
        if seller is None:
            raise OAuthError("invalid_request", "no seller in the sandbox to consent")
        return seller

    def token_grant(self: MercadoLivreEmulator, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer to a form body, or OAuthError."""
        cfg = self.config
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported")
        if form.get("client_id") != cfg.app_id or not hmac.compare_digest(
            form.get("client_secret", ""), cfg.client_secret
        ):
            raise OAuthError("invalid_client", "invalid client_id or client_secret", 401)
        scope = form.get("scope")
        if scope and any(s not in SCOPES for s in scope.split()):
            raise OAuthError("invalid_scope", f"scope must be among {' '.join(SCOPES)}")
        with self.lock:
            if grant_type == "authorization_code":
                return self._code_grant(form)
            return self._refresh_grant(form)

    def _code_grant(self: MercadoLivreEmulator, form: dict[str, str]) -> dict[str, Any]:
        if not form.get("code") or not form.get("redirect_uri"):
            raise OAuthError("invalid_request", "code and redirect_uri are required")
        code = self.auth_codes.get(form["code"])
        if (
            code is None
            or code["used"]
            or code["expires_at"] <= time.time()
            or code["client_id"] != form["client_id"]
        ):
            raise OAuthError("invalid_grant", MSG_INVALID_GRANT)
        if form["redirect_uri"] != code["redirect_uri"]:
            raise OAuthError("invalid_grant", "the redirect_uri does not match the one of the authorization")
        if code["challenge"]:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError("invalid_request", "code_verifier is required: the authorization used PKCE")
            if not _VERIFIER.match(verifier) or not pkce_matches(code["challenge"], code["method"], verifier):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        code["used"] = True
        return self._issue(code["seller_id"], form["client_id"])

    def _refresh_grant(self: MercadoLivreEmulator, form: dict[str, str]) -> dict[str, Any]:
        value = form.get("refresh_token")
        if not value:
            raise OAuthError("invalid_request", "refresh_token is required")
        old = self.tokens.get(value)
        if (
            old is None
            or old.kind != "refresh"
            or old.client_id != form["client_id"]
            or old.used
            or old.revoked
            or old.expires_at <= time.time()
            or self.latest_refresh.get((old.client_id, old.seller_id)) != value
        ):
            raise OAuthError("invalid_grant", MSG_INVALID_GRANT)
        old.used = True
        return self._issue(old.seller_id, old.client_id)

    def _issue(self: MercadoLivreEmulator, seller_id: int, client_id: str) -> dict[str, Any]:
        cfg = self.config
        now = time.time()
        stamp = time.strftime("%m%d%H", time.gmtime(now))
        access = Token(
            f"APP_USR-{client_id}-{stamp}-{secrets.token_hex(16)}-{seller_id}",
            "access",
            seller_id,
            client_id,
            now + cfg.access_token_ttl,
        )
        self.tokens[access.token] = access
        answer: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": int(cfg.access_token_ttl),
            "scope": " ".join(SCOPES if cfg.offline_access else SCOPES[1:]),
            "user_id": seller_id,
        }
        if cfg.offline_access:
            refresh = Token(
                f"TG-{secrets.token_hex(12)}-{seller_id}",
                "refresh",
                seller_id,
                client_id,
                now + cfg.refresh_token_ttl,
            )
            self.tokens[refresh.token] = refresh
            self.latest_refresh[(client_id, seller_id)] = refresh.token
            answer["refresh_token"] = refresh.token
        return answer

    def _owned_tokens(self: MercadoLivreEmulator, nickname: str | None) -> list[Token]:
        seller_id = self.seller(nickname).id if nickname else None
        return [t for t in self.tokens.values() if seller_id is None or t.seller_id == seller_id]

    def expire_tokens(self: MercadoLivreEmulator, nickname: str | None = None, kind: str = "access") -> int:
        """Makes a seller's (or every) token of `kind` expired now; returns how many."""
        with self.lock:
            owned = [t for t in self._owned_tokens(nickname) if t.kind == kind]
            for token in owned:
                token.expires_at = time.time() - 1
            return len(owned)

    def revoke_tokens(self: MercadoLivreEmulator, nickname: str | None = None) -> int:
        """The seller revokes the application (or changes the password): every token is dead."""
        with self.lock:
            owned = self._owned_tokens(nickname)
            for token in owned:
                token.revoked = True
            return len(owned)


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def oauth_routes(emu: MercadoLivreEmulator) -> list[Route]:
    """The authorization page (the country's auth host) and the token endpoint (the API host)."""

    async def authorization(request: Request) -> Response:
        try:
            target = emu.consent(dict(request.query_params))
        except OAuthError as exc:
            return exc.response()
        return RedirectResponse(target, status_code=302)

    async def token(request: Request) -> Response:
        endpoint = "POST /oauth/token"
        emu.count_arrival(endpoint)
        try:
            answer = await _token(request)
        except OAuthError as exc:
            emu.count_answer(endpoint, exc.error, exc.status)
            return exc.response()
        emu.count_answer(endpoint, "ok")
        return JSONResponse(answer)

    async def _token(request: Request) -> dict[str, Any]:
        if emu.switches.token_latency_ms:
            await asyncio.sleep(emu.switches.token_latency_ms / 1000.0)
        if _TOKEN_PARAMS & set(request.query_params):
            raise OAuthError("invalid_request", "the parameters must be sent in the body, not in the query")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != _FORM:
            raise OAuthError("invalid_request", f"the body must be {_FORM}")
        try:
            form = dict(parse_qsl((await request.body()).decode("utf-8"), strict_parsing=False))
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "the body is not UTF-8") from None
        with emu.lock:
            if not emu.take_token(("oauth", form.get("client_id", ""))):
                raise OAuthError("local_rate_limited", "too many requests", 429)
        return emu.token_grant(form)

    return [
        Route("/authorization", authorization, methods=["GET"]),
        Route("/oauth/token", token, methods=["POST"]),
    ]
