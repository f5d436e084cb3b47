"""The Shopee emulator driven by a client it was not written with: PyPI `pyshopee` 1.4.0, whose `pyshopee2`
package is a v2 client (it signs public calls over `partner_id + path + timestamp` and shop calls over
`... + access_token + shop_id`, and sends the common parameters in the query), pointed at the emulator by
its `host`.

Where this client departs from the reference, the test says so:
- it reads an answer only when the HTTP status is 2xx, and otherwise returns its own
  `{"error": <status>, "msg": "http error code"}`, losing the platform's `error` string that the
  reference says to branch on (the platform's statuses per error are UNCONFIRMED; the emulator's are a
  configurable table, so with errors answered 200 this client sees the platform's envelope);
- its push module calls `push/get_push_config`, where the reference names `v2.push.set_app_push_config`
  (the emulator serves the reference's `get_app_push_config` / `set_app_push_config`);
- it has no image upload (`media_space/upload_image`).
"""

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pyshopee2

from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.shopee import SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY
from tiktok_pipelines_tests.sandbox.shopee_support import REDIRECT, SHOP_ID, served


def test_pyshopee2_authorizes_lists_items_reads_orders_and_updates_stock_against_the_emulator(capsys):
    with served() as (emu, api):
        client = pyshopee2.Client(SHOP_ID, SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY, REDIRECT)
        client.host = str(api.http.base_url).rstrip("/")
        consent = httpx.get(client.shop_authorization(REDIRECT), follow_redirects=False)
        params = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["location"]).query).items()}
        client.code = params["code"]
        access_token, expire_in, refresh_token = client.get_token()
        assert expire_in == 14400 and access_token in emu.access_grants

        assert client.shop.get_shop_info()["shop_name"] == "Loja Demo"
        assert client.product.get_category()["response"]["category_list"]

        emu.seed_items(SHOP_ID, generate_catalog(3, seed=5, account="shop", warehouses=("1_1",)))
        items = client.product.get_item_list(offset=0, page_size=10, item_status="NORMAL")["response"]
        assert [i["item_id"] for i in items["item"]] == list(emu.shops[SHOP_ID].items)
        single = next(i for i in emu.shops[SHOP_ID].items.values() if not i["has_model"])
        info = client.product.get_item_base_info(item_id_list=str(single["item_id"]))["response"]
        assert info["item_list"][0]["price_info"][0]["currency"] == "BRL"
        stock = client.product.update_stock(
            item_id=single["item_id"], stock_list=[{"model_id": 0, "seller_stock": [{"stock": 42}]}]
        )
        assert stock["error"] == "" and stock["response"]["success_list"][0]["stock"] == 42

        order_sn = emu.create_order(SHOP_ID, [(single["item_id"], 0, 1)], status="READY_TO_SHIP")
        now = int(time.time())
        listed = client.order.get_order_list(
            time_range_field="update_time", time_from=now - 60, time_to=now + 60, page_size=10
        )["response"]
        assert [o["order_sn"] for o in listed["order_list"]] == [order_sn]
        detail = client.order.get_order_detail(order_sn_list=order_sn)["response"]["order_list"][0]
        assert detail["order_status"] == "READY_TO_SHIP"

        client.get_access_token(SHOP_ID, SANDBOX_PARTNER_ID, SANDBOX_PARTNER_KEY, refresh_token)
        assert emu.newest_refresh[("shop", SHOP_ID)] != refresh_token

        client.access_token = "0" * 32
        assert client.shop.get_shop_info() == {"request_id": None, "error": 403, "msg": "http error code"}
        emu.config.http_status["error_auth"] = 200
        refused = client.shop.get_shop_info()
        assert (refused["error"], refused["message"]) == ("error_auth", "Invalid access_token.")
    capsys.readouterr()  # the client prints every URL it calls, signature and token included
