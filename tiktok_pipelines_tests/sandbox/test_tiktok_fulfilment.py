"""The TikTok Shop emulator's fulfilment: invoice uploads refused at once (4001 / 4002 / 4003) or judged
later by webhook 36 (SUCCESS, or INVALID with a reason), and packages that ship only once invoiced."""

import time

import pytest

from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient, ValidationError
from tiktok_pipelines.core.nfe import cpf_with_check_digits
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.nfe import Emitter, build_nfe
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.sandbox.tiktok_shop import (
    SANDBOX_APP_KEY,
    SANDBOX_APP_SECRET,
    EmulatorConfig,
    TikTokShopEmulator,
    create_tiktok_app,
)


@pytest.fixture
def world(recorder):
    """An emulator with one shop, a few live products, webhooks to a recorder, verdicts at once."""
    emu = TikTokShopEmulator(EmulatorConfig(invoice_review_s=0, webhook_url=f"{recorder.url}/hook"))
    shop = emu.add_shop("BRFUL01", "Loja Fulfilment")
    emu.seed_products(shop, generate_catalog(6, seed=3), count=4)
    server = ServerThread(create_tiktok_app(emu)).start()
    grant = emu._grant_tokens(shop.seller_id)
    api = TikTokShopClient(
        SANDBOX_APP_KEY,
        SANDBOX_APP_SECRET,
        grant["access_token"],
        shop.cipher,
        base_url=server.url,
        retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.02),
    )
    yield emu, shop, api, recorder
    api.close()
    server.stop()
    emu.webhooks.stop()


def nfe_for(order: dict, broken=None, cpf=None) -> bytes:
    """The NF-e the merchant's ERP would issue for a TikTok order (its items, freight and buyer)."""
    lines = order["line_items"]
    oms = {
        "orderId": f"TTS-{order['id']}",
        "marketplaceOrderId": order["id"],
        "items": [
            {
                "id": li["seller_sku"],
                "name": li["product_name"],
                "price": round(float(li["sale_price"]) * 100),
                "sellingPrice": round(float(li["sale_price"]) * 100),
                "quantity": 1,
            }
            for li in lines
        ],
        "totals": [{"id": "Shipping", "value": round(float(order["payment"]["shipping_fee"]) * 100)}],
        "shippingData": {
            "address": {"state": "SP", "street": "Rua A", "number": "1", "postalCode": "01310100"}
        },
        "clientProfileData": {"document": cpf or order["cpf"], "firstName": "Ana", "lastName": "Lima"},
    }
    return build_nfe(oms, Emitter.for_account("demostore"), number=1001, broken=broken).xml


def verdicts(recorder, package_id, count=1, timeout=5.0):
    def found(requests):
        return [
            r["json"]["data"]
            for r in requests
            if r["json"]["type"] == 36 and r["json"]["data"]["package_id"] == package_id
        ]

    recorder.wait_for(lambda reqs: len(found(reqs)) >= count, timeout)
    return found(recorder.requests)


def new_order(emu, shop):
    order_id = emu.create_orders(shop.code, 1, status="AWAITING_SHIPMENT")[0]
    order = shop.orders[order_id]
    return order, order["packages"][0]["id"]


def test_an_accepted_nfe_is_judged_by_webhook_36_and_then_the_package_ships(world):
    emu, shop, api, recorder = world
    order, package_id = new_order(emu, shop)
    with pytest.raises(ValidationError) as early:
        api.ship_package(package_id, handover_method="DROP_OFF")
    assert early.value.code == 21011004  # no accepted NF-e yet
    result = api.upload_invoices(
        [{"order_ids": [order["id"]], "package_id": package_id, "file": nfe_for(order)}]
    )
    assert result.ok
    (verdict,) = verdicts(recorder, package_id)
    assert verdict == {
        "package_id": package_id,
        "order_ids": [order["id"]],
        "invoice_status": "SUCCESS",
        "invalid_reason": None,
    }
    api.ship_package(package_id, handover_method="DROP_OFF")
    package = api.get_package(package_id)
    assert package["package_status"] == "PROCESSING" and package["tracking_number"].startswith("BR")
    assert shop.orders[order["id"]]["status"] == "AWAITING_COLLECTION"
    assert api.get_tracking(order["id"])[0]["description"] == "Pedido enviado ao transportador"
    assert recorder.wait_for(
        lambda reqs: any(r["json"]["type"] == 4 for r in reqs if r["json"]["data"].get("package_list"))
    )
    with pytest.raises(ValidationError) as again:
        api.ship_package(package_id, handover_method="DROP_OFF")
    assert again.value.code == 21011002


def test_refusals_at_upload_carry_the_seeds_codes(world):
    emu, shop, api, recorder = world
    order, package_id = new_order(emu, shop)
    other, _ = new_order(emu, shop)
    xml = nfe_for(order)
    result = api.upload_invoices(
        [
            {"order_ids": [order["id"]], "package_id": "999", "file": xml},
            {"order_ids": [other["id"]], "package_id": package_id, "file": xml},
            {"order_ids": [order["id"]], "package_id": package_id, "file": nfe_for(order, "malformed")},
        ]
    )
    assert [(e.code, e.detail["package_id"]) for e in result.errors] == [
        (4002, "999"),
        (4003, package_id),
        (4001, package_id),
    ]
    # The invalid XML is also answered by webhook 36, as the seed's sequence shows.
    (verdict,) = verdicts(recorder, package_id)
    assert (verdict["invoice_status"], verdict["invalid_reason"]) == ("INVALID", "INVALID_XML")


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("no_protocol", "NOT_AUTHORIZED"),
        ("bad_check_digit", "INVALID_ACCESS_KEY"),
        ("wrong_total", "TOTAL_MISMATCH"),
    ],
)
def test_an_nfe_sefaz_would_refuse_is_invalid_with_its_reason(world, broken, reason):
    emu, shop, api, recorder = world
    order, package_id = new_order(emu, shop)
    assert api.upload_invoices(
        [{"order_ids": [order["id"]], "package_id": package_id, "file": nfe_for(order, broken)}]
    ).ok
    (verdict,) = verdicts(recorder, package_id)
    assert (verdict["invoice_status"], verdict["invalid_reason"]) == ("INVALID", reason)


def test_an_nfe_for_another_buyer_is_invalid_and_a_corrected_one_succeeds(world):
    emu, shop, api, recorder = world
    order, package_id = new_order(emu, shop)
    wrong = nfe_for(order, cpf=cpf_with_check_digits("111444777"))
    api.upload_invoices([{"order_ids": [order["id"]], "package_id": package_id, "file": wrong}])
    api.upload_invoices([{"order_ids": [order["id"]], "package_id": package_id, "file": nfe_for(order)}])
    first, second = verdicts(recorder, package_id, count=2)
    assert (first["invoice_status"], first["invalid_reason"]) == ("INVALID", "BUYER_MISMATCH")
    assert second["invoice_status"] == "SUCCESS"
    assert [u["invoice_status"] for u in shop.invoice_uploads if u["package_id"] == package_id] == [
        "PROCESSING",
        "PROCESSING",
    ]  # the log keeps each upload as it arrived; the latest decides
    assert shop.invoices[package_id]["invoice_status"] == "SUCCESS"


def test_a_slow_verdict_of_a_replaced_upload_is_never_sent(world):
    emu, shop, api, recorder = world
    emu.config.invoice_review_s = 0.3
    order, package_id = new_order(emu, shop)
    api.upload_invoices(
        [{"order_ids": [order["id"]], "package_id": package_id, "file": nfe_for(order, "no_protocol")}]
    )
    api.upload_invoices([{"order_ids": [order["id"]], "package_id": package_id, "file": nfe_for(order)}])
    time.sleep(0.6)
    found = verdicts(recorder, package_id, count=1)
    assert [v["invoice_status"] for v in found] == ["SUCCESS"]


def test_a_package_moving_on_sends_package_update(world):
    emu, shop, _api, recorder = world
    order, package_id = new_order(emu, shop)
    emu.set_order_status(order["id"], "CANCELLED")
    assert recorder.wait_for(
        lambda reqs: any(
            r["json"]["type"] == 4 and r["json"]["data"]["package_list"][0]["package_id"] == package_id
            for r in reqs
        )
    )
    assert shop.packages[package_id]["package_status"] == "CANCELLED"
