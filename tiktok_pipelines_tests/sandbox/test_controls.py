"""What the marketplace emulators (TikTok Shop, Mercado Livre, Shopee) share: the `/_sandbox/` routes of
`controls.marketplace_routes`, the rate limit of `EmulatorState`, and `records.field_view`."""

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from tiktok_pipelines.sandbox import mercado_livre, shopee, tiktok_shop
from tiktok_pipelines.sandbox.records import field_view


@dataclass
class Marketplace:
    emulator: Any
    http: TestClient
    owner: str  # the payload key naming a seller
    add_owner: Callable[[], Any]  # a new seller, as the payload names it
    schedule: str  # a setting holding a sequence


def _tiktok_shop() -> Iterator[Marketplace]:
    emu = tiktok_shop.TikTokShopEmulator(tiktok_shop.EmulatorConfig())
    with TestClient(tiktok_shop.create_tiktok_app(emu)) as http:
        yield Marketplace(
            emu, http, "shop_code", lambda: emu.add_shop("BRCTL001").code, "webhook_retry_schedule"
        )
    emu.stop_autopilot()
    emu.webhooks.stop()


def _mercado_livre() -> Iterator[Marketplace]:
    emu = mercado_livre.MercadoLivreEmulator()
    with TestClient(mercado_livre.create_mercado_livre_app(emu)) as http:
        yield Marketplace(
            emu, http, "nickname", lambda: emu.add_seller("CTLSELLER").nickname, "notification_retry_schedule"
        )
    emu.close()


def _shopee() -> Iterator[Marketplace]:
    emu = shopee.ShopeeEmulator()
    with TestClient(shopee.create_shopee_app(emu)) as http:
        yield Marketplace(emu, http, "shop_id", lambda: emu.add_shop().shop_id, "push_retry_schedule")
    emu.stop()


@pytest.fixture(
    params=[_tiktok_shop, _mercado_livre, _shopee], ids=["tiktok_shop", "mercado_livre", "shopee"]
)
def marketplace(request) -> Iterator[Marketplace]:
    yield from request.param()


def test_app_settings_refuse_an_unknown_name_and_change_nothing(marketplace):
    emu, http = marketplace.emulator, marketplace.http
    before = asdict(emu.config)
    refused = http.post("/_sandbox/app", json={marketplace.schedule: [1.0, 2.0], "no_such_setting": 1})
    assert refused.status_code == 400 and "no_such_setting" in refused.json()["error"]
    assert asdict(emu.config) == before

    assert http.post("/_sandbox/app", json={marketplace.schedule: [1.0, 2.0]}).status_code == 200
    assert getattr(emu.config, marketplace.schedule) == (1.0, 2.0)


def test_the_autopilot_runs_for_a_known_seller_only_and_stops(marketplace):
    http, key = marketplace.http, marketplace.owner
    unknown = http.post("/_sandbox/autopilot", json={key: "nobody"})
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("no such")

    owner = marketplace.add_owner()
    started = http.post("/_sandbox/autopilot", json={key: owner, "interval_seconds": 3600})
    assert started.json() == {"autopilot": "on", key: owner}
    assert http.post("/_sandbox/autopilot", json={"enabled": False}).json() == {"autopilot": "off"}


def test_the_rate_limit_holds_a_second_of_calls_until_it_is_switched_off(marketplace):
    emu, http = marketplace.emulator, marketplace.http
    emu.monotonic = lambda: 1000.0  # no time passes: the bucket does not refill
    assert http.post("/_sandbox/switches", json={"rate_limit_per_second": 2}).status_code == 200
    assert [emu.take_token(("app", "shop")) for _ in range(3)] == [True, True, False]

    http.post("/_sandbox/switches", json={"rate_limit_enabled": False})
    assert all(emu.take_token(("app", "shop")) for _ in range(10))


@dataclass
class Record:
    id: int
    name: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    statuses: tuple[str, ...] = ("AVAILABLE",)


def test_a_field_view_names_fields_as_the_wire_does_and_keeps_what_it_showed():
    record = Record(7, "Loja", [{"status": 500}])
    view = field_view(record, "id", "attempts", "statuses", shop_name="name")
    assert view == {"id": 7, "attempts": [{"status": 500}], "statuses": ["AVAILABLE"], "shop_name": "Loja"}

    record.attempts.append({"status": 200})
    assert view["attempts"] == [{"status": 500}]
