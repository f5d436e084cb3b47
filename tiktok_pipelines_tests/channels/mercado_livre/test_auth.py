"""Mercado Livre authorization and renewal against the strict emulator: the consent link with PKCE, the
code exchange, and renewals that race (threads, and processes with their own connections to the state
DB) leaving the seller connected, since a refresh token is single use."""

import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tiktok_pipelines.channels.base.errors import ChannelAuthError
from tiktok_pipelines.channels.mercado_livre.auth import MercadoLivreAuth
from tiktok_pipelines.channels.mercado_livre.client import (
    MercadoLivreApp,
    MercadoLivreAuthError,
    MercadoLivreClient,
    MercadoLivreNotFoundError,
    Pace,
)
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.sandbox.mercado_livre_support import (
    REDIRECT_URI,
    SELLER,
    start_sandbox,
    stop_sandbox,
)
from tiktok_pipelines_tests.stores.test_registry import FIELDS

ROOT = Path(__file__).resolve().parents[3]
CLIENT = FIELDS["client_id"]


@pytest.fixture(autouse=True)
def client(registry):
    registry.add(build_client(**FIELDS))


@pytest.fixture
def ml():
    sandbox = start_sandbox(products=12, pkce_required=True)
    yield sandbox
    stop_sandbox(sandbox)


@pytest.fixture
def auth(ml):
    app = MercadoLivreApp(
        SANDBOX_APP_ID,
        SANDBOX_CLIENT_SECRET,
        REDIRECT_URI,
        authorize_url=f"{ml.url}/authorization",
        api_base_url=ml.url,
        retry_attempts=4,
    )
    return MercadoLivreAuth(app)


def connect(auth: MercadoLivreAuth, state: str = "state-1"):
    consent = httpx.get(auth.authorization_url(state), follow_redirects=False)
    back = parse_qs(urlparse(consent.headers["location"]).query)
    assert back["state"] == [state]
    return auth.exchange_code(back["code"][0], state=state)


def works(ml, grant) -> bool:
    """The grant's access token reads the seller, and its refresh token is the one the platform takes."""
    me = ml.api(grant.access_token.get_secret_value()).get("/users/me")
    refresh = ml.emulator.latest_refresh.get((SANDBOX_APP_ID, ml.emulator.seller(SELLER).id))
    return me.status_code == 200 and refresh == grant.refresh_token.get_secret_value()


def test_the_link_carries_state_and_pkce_and_the_code_gives_the_seller(ml, auth):
    link = urlparse(auth.authorization_url("abc"))
    query = parse_qs(link.query)
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"] == [REDIRECT_URI]
    grant = connect(auth)
    seller = ml.emulator.seller(SELLER)
    assert grant.open_id == str(seller.id)
    assert (
        grant.access_token_expires_at - grant.refresh_token_expires_at
    ).total_seconds() + 180 * 86400 > 21500
    (shop,) = auth.authorized_shops(grant)
    assert (shop.shop_id, shop.code, shop.region) == (str(seller.id), SELLER, "MLB")
    assert works(ml, grant)


def test_a_code_exchanged_without_its_state_is_refused_by_the_platform(ml, auth):
    consent = httpx.get(auth.authorization_url("s"), follow_redirects=False)
    code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
    with pytest.raises(MercadoLivreAuthError) as refused:
        auth.exchange_code(code, state="another-state")
    assert refused.value.error == "invalid_grant"


def test_two_direct_refreshes_at_once_lose_the_seller_without_serialization(ml, auth):
    """The trap the store exists for: the same refresh token sent twice, the second refused."""
    grant = connect(auth)
    ml.emulator.switches.token_latency_ms = 300
    outcomes: list[object] = []

    def refresh() -> None:
        try:
            outcomes.append(auth.refresh_grant(grant))
        except ChannelAuthError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(o, ChannelAuthError) for o in outcomes) == 1


def test_two_renewals_racing_in_threads_leave_the_seller_connected(ml, auth, settings):
    tokens = [
        ChannelTokenStore(StateDB(settings.database_url, SecretBox.from_settings(settings)), "mercado_livre")
        for _ in range(2)
    ]
    tokens[0].save_tokens(CLIENT, connect(auth))
    ml.emulator.switches.token_latency_ms = 300
    results: list[object] = []
    barrier = threading.Barrier(2)

    def renew(store: ChannelTokenStore) -> None:
        barrier.wait()
        try:
            results.append(store.renew(CLIENT, auth.refresh_grant))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=renew, args=(store,)) for store in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [r for r in results if isinstance(r, Exception)], results
    stored = tokens[0].get_tokens(CLIENT)
    assert {r.refresh_token.get_secret_value() for r in results} == {stored.refresh_token.get_secret_value()}
    assert works(ml, stored)
    assert ml.emulator.answers[("POST /oauth/token", "invalid_grant")] == 0


RENEW = """
import sys
from tiktok_pipelines.channels.mercado_livre.auth import MercadoLivreAuth
from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreApp
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore

url, app_id, secret, redirect = sys.argv[1:5]  # and the client id
settings = Settings.load()
store = ChannelTokenStore(StateDB(settings.database_url, SecretBox.from_settings(settings)), "mercado_livre")
auth = MercadoLivreAuth(MercadoLivreApp(app_id, secret, redirect, authorize_url=url + "/authorization", api_base_url=url))
print("ready", flush=True)
sys.stdin.readline()  # both processes start renewing together, whatever their start-up took
print(store.renew(sys.argv[5], auth.refresh_grant).refresh_token.get_secret_value())
"""


def test_two_renewals_racing_in_processes_leave_the_seller_connected(ml, auth, settings, isolated_env):
    store = ChannelTokenStore(
        StateDB(settings.database_url, SecretBox.from_settings(settings)), "mercado_livre"
    )
    store.save_tokens(CLIENT, connect(auth))
    ml.emulator.switches.token_latency_ms = 500
    args = [sys.executable, "-c", RENEW, ml.url, SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET, REDIRECT_URI, CLIENT]
    env = {**isolated_env, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    stored = store.get_tokens(CLIENT)
    assert {out.strip() for out, _ in outputs} == {stored.refresh_token.get_secret_value()}
    assert works(ml, stored)


def test_a_refused_refresh_token_raises_and_keeps_the_stored_grant(ml, auth, state_db):
    store = ChannelTokenStore(state_db, "mercado_livre")
    store.save_tokens(CLIENT, connect(auth))
    before = store.get_tokens(CLIENT)
    httpx.post(f"{ml.url}/_sandbox/tokens/revoke", json={"nickname": SELLER})
    with pytest.raises(ChannelAuthError):
        store.renew(CLIENT, auth.refresh_grant)
    assert store.get_tokens(CLIENT).refresh_token == before.refresh_token


def test_a_newer_authorization_stored_meanwhile_wins_over_a_refused_refresh(ml, auth, state_db):
    store = ChannelTokenStore(state_db, "mercado_livre")
    store.save_tokens(CLIENT, connect(auth, "first"))

    def refresh_after_a_new_consent(grant):
        store.save_tokens(CLIENT, connect(auth, "second"))  # the seller authorized again meanwhile
        return auth.refresh_grant(grant)  # the older refresh token is now refused

    renewed = store.renew(CLIENT, refresh_after_a_new_consent)
    assert renewed.refresh_token == store.get_tokens(CLIENT).refresh_token
    assert works(ml, store.get_tokens(CLIENT))


def test_the_client_backs_off_on_429_and_pages_every_listing(ml, auth):
    grant = connect(auth)
    ml.emulator.switches.burst_429 = 3
    app = MercadoLivreApp(SANDBOX_APP_ID, api_base_url=ml.url, pace=Pace(50, 2))
    api = MercadoLivreClient(
        app, lambda: grant.access_token.get_secret_value(), retry=RetryPolicy(5, 0.05, 0.2)
    )
    with api:
        assert api.me()["nickname"] == SELLER
        seller = ml.emulator.seller(SELLER)
        ids = list(api.seller_item_ids(seller.id, page_size=5))
        assert sorted(ids) == sorted(seller.items)
        assert {i["id"] for i in api.items(ids)} == set(ids)
    assert ml.emulator.http_429s == 3


def test_answers_that_are_not_json_are_paced_and_retried_like_the_others(ml, auth):
    grant = connect(auth)
    app = MercadoLivreApp(SANDBOX_APP_ID, api_base_url=ml.url, pace=Pace(50, 2))
    api = MercadoLivreClient(
        app, lambda: grant.access_token.get_secret_value(), retry=RetryPolicy(5, 0.05, 0.2)
    )
    seller = ml.emulator.seller(SELLER)
    (order,) = ml.emulator.create_orders(SELLER, 1)
    shipment = seller.orders[order]["shipping"]["id"]
    before = ml.emulator.http_429s
    ml.emulator.switches.burst_429 = 2
    with api:
        picture = api.raw("POST", "/pictures/items/upload", files={"file": ("a.jpg", b"\xff\xd8picture")})
        label = api.raw("GET", "/shipment_labels", params={"shipment_ids": shipment, "response_type": "pdf"})
        with pytest.raises(MercadoLivreNotFoundError):
            api.raw("GET", "/shipment_labels", params={"shipment_ids": "1", "response_type": "pdf"})
    assert ml.emulator.http_429s == before + 2
    assert ml.emulator.pictures[picture.json()["id"]]["bytes"] == b"\xff\xd8picture"
    assert label.headers["content-type"].startswith("application/pdf") and label.content.startswith(b"%PDF")
