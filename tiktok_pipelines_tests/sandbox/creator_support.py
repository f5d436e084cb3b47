"""The creator emulator served on a free loopback port for a test, with a plain httpx client on it, and the
steps of Login Kit a test takes with that client."""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx

from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_creator import (
    SANDBOX_CLIENT_KEY,
    SANDBOX_CLIENT_SECRET,
    TikTokCreatorEmulator,
    create_creator_app,
)

WEB_REDIRECT = "https://app.example.com/tiktok/callback"
ALL_SCOPES = "user.info.basic,user.info.profile,user.info.stats,video.list"


@contextmanager
def served(emulator: TikTokCreatorEmulator) -> Iterator[TikTokCreatorEmulator]:
    """`emulator` served until the block ends; `emulator.test_http` calls it."""
    with ServerThread(create_creator_app(emulator)) as server:
        emulator.config.base_url = server.url
        emulator.test_http = httpx.Client(base_url=server.url, timeout=10)
        try:
            yield emulator
        finally:
            emulator.test_http.close()


def authorize(emu, scope=ALL_SCOPES, client_key=SANDBOX_CLIENT_KEY, redirect_uri=WEB_REDIRECT, **extra):
    params = {
        "client_key": client_key,
        "scope": scope,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": "st-123",
        **extra,
    }
    return emu.test_http.get("/v2/auth/authorize/", params=params, headers={"Accept": "application/json"})


def callback_params(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token(emu, **form):
    return emu.test_http.post("/v2/oauth/token/", data=form)


def exchange(emu, code, redirect_uri=WEB_REDIRECT, app=(SANDBOX_CLIENT_KEY, SANDBOX_CLIENT_SECRET), **extra):
    client_key, client_secret = app
    form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri, **extra}
    return token(emu, client_key=client_key, client_secret=client_secret, **form)
