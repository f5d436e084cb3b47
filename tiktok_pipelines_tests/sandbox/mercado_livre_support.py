"""A Mercado Livre emulator on a free port for tests, and the OAuth steps a test takes with plain httpx
(never with the project's client)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import httpx

from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.mercado_livre import (
    SANDBOX_APP_ID,
    SANDBOX_CLIENT_SECRET,
    AppConfig,
    MercadoLivreEmulator,
    create_mercado_livre_app,
)
from tiktok_pipelines.sandbox.server import ServerThread

REDIRECT_URI = "https://pipelines.example.com/oauth/mercado-livre/callback"
SELLER = "LOJADEMO"


@dataclass
class Sandbox:
    emulator: MercadoLivreEmulator
    server: ServerThread
    tokens: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, token: str | None = None) -> httpx.Client:
        token = token or self.tokens["access_token"]
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def authorize(self, **params: str) -> dict[str, list[str]]:
        """The authorization page's redirect, as query parameters of the callback."""
        query = {"response_type": "code", "client_id": SANDBOX_APP_ID, "redirect_uri": REDIRECT_URI} | params
        reply = httpx.get(f"{self.url}/authorization", params=query, follow_redirects=False)
        assert reply.status_code == 302, reply.text
        location = reply.headers["location"]
        assert location.startswith(REDIRECT_URI + "?")
        return parse_qs(urlparse(location).query)

    def token(self, **form: str) -> httpx.Response:
        body = {"client_id": SANDBOX_APP_ID, "client_secret": SANDBOX_CLIENT_SECRET} | form
        return httpx.post(f"{self.url}/oauth/token", data=body, headers={"Accept": "application/json"})

    def exchange(self, code: str, **extra: str) -> httpx.Response:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, **extra)

    def connect(self) -> dict:
        self.tokens = self.exchange(self.authorize()["code"][0]).json()
        return self.tokens


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def start_sandbox(products: int = 0, **settings) -> Sandbox:
    emulator = MercadoLivreEmulator(AppConfig(redirect_uri=REDIRECT_URI, **settings))
    emulator.add_seller(SELLER)
    if products:
        emulator.seed_items(SELLER, generate_catalog(products, seed=11))
    server = ServerThread(create_mercado_livre_app(emulator)).start()
    emulator.config.base_url = server.url
    return Sandbox(emulator, server)


def stop_sandbox(sandbox: Sandbox) -> None:
    sandbox.server.stop()
    sandbox.emulator.close()
