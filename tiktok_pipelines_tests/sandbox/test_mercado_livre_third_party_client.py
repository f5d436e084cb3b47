"""The Mercado Livre emulator driven by a client it was not written with: PyPI `mercadolibre-python`
0.2.2, a thin wrapper that returns the API's JSON as it comes.

No official Python SDK of Mercado Livre is on PyPI (the `mercadolibre/python-sdk` repository is not
published there; `melisdk` 0.1.3 is a copy of its older version, sending JSON headers on the token call
with the parameters in the query); `pymeli` 0.2.8 writes `https://api.mercadolibre.com` into every call
and cannot be pointed at another host. This client takes its host from `Client.BASE_URL`.

Where it departs from the reference, the test says so and the emulator refuses what the platform refuses:
- it sends the token request's parameters in the query string, which the reference forbids (§2): the
  emulator answers `invalid_request`; the test exchanges the code with a form body instead;
- it sends the access token as the deprecated `?access_token=` query parameter (§1): the emulator refuses
  it unless the application's `query_token_accepted` setting is on, which the test turns on.
"""

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from mercadolibre.client import Client

from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET
from tiktok_pipelines_tests.sandbox.mercado_livre_support import (
    REDIRECT_URI,
    SELLER,
    start_sandbox,
    stop_sandbox,
)


@pytest.fixture
def world():
    sandbox = start_sandbox(products=5)
    client = Client(SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET, site="MLB")
    client.BASE_URL = sandbox.url
    client.auth_url = sandbox.url
    yield sandbox, client
    stop_sandbox(sandbox)


def test_the_third_party_client_authorizes_reads_and_lists(world):
    sandbox, client = world
    consent = httpx.get(client.authorization_url(REDIRECT_URI), follow_redirects=False)
    code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]

    refused = client.exchange_code(REDIRECT_URI, code)
    assert refused["error"] == "invalid_request"
    assert "body" in refused["error_description"]

    tokens = sandbox.exchange(code).json()
    client.set_token(tokens)
    assert client.me()["status"] == 401  # the token in the query string is refused...
    httpx.post(f"{sandbox.url}/_sandbox/app", json={"query_token_accepted": True})
    me = client.me()  # ...unless the application accepts it
    seller = sandbox.emulator.seller(SELLER)
    assert (me["id"], me["nickname"]) == (seller.id, SELLER)
    assert client.get_user(seller.id)["nickname"] == SELLER

    assert any(c["id"] == "MLB1430" for c in client.get_categories("MLB"))
    category = client.get_category("MLB23262")
    assert category["path_from_root"][-1]["id"] == "MLB23262"
    required = {a["id"] for a in client.get_category_attributes("MLB23262") if a["tags"].get("required")}
    assert required == {"BRAND", "MODEL", "GENDER", "SIZE"}

    listing = {
        "title": "Tênis de Corrida Leve",
        "condition": "new",
        "category_id": "MLB23262",
        "price": 299.9,
        "currency_id": "BRL",
        "available_quantity": 4,
        "buying_mode": "buy_it_now",
        "listing_type_id": "gold_pro",
        "warranty": "Garantia do vendedor: 90 dias",
        "pictures": ["https://www.demostore.com.br/arquivos/ids/7.jpg"],
    }
    missing = client.list_item(**listing)
    assert missing["error"] == "validation_error"
    assert missing["cause"][0]["code"] == "item.attributes.missing_required"
    attributes = [
        {"id": "BRAND", "value_name": "Duna Calçados"},
        {"id": "MODEL", "value_name": "Leve 2"},
        {"id": "GENDER", "value_id": "339665"},
        {"id": "SIZE", "value_name": "38"},
    ]
    item = client.list_item(**listing, attributes=attributes)
    assert item["id"].startswith("MLB") and item["status"] == "active"
    assert item["pictures"][0]["secure_url"]
    assert sandbox.emulator.seller(SELLER).items[item["id"]]["available_quantity"] == 4
