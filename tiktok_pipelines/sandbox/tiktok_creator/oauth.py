"""Login Kit and the token endpoint (reference §2–§3): the authorization request and its consent step,
authorization codes (single use, short-lived, bound to the redirect URI and PKCE challenge), the three
grants (authorization_code, refresh_token with rotation, client_credentials), revocation, and the
OAuth error shape. The consent step is a page a person answers, or a form POST a test or the demo
answers (`/v2/auth/authorize/consent/`), or the app's `auto_approve` switch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tiktok_pipelines.sandbox.tiktok_creator.errors import MSG_MALFORMED, OAuthError
from tiktok_pipelines.sandbox.tiktok_creator.state import (
    PKCE_APP_TYPES,
    SCOPES,
    AuthCode,
    Authorization,
    CreatorApp,
    Token,
    redirect_uri_matches,
)

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator

CONSENT_TTL = 600.0
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def _secret(prefix: str) -> str:
    # Codes and tokens carry characters a URL must escape ('*', '!'): a client that forgets to
    # URL-decode the callback's code (reference §2) is refused.
    return prefix + secrets.token_urlsafe(30) + "*" + secrets.token_hex(2) + "!" + secrets.token_hex(4)


def challenge_matches(challenge: str, verifier: str) -> bool:
    """S256: base64url (RFC 7636) or hex of SHA-256 (TikTok's desktop sample, UNCONFIRMED): both taken."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    b64 = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(challenge, b64) or hmac.compare_digest(challenge.lower(), digest.hex())


class OAuthMixin:
    """Consent sessions, codes, authorizations and tokens of `TikTokCreatorEmulator`."""

    # ------------------------------------------------------------ authorization request and consent
    def authorization_request(self: TikTokCreatorEmulator, q: dict[str, str]) -> tuple[CreatorApp, dict]:
        """Checks an authorization request. Raises OAuthError: with `redirect` in the request dict when
        the error goes back to the app, without when the app or its redirect URI cannot be trusted."""
        app = self.app(q.get("client_key"))
        if app is None:
            raise OAuthError("invalid_client", "client_key is unknown")
        redirect_uri = q.get("redirect_uri", "")
        if not any(redirect_uri_matches(r, redirect_uri) for r in app.redirect_uris):
            raise OAuthError(
                "invalid_request", "redirect_uri does not match a redirect URI registered for the app"
            )
        request = {"client_key": app.client_key, "redirect_uri": redirect_uri, "state": q.get("state")}
        if q.get("response_type") != "code":
            raise _back(request, "unsupported_response_type", "response_type must be code")
        asked = tuple(s for s in (q.get("scope") or "").split(",") if s)
        unknown = [s for s in asked if s not in SCOPES or s not in app.scopes]
        if not asked or unknown:
            raise _back(request, "invalid_scope", f"scope is empty or not approved for the app: {unknown}")
        challenge = q.get("code_challenge")
        if app.app_type in PKCE_APP_TYPES and not challenge:
            raise _back(request, "invalid_request", f"code_challenge is required for a {app.app_type} app")
        if challenge and q.get("code_challenge_method") != "S256":
            raise _back(request, "invalid_request", "code_challenge_method must be S256")
        return app, request | {"scopes": asked, "code_challenge": challenge}

    def open_consent(self: TikTokCreatorEmulator, request: dict) -> str:
        session = secrets.token_urlsafe(16)
        with self.lock:
            self.consents[session] = request | {"expires_at": self.now() + CONSENT_TTL}
        return session

    def answer_consent(
        self: TikTokCreatorEmulator,
        request: dict,
        creator: str | None,
        scopes: tuple[str, ...] | None,
        allow: bool = True,
    ) -> str:
        """The creator's answer: the URL the browser goes back to (code and granted scopes, or the refusal).
        A user may grant fewer scopes than asked, never more; `scopes` None grants all asked."""
        if not allow:
            return _callback(request, error="access_denied", error_description="The user denied the request")
        with self.lock:
            username = creator or next(iter(self.creators), None)
            if username not in self.creators:
                raise KeyError(f"no creator {username!r} in the sandbox")
            granted = tuple(s for s in request["scopes"] if scopes is None or s in scopes)
            if not granted:
                return _callback(request, error="access_denied", error_description="No scope was granted")
            code = AuthCode(
                code=_secret(""),
                client_key=request["client_key"],
                redirect_uri=request["redirect_uri"],
                creator=username,
                scopes=granted,
                expires_at=self.now() + self.apps[request["client_key"]].code_ttl,
                code_challenge=request.get("code_challenge"),
            )
            self.codes[code.code] = code
        return _callback(request, code=code.code, scopes=",".join(granted))

    # ------------------------------------------------------------ grants
    def _client(self: TikTokCreatorEmulator, form: dict[str, str]) -> CreatorApp:
        app = self.app(form.get("client_key"))
        if app is None or not hmac.compare_digest(app.client_secret, form.get("client_secret", "")):
            raise OAuthError("invalid_client", "client_key or client_secret is invalid")
        return app

    def grant(self: TikTokCreatorEmulator, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer to a form, or OAuthError."""
        grant_type = form.get("grant_type")
        if not grant_type or not form.get("client_key"):
            raise OAuthError("invalid_request", MSG_MALFORMED)
        app = self._client(form)
        with self.lock:
            if grant_type == "authorization_code":
                return self._code_grant(app, form)
            if grant_type == "refresh_token":
                return self._refresh_grant(app, form)
            if grant_type == "client_credentials":
                token = Token(_secret("clt."), "client", app.client_key, self.now() + app.client_token_ttl)
                self.tokens[token.token] = token
                return {
                    "access_token": token.token,
                    "expires_in": int(app.client_token_ttl),
                    "token_type": "Bearer",
                }
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported")

    def _code_grant(self: TikTokCreatorEmulator, app: CreatorApp, form: dict[str, str]) -> dict[str, Any]:
        if not form.get("code") or not form.get("redirect_uri"):
            raise OAuthError("invalid_request", MSG_MALFORMED)
        code = self.codes.get(form["code"])
        if code is None or code.client_key != app.client_key:
            raise OAuthError("invalid_grant", "Authorization code is invalid or not found.")
        if code.used:
            raise OAuthError("invalid_grant", "Authorization code has been used.")
        if code.expires_at <= self.now():
            raise OAuthError("invalid_grant", "Authorization code is expired.")
        if form["redirect_uri"] != code.redirect_uri:
            raise OAuthError(
                "invalid_grant", "redirect_uri does not match the one of the authorization request."
            )
        verifier = form.get("code_verifier")
        if code.code_challenge:
            if not verifier:
                raise OAuthError(
                    "invalid_request", "code_verifier is required (the request had a code_challenge)."
                )
            if not _VERIFIER.match(verifier):
                raise OAuthError(
                    "invalid_request", "code_verifier is 43 to 128 characters of [A-Za-z0-9-._~]."
                )
            if not challenge_matches(code.code_challenge, verifier):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge.")
        code.used = True
        authorization = Authorization(
            id=secrets.token_hex(8),
            client_key=app.client_key,
            creator=code.creator,
            scopes=code.scopes,
            refresh_deadline=self.now() + app.refresh_ttl,
        )
        self.authorizations[authorization.id] = authorization
        return self._issue(app, authorization, None)

    def _refresh_grant(self: TikTokCreatorEmulator, app: CreatorApp, form: dict[str, str]) -> dict[str, Any]:
        if not form.get("refresh_token"):
            raise OAuthError("invalid_request", MSG_MALFORMED)
        old = self.tokens.get(form["refresh_token"])
        if old is None or old.kind != "refresh" or old.client_key != app.client_key:
            raise OAuthError("invalid_grant", "Refresh token is invalid or not found.")
        if old.used:
            raise OAuthError("invalid_grant", "Refresh token has been rotated: use the latest refresh_token.")
        if old.dead:
            raise OAuthError("invalid_grant", "Refresh token is revoked.")
        if old.expires_at <= self.now():
            raise OAuthError("invalid_grant", "Refresh token is expired.")
        assert old.authorization is not None
        return self._issue(app, old.authorization, old)

    def _issue(
        self: TikTokCreatorEmulator, app: CreatorApp, authorization: Authorization, refresh: Token | None
    ) -> dict[str, Any]:
        now = self.now()
        access = Token(_secret("act."), "access", app.client_key, now + app.access_ttl, authorization)
        self.tokens[access.token] = access
        if refresh is None or app.rotate_refresh:
            if refresh is not None:
                refresh.used = True
            refresh = Token(
                _secret("rft."), "refresh", app.client_key, authorization.refresh_deadline, authorization
            )
            self.tokens[refresh.token] = refresh
        return {
            "access_token": access.token,
            "expires_in": int(app.access_ttl),
            "open_id": self.creator(authorization.creator).open_id(app.client_key),
            "refresh_expires_in": max(0, round(refresh.expires_at - now)),
            "refresh_token": refresh.token,
            "scope": ",".join(authorization.scopes),
            "token_type": "Bearer",
        }

    def revoke(self: TikTokCreatorEmulator, form: dict[str, str]) -> dict[str, Any]:
        """Revokes the authorization behind an access token: every token of it stops working and the app
        leaves the creator's connected apps."""
        if not form.get("token") or not form.get("client_key"):
            raise OAuthError("invalid_request", MSG_MALFORMED)
        app = self._client(form)
        with self.lock:
            token = self.tokens.get(form["token"])
            if token is None or token.client_key != app.client_key or token.kind != "access":
                raise OAuthError("invalid_request", "token is not an access token of this app")
            if token.authorization is not None:
                token.authorization.revoked = True
        return {}

    # ------------------------------------------------------------ sandbox controls
    def expire_tokens(self: TikTokCreatorEmulator, creator: str | None = None, kind: str = "access") -> int:
        """Makes the tokens of a creator (or every creator) of `kind` expired now; returns how many."""
        with self.lock:
            n = 0
            for token in self.tokens.values():
                auth = token.authorization
                if token.kind == kind and (creator is None or (auth and auth.creator == creator)):
                    token.expires_at = self.now() - 1
                    n += 1
            return n

    def revoke_tokens(self: TikTokCreatorEmulator, creator: str | None = None) -> int:
        """The creator removes the app from their connected apps: its tokens stop working."""
        with self.lock:
            found = [
                a
                for a in self.authorizations.values()
                if not a.revoked and (creator is None or a.creator == creator)
            ]
            for auth in found:
                auth.revoked = True
            return len(found)

    def connected_apps(self: TikTokCreatorEmulator, creator: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"client_key": a.client_key, "scopes": list(a.scopes), "since": int(a.created_at)}
                for a in self.authorizations.values()
                if a.creator == creator and not a.revoked
            ]


def _back(request: dict, error: str, description: str) -> OAuthError:
    exc = OAuthError(error, description)
    exc.redirect = _callback(request, error=error, error_description=description)  # type: ignore[attr-defined]
    return exc


def _callback(request: dict, **params: str) -> str:
    if request.get("state") is not None:
        params["state"] = request["state"]
    return f"{request['redirect_uri']}?{urlencode(params)}"


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _consent_page(app: CreatorApp, session: str, request: dict, creators: list[str]) -> str:
    scopes = "".join(
        f'<label><input type="checkbox" name="scope" value="{html.escape(s)}" checked> {html.escape(s)}</label><br>'
        for s in request["scopes"]
    )
    options = "".join(f'<option value="{html.escape(c)}">@{html.escape(c)}</option>' for c in creators)
    return (
        "<!doctype html><html><head><title>Authorize app (TikTok sandbox)</title></head><body>"
        f"<h1>{html.escape(app.client_key)} would like to access your TikTok account</h1>"
        '<form method="post" action="/v2/auth/authorize/consent/">'
        f'<input type="hidden" name="session" value="{html.escape(session)}">'
        f'<p>Logged in as <select name="creator">{options}</select></p>{scopes}'
        '<button name="decision" value="allow">Authorize</button> '
        '<button name="decision" value="deny">Cancel</button></form></body></html>'
    )


def oauth_routes(emu: TikTokCreatorEmulator) -> list[Route]:
    """The authorize page and its consent form (the browser's host), the token and revoke endpoints."""

    async def authorize(request: Request) -> Response:
        try:
            app, req = emu.authorization_request(dict(request.query_params))
        except OAuthError as exc:
            redirect = getattr(exc, "redirect", None)
            if redirect:
                return RedirectResponse(redirect, status_code=302)
            return JSONResponse(exc.body(), status_code=400)
        if app.auto_approve:
            try:
                target = emu.answer_consent(req, app.auto_creator, app.auto_scopes)
            except KeyError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return RedirectResponse(target, status_code=302)
        session = emu.open_consent(req)
        creators = list(emu.creators)
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(
                {
                    "session": session,
                    "client_key": app.client_key,
                    "scopes": list(req["scopes"]),
                    "creators": creators,
                }
            )
        return HTMLResponse(_consent_page(app, session, req, creators))

    async def consent(request: Request) -> Response:
        form = await request.form()
        with emu.lock:
            req = emu.consents.pop(str(form.get("session", "")), None)
        if req is None or req["expires_at"] <= emu.now():
            return JSONResponse({"error": "the consent session is unknown, used or expired"}, status_code=400)
        # The page's checkboxes (`scope`, repeated) or a comma-separated `scopes`; neither: all asked.
        chosen: list | None = form.getlist("scope") if "scope" in form else None
        if form.get("scopes") is not None:
            chosen = [s for s in str(form["scopes"]).split(",") if s]
        try:
            target = emu.answer_consent(
                req,
                str(form["creator"]) if form.get("creator") else None,
                None if chosen is None else tuple(str(s) for s in chosen),
                allow=form.get("decision", "allow") == "allow",
            )
        except KeyError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return RedirectResponse(target, status_code=302)

    def form_endpoint(path: str, action):
        """A form endpoint of the token host: its answer, or the OAuth error (the token host may be down)."""
        name = f"POST {path}"

        async def endpoint(request: Request) -> Response:
            with emu.lock:
                down = emu.switches.token_endpoint_errors > 0
                emu.switches.token_endpoint_errors -= down
            if down:
                emu.count_answer(name, "server_error", 500)
                body = {"error": "server_error", "error_description": "internal error"}
                return JSONResponse(body, status_code=500)
            try:
                answer = action(await _form(request))
            except OAuthError as exc:
                emu.count_answer(name, exc.error, emu.config.oauth_error_http_status)
                return JSONResponse(exc.body(), status_code=emu.config.oauth_error_http_status)
            emu.count_answer(name, "ok")
            return JSONResponse(answer)

        return Route(path, endpoint, methods=["POST"])

    return [
        Route("/v2/auth/authorize/", authorize, methods=["GET"]),
        Route("/v2/auth/authorize/consent/", consent, methods=["POST"]),
        form_endpoint("/v2/oauth/token/", emu.grant),
        form_endpoint("/v2/oauth/revoke/", emu.revoke),
    ]
