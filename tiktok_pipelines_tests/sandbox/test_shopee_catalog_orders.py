"""The Shopee emulator's catalog, orders, NF-e and shipping, driven as a client would (plain httpx, the
test's own signing): each rule of the reference accepted or refused as the platform does."""

import time

import pytest

from tiktok_pipelines.core.nfe import build_access_key
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.shopee import EmulatorConfig
from tiktok_pipelines_tests.sandbox.shopee_support import SHOP_ID, served

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
NFE = "http://www.portalfiscal.inf.br/nfe"


def upload(api, data=PNG):
    return api.public(
        "POST", "/api/v2/media_space/upload_image", files={"image": ("a.png", data, "image/png")}
    )


def leaf(api, root="Moda"):
    categories = api.ok(api.shop("GET", "/api/v2/product/get_category"))["category_list"]
    by_id = {c["category_id"]: c for c in categories}

    def top(c):
        while c["parent_category_id"]:
            c = by_id[c["parent_category_id"]]
        return c["original_category_name"]

    return next(c for c in categories if not c["has_children"] and top(c) == root)


def new_item(api, **changes):
    category = leaf(api)
    attributes = api.ok(
        api.shop("GET", "/api/v2/product/get_attributes", params={"category_id": category["category_id"]})
    )
    mandatory = [a for a in attributes["attribute_list"] if a["is_mandatory"]]
    body = {
        "item_name": "Camiseta Clássica",
        "description": "Camiseta de algodão",
        "original_price": 59.9,
        "weight": 0.3,
        "category_id": category["category_id"],
        "image": {"image_id_list": [api.ok(upload(api))["image_info"]["image_id"]]},
        "logistic_info": [{"logistic_id": 90003, "enabled": True}],
        "attribute_list": [
            {
                "attribute_id": a["attribute_id"],
                "attribute_value_list": [{"value_id": a["attribute_value_list"][0]["value_id"]}],
            }
            for a in mandatory
        ],
        "seller_stock": [{"stock": 10}],
    } | changes
    return api.shop("POST", "/api/v2/product/add_item", json=body)


def with_models(api):
    item_id = api.ok(new_item(api))["item_id"]
    tiers = [{"name": "Tamanho", "option_list": [{"option": "P"}, {"option": "M"}]}]
    models = [
        {"tier_index": [0], "original_price": 59.9, "model_sku": "CAM-P", "seller_stock": [{"stock": 3}]},
        {"tier_index": [1], "original_price": 64.9, "model_sku": "CAM-M", "seller_stock": [{"stock": 5}]},
    ]
    body = api.ok(
        api.shop(
            "POST",
            "/api/v2/product/init_tier_variation",
            json={"item_id": item_id, "tier_variation": tiers, "model": models},
        )
    )
    return item_id, {m["model_sku"]: m["model_id"] for m in body["model"]}


# ---------------------------------------------------------------- media, categories, brands, logistics
def test_an_image_uploaded_as_bytes_gets_an_image_id_and_other_bytes_are_refused():
    with served() as (_emu, api):
        info = api.ok(upload(api))["image_info"]
        assert info["image_id"] and info["image_url_list"][0]["image_url"].endswith(info["image_id"])
        assert api.http.get(f"/_sandbox/images/{info['image_id']}").content == PNG
        assert api.ok(upload(api))["image_info"]["image_id"] == info["image_id"]
        assert upload(api, b"GIF89a not an image").json()["error"] == "error_invalid_image"


def test_brands_page_by_offset_and_logistics_channels_are_listed():
    with served() as (emu, api):
        api.authorize()
        category_id = leaf(api)["category_id"]
        seen, offset = [], 0
        while True:
            page = api.ok(
                api.shop(
                    "GET",
                    "/api/v2/product/get_brand_list",
                    params={"offset": offset, "page_size": 7, "category_id": category_id, "status": 1},
                )
            )
            seen += [b["brand_id"] for b in page["brand_list"]]
            if not page["has_next_page"]:
                break
            offset = page["next_offset"]
        assert len(seen) == len(set(seen)) == len(emu.brands)
        too_big = api.shop(
            "GET",
            "/api/v2/product/get_brand_list",
            params={"offset": 0, "page_size": 101, "category_id": category_id, "status": 1},
        )
        assert too_big.json()["error"] == "error_param"
        channels = api.ok(api.shop("GET", "/api/v2/logistics/get_channel_list"))["logistics_channel_list"]
        assert {c["logistics_channel_id"] for c in channels if c["enabled"]} == {90003, 90021}


# ---------------------------------------------------------------- items
def test_add_item_refuses_a_missing_field_a_mandatory_attribute_an_unknown_image_or_a_disabled_channel():
    with served() as (emu, api):
        api.authorize()
        assert new_item(api, item_name=None).json()["error"] == "error_param"
        assert new_item(api, attribute_list=[]).json()["error"] == "product.error_param"
        assert new_item(api, image={"image_id_list": ["br-unknown"]}).json()["error"] == "product.error_param"
        disabled = new_item(api, logistic_info=[{"logistic_id": 90026, "enabled": True}]).json()
        assert disabled["error"] == "product.error_param" and "90026" in disabled["message"]
        assert new_item(api, original_price=0).json()["error"] == "product.error_param"
        assert emu.shops[SHOP_ID].items == {}
        created = api.ok(new_item(api))
        assert created["item_status"] == "NORMAL" and created["price_info"][0]["original_price"] == 59.9


def test_tier_variations_make_models_and_base_info_then_has_no_price_info():
    with served() as (_emu, api):
        api.authorize()
        item_id, _models = with_models(api)
        listed = api.ok(api.shop("GET", "/api/v2/product/get_model_list", params={"item_id": item_id}))
        assert [m["model_sku"] for m in listed["model"]] == ["CAM-P", "CAM-M"]
        assert listed["tier_variation"][0]["name"] == "Tamanho"
        info = api.ok(
            api.shop("GET", "/api/v2/product/get_item_base_info", params={"item_id_list": str(item_id)})
        )
        item = info["item_list"][0]
        assert item["has_model"] and "price_info" not in item
        assert item["stock_info_v2"]["summary_info"]["total_available_stock"] == 8
        again = api.shop(
            "POST",
            "/api/v2/product/init_tier_variation",
            json={
                "item_id": item_id,
                "tier_variation": [{"name": "X", "option_list": [{"option": "a"}]}],
                "model": [{"tier_index": [0], "original_price": 1.0}],
            },
        )
        assert again.json()["error"] == "product.error_param"
        duplicated = api.ok(new_item(api))["item_id"]
        twice = api.shop(
            "POST",
            "/api/v2/product/init_tier_variation",
            json={
                "item_id": duplicated,
                "tier_variation": [{"name": "T", "option_list": [{"option": "a"}, {"option": "b"}]}],
                "model": [
                    {"tier_index": [0], "original_price": 1.0},
                    {"tier_index": [0], "original_price": 2.0},
                ],
            },
        )
        assert twice.json()["error"] == "product.error_param" and "duplicated" in twice.json()["message"]


def test_stock_and_prices_are_updated_per_model_each_entry_alone():
    with served() as (emu, api):
        api.authorize()
        item_id, models = with_models(api)
        emu.create_order(SHOP_ID, [(item_id, models["CAM-M"], 2)])
        stock = api.ok(
            api.shop(
                "POST",
                "/api/v2/product/update_stock",
                json={
                    "item_id": item_id,
                    "stock_list": [
                        {"model_id": models["CAM-P"], "seller_stock": [{"stock": 7}]},
                        {"model_id": models["CAM-M"], "seller_stock": [{"stock": 1}]},
                        {"model_id": 0, "seller_stock": [{"stock": 1}]},
                    ],
                },
            )
        )
        assert stock["success_list"] == [{"model_id": models["CAM-P"], "location_id": "", "stock": 7}]
        assert {f["model_id"] for f in stock["failure_list"]} == {models["CAM-M"], 0}
        emu.price_locks.add((item_id, models["CAM-M"]))
        prices = api.ok(
            api.shop(
                "POST",
                "/api/v2/product/update_price",
                json={
                    "item_id": item_id,
                    "price_list": [
                        {"model_id": models["CAM-P"], "original_price": 49.9},
                        {"model_id": models["CAM-M"], "original_price": 54.9},
                    ],
                },
            )
        )
        assert prices["success_list"] == [{"model_id": models["CAM-P"], "original_price": 49.9}]
        assert prices["failure_list"][0]["model_id"] == models["CAM-M"]
        listed = api.ok(api.shop("GET", "/api/v2/product/get_model_list", params={"item_id": item_id}))[
            "model"
        ]
        assert [
            (
                m["price_info"][0]["original_price"],
                m["stock_info_v2"]["summary_info"]["total_available_stock"],
            )
            for m in listed
        ] == [(49.9, 7), (64.9, 5)]
        too_many = api.shop(
            "POST",
            "/api/v2/product/update_stock",
            json={
                "item_id": item_id,
                "stock_list": [{"model_id": models["CAM-P"], "seller_stock": [{"stock": 1}]}] * 51,
            },
        )
        assert too_many.json()["error"] == "error_param"


def test_item_list_pages_by_offset_and_filters_by_repeated_status():
    with served() as (_emu, api):
        api.authorize()
        ids = [api.ok(new_item(api))["item_id"] for _ in range(5)]
        api.ok(
            api.shop(
                "POST",
                "/api/v2/product/unlist_item",
                json={"item_list": [{"item_id": ids[0], "unlist": True}]},
            )
        )
        seen, offset = [], 0
        while True:
            params = [
                ("offset", offset),
                ("page_size", 2),
                ("item_status", "NORMAL"),
                ("item_status", "UNLIST"),
            ]
            page = api.ok(api.shop("GET", "/api/v2/product/get_item_list", params=params))
            assert page["total_count"] == 5
            seen += [i["item_id"] for i in page["item"]]
            if not page["has_next_page"]:
                break
            offset = page["next_offset"]
        assert seen == ids
        normal = api.ok(
            api.shop(
                "GET",
                "/api/v2/product/get_item_list",
                params={"offset": 0, "page_size": 100, "item_status": "NORMAL"},
            )
        )
        assert [i["item_id"] for i in normal["item"]] == ids[1:]
        oversized = api.shop(
            "GET",
            "/api/v2/product/get_item_list",
            params={"offset": 0, "page_size": 101, "item_status": "NORMAL"},
        )
        assert oversized.json()["error"] == "error_param"


# ---------------------------------------------------------------- orders
def test_order_list_keeps_to_fifteen_days_and_pages_by_cursor():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api, seller_stock=[{"stock": 50}]))["item_id"]
        created = [emu.create_order(SHOP_ID, [(item_id, 0, 1)]) for _ in range(7)]
        now = int(time.time())
        base = {"time_range_field": "update_time", "page_size": 3, "response_optional_fields": "order_status"}
        too_long = api.shop(
            "GET",
            "/api/v2/order/get_order_list",
            params=base | {"time_from": now - 15 * 86400 - 1, "time_to": now},
        )
        assert too_long.json()["error"] == "order.order_list_invalid_time"
        window = {"time_from": now - 15 * 86400 + 10, "time_to": now + 10}
        seen, cursor = [], ""
        while True:
            page = api.ok(
                api.shop("GET", "/api/v2/order/get_order_list", params=base | window | {"cursor": cursor})
            )
            seen += [o["order_sn"] for o in page["order_list"]]
            assert all(o["order_status"] == "UNPAID" for o in page["order_list"])
            if not page["more"]:
                assert page["next_cursor"] == ""
                break
            cursor = page["next_cursor"]
        assert sorted(seen) == sorted(created)
        no_field = api.shop("GET", "/api/v2/order/get_order_list", params={"page_size": 3} | window)
        assert no_field.json()["error"] == "error_param"


def test_order_detail_takes_at_most_fifty_and_warns_of_unknown_ones():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api))["item_id"]
        order_sn = emu.create_order(SHOP_ID, [(item_id, 0, 2)], status="READY_TO_SHIP")
        detail = api.shop(
            "GET",
            "/api/v2/order/get_order_detail",
            params={
                "order_sn_list": f"{order_sn},NOPE",
                "response_optional_fields": "item_list,total_amount,buyer_cpf_id",
            },
        ).json()
        order = detail["response"]["order_list"][0]
        assert order["order_status"] == "READY_TO_SHIP" and order["total_amount"] == 119.8
        assert order["item_list"][0]["model_quantity_purchased"] == 2 and len(order["buyer_cpf_id"]) == 11
        assert "NOPE" in detail["warning"]
        many = api.shop(
            "GET", "/api/v2/order/get_order_detail", params={"order_sn_list": ",".join(["X"] * 51)}
        )
        assert many.json()["error"] == "error_param"


def nfe(order, total=None, cpf=None, key=None):
    key = key or build_access_key(
        uf_code="35", year_month="2612", cnpj="12345678000195", series=1, number=42, numeric_code=7
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<nfeProc xmlns="{NFE}" versao="4.00"><NFe><infNFe Id="NFe{key}" versao="4.00">
<ide><serie>1</serie><nNF>42</nNF><dhEmi>2026-12-05T10:00:00-03:00</dhEmi></ide>
<dest><CPF>{cpf or order["buyer_cpf_id"]}</CPF></dest>
<total><ICMSTot><vNF>{total or f"{order['total_amount']:.2f}"}</vNF></ICMSTot></total>
</infNFe></NFe><protNFe versao="4.00"><infProt><chNFe>{key}</chNFe><cStat>100</cStat></infProt></protNFe></nfeProc>""".encode()


def send_invoice(api, order_sn, xml, file_type="4"):
    return api.shop(
        "POST",
        "/api/v2/order/upload_invoice_doc",
        data={"order_sn": order_sn, "file_type": file_type},
        files={"file": ("nfe.xml", xml, "text/xml")},
    )


def test_a_paid_brazilian_order_waits_for_its_own_nfe_then_ships_with_a_document():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api))["item_id"]
        order_sn = emu.create_order(SHOP_ID, [(item_id, 0, 1)])
        emu.pay(order_sn)
        order = emu.shops[SHOP_ID].orders[order_sn]
        assert order["order_status"] == "INVOICE_PENDING"
        not_ready = api.shop(
            "GET", "/api/v2/logistics/get_shipping_parameter", params={"order_sn": order_sn}
        ).json()
        assert (not_ready["error"], not_ready["message"]) == (
            "logistics.error_param",
            "The order status is not ready to ship.",
        )
        for bad in (
            b"<nfeProc><NFe>",
            nfe(order, total="1.00"),
            nfe(order, cpf="11111111111"),
            nfe(order, key="1" * 44),
        ):
            refused = send_invoice(api, order_sn, bad).json()
            assert refused["error"] == "error_param", refused
        assert send_invoice(api, order_sn, nfe(order), file_type="1").json()["error"] == "error_param"
        assert order["order_status"] == "INVOICE_PENDING"
        api.ok(send_invoice(api, order_sn, nfe(order)))
        assert order["order_status"] == "READY_TO_SHIP" and order["invoice_data"]["number"] == "42"
        needs = api.ok(
            api.shop("GET", "/api/v2/logistics/get_shipping_parameter", params={"order_sn": order_sn})
        )
        assert needs["info_needed"]["pickup"] == ["address_id", "pickup_time_id"]
        address = needs["pickup"]["address_list"][0]
        pickup = {
            "address_id": address["address_id"],
            "pickup_time_id": address["time_slot_list"][0]["pickup_time_id"],
        }
        assert (
            api.shop("POST", "/api/v2/logistics/ship_order", json={"order_sn": order_sn}).json()["error"]
            == "logistics.error_param"
        )
        api.ok(
            api.shop("POST", "/api/v2/logistics/ship_order", json={"order_sn": order_sn, "pickup": pickup})
        )
        tracking = api.ok(
            api.shop("GET", "/api/v2/logistics/get_tracking_number", params={"order_sn": order_sn})
        )
        assert order["order_status"] == "PROCESSED" and tracking["tracking_number"].startswith("BR")
        orders = {"order_list": [{"order_sn": order_sn}]}
        early = api.shop("POST", "/api/v2/logistics/download_shipping_document", json=orders).json()
        assert early["error"] == "logistics.shipping_document_should_print_first"
        assert (
            api.ok(api.shop("POST", "/api/v2/logistics/create_shipping_document", json=orders))[
                "result_list"
            ][0]["fail_error"]
            == ""
        )
        result = api.ok(api.shop("POST", "/api/v2/logistics/get_shipping_document_result", json=orders))
        assert result["result_list"][0]["status"] == "READY"
        pdf = api.shop("POST", "/api/v2/logistics/download_shipping_document", json=orders)
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
        assert tracking["tracking_number"].encode() in pdf.content


def test_seller_logistics_ships_with_the_sellers_tracking_number():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api, logistic_info=[{"logistic_id": 90021, "enabled": True}]))["item_id"]
        order_sn = emu.create_order(SHOP_ID, [(item_id, 0, 1)], status="READY_TO_SHIP")
        needs = api.ok(
            api.shop("GET", "/api/v2/logistics/get_shipping_parameter", params={"order_sn": order_sn})
        )
        assert needs["info_needed"] == {"non_integrated": ["tracking_number"]}
        missing = api.shop("POST", "/api/v2/logistics/ship_order", json={"order_sn": order_sn}).json()
        assert missing["error"] == "logistics.error_traceno_required"
        api.ok(
            api.shop(
                "POST",
                "/api/v2/logistics/ship_order",
                json={"order_sn": order_sn, "non_integrated": {"tracking_number": "SL123"}},
            )
        )
        assert (
            api.ok(api.shop("GET", "/api/v2/logistics/get_tracking_number", params={"order_sn": order_sn}))[
                "tracking_number"
            ]
            == "SL123"
        )


@pytest.mark.parametrize("invoice_pending", [True, False])
def test_every_status_of_the_flow_and_stock_following_it(invoice_pending):
    with served(EmulatorConfig(invoice_pending=invoice_pending)) as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api, seller_stock=[{"stock": 3}]))["item_id"]
        item = emu.shops[SHOP_ID].items[item_id]
        kept = emu.create_order(SHOP_ID, [(item_id, 0, 1)], status="COMPLETED")
        cancelled = emu.create_order(SHOP_ID, [(item_id, 0, 1)])
        emu.set_order_status(cancelled, "CANCELLED")
        assert (item["stock"], item["reserved"]) == (2, 0)
        statuses = [o["order_status"] for o in emu.shops[SHOP_ID].orders.values()]
        assert statuses == ["COMPLETED", "CANCELLED"]
        with pytest.raises(ValueError):
            emu.set_order_status(kept, "UNPAID")


def test_the_buyers_place_unpaid_orders_then_pay_or_cancel_them():
    with served() as (emu, api):
        catalog = generate_catalog(4, seed=3, account="shop", warehouses=("1_1",))
        emu.seed_items(SHOP_ID, catalog)
        shop = emu.shops[SHOP_ID]
        assert len(shop.items) == 4 and any(i["has_model"] for i in shop.items.values())
        first = emu.autopilot_step(SHOP_ID, cancel_share=0.0)
        assert len(first["created"]) == 1 and shop.orders[first["created"][0]]["order_status"] == "UNPAID"
        second = emu.autopilot_step(SHOP_ID, cancel_share=0.0)
        assert second["paid"] == first["created"]
        assert shop.orders[first["created"][0]]["order_status"] == "INVOICE_PENDING"
        third = emu.autopilot_step(SHOP_ID, cancel_share=1.0)
        assert third["cancelled"] == second["created"]
        assert (
            api.http.post(
                "/_sandbox/autopilot", json={"shop_id": SHOP_ID, "interval_seconds": 0.05}
            ).status_code
            == 200
        )
        deadline = time.monotonic() + 5
        while len(shop.orders) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        api.http.post("/_sandbox/autopilot", json={"enabled": False})
        assert len(shop.orders) >= 6


def test_the_seller_cancels_an_order_not_yet_shipped_naming_what_is_out_of_stock():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api))["item_id"]
        item = emu.shops[SHOP_ID].items[item_id]
        order_sn = emu.create_order(SHOP_ID, [(item_id, 0, 2)], status="READY_TO_SHIP")
        cancel = {"order_sn": order_sn, "cancel_reason": "OUT_OF_STOCK"}
        assert api.shop("POST", "/api/v2/order/cancel_order", json=cancel).json()["error"] == "error_param"
        bad_reason = api.shop("POST", "/api/v2/order/cancel_order", json=cancel | {"cancel_reason": "BORED"})
        assert bad_reason.json()["error"] == "error_param" and item["reserved"] == 2
        named = cancel | {"item_list": [{"item_id": item_id, "model_id": 0}]}
        assert api.ok(api.shop("POST", "/api/v2/order/cancel_order", json=named))["update_time"]
        order = emu.shops[SHOP_ID].orders[order_sn]
        assert (order["order_status"], order["cancel_by"], item["reserved"]) == ("CANCELLED", "seller", 0)
        shipped = emu.create_order(SHOP_ID, [(item_id, 0, 1)], status="SHIPPED")
        late = api.shop("POST", "/api/v2/order/cancel_order", json=named | {"order_sn": shipped}).json()
        assert late["error"] == "order.order_status_error"


def test_a_buyers_cancellation_waits_in_in_cancel_for_the_sellers_answer():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api))["item_id"]
        order_sn = emu.create_order(SHOP_ID, [(item_id, 0, 1)], status="READY_TO_SHIP")
        handle = {"order_sn": order_sn, "operation": "ACCEPT"}
        early = api.shop("POST", "/api/v2/order/handle_buyer_cancellation", json=handle).json()
        assert early["error"] == "order.order_status_error"
        assert (
            api.http.post(f"/_sandbox/orders/{order_sn}/cancel", json={}).json()["order_status"]
            == "IN_CANCEL"
        )
        api.ok(
            api.shop("POST", "/api/v2/order/handle_buyer_cancellation", json=handle | {"operation": "REJECT"})
        )
        order = emu.shops[SHOP_ID].orders[order_sn]
        assert order["order_status"] == "READY_TO_SHIP"
        emu.request_cancellation(order_sn)
        api.ok(api.shop("POST", "/api/v2/order/handle_buyer_cancellation", json=handle))
        assert (order["order_status"], order["cancel_by"]) == ("CANCELLED", "buyer")


def test_update_item_changes_only_what_it_names_and_a_deleted_item_is_gone_for_writes():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api))["item_id"]
        renamed = api.ok(
            api.shop(
                "POST", "/api/v2/product/update_item", json={"item_id": item_id, "item_name": "Camiseta Nova"}
            )
        )
        assert renamed == {"item_id": item_id, "item_name": "Camiseta Nova"}
        item = emu.shops[SHOP_ID].items[item_id]
        assert (item["item_name"], item["price"], item["description"]) == (
            "Camiseta Nova",
            59.9,
            "Camiseta de algodão",
        )
        too_long = api.shop(
            "POST", "/api/v2/product/update_item", json={"item_id": item_id, "item_name": "x" * 121}
        )
        assert too_long.json()["error"] == "product.error_param" and item["item_name"] == "Camiseta Nova"
        modelled, _ = with_models(api)
        priced = api.shop(
            "POST", "/api/v2/product/update_item", json={"item_id": modelled, "original_price": 10.0}
        )
        assert priced.json()["error"] == "product.error_param"
        api.ok(api.shop("POST", "/api/v2/product/delete_item", json={"item_id": item_id}))
        gone = api.shop(
            "POST", "/api/v2/product/update_item", json={"item_id": item_id, "item_name": "y"}
        ).json()
        assert gone["error"] == "product.error_item_not_found"
        deleted = api.ok(
            api.shop(
                "GET",
                "/api/v2/product/get_item_list",
                params={"offset": 0, "page_size": 10, "item_status": "SELLER_DELETE"},
            )
        )
        assert [i["item_id"] for i in deleted["item"]] == [item_id]


def test_invoice_data_is_checked_against_the_order_and_moves_it_on():
    with served() as (emu, api):
        api.authorize()
        item_id = api.ok(new_item(api))["item_id"]
        order_sn = emu.create_order(SHOP_ID, [(item_id, 0, 1)], status="INVOICE_PENDING")
        key = build_access_key(
            uf_code="35", year_month="2612", cnpj="12345678000195", series=1, number=9, numeric_code=1
        )
        data = {
            "number": "9",
            "series_number": "1",
            "access_key": key,
            "issue_date": 1764900000,
            "total_value": 1.0,
        }
        body = {"order_sn": order_sn, "invoice_data": data}
        assert api.shop("POST", "/api/v2/order/add_invoice_data", json=body).json()["error"] == "error_param"
        bad_key = body | {"invoice_data": data | {"access_key": "1" * 44, "total_value": 59.9}}
        assert (
            api.shop("POST", "/api/v2/order/add_invoice_data", json=bad_key).json()["error"] == "error_param"
        )
        api.ok(
            api.shop(
                "POST",
                "/api/v2/order/add_invoice_data",
                json=body | {"invoice_data": data | {"total_value": 59.9}},
            )
        )
        assert emu.shops[SHOP_ID].orders[order_sn]["order_status"] == "READY_TO_SHIP"
        twice = api.shop(
            "POST",
            "/api/v2/order/add_invoice_data",
            json=body | {"invoice_data": data | {"total_value": 59.9}},
        )
        assert twice.json()["error"] == "error_param"


def test_a_models_stock_above_the_most_a_model_holds_is_refused():
    with served() as (_emu, api):
        api.authorize()
        item_id, models = with_models(api)
        asked = {models["CAM-P"]: 999_999, models["CAM-M"]: 1_000_000}
        entries = [{"model_id": m, "seller_stock": [{"stock": n}]} for m, n in asked.items()]
        body = {"item_id": item_id, "stock_list": entries}
        stock = api.ok(api.shop("POST", "/api/v2/product/update_stock", json=body))
        assert [s["stock"] for s in stock["success_list"]] == [999_999]
        (refused,) = stock["failure_list"]
        assert refused["model_id"] == models["CAM-M"] and "0 to 999999" in refused["failed_reason"]
