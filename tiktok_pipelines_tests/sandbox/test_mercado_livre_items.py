"""The Mercado Livre emulator's items, categories and listing search refuse what the platform refuses
(reference §3, §5), driven with plain httpx."""

import httpx
import pytest

from tiktok_pipelines_tests.sandbox.mercado_livre_support import SELLER, start_sandbox, stop_sandbox

SHIRT = {
    "title": "Camiseta Básica Algodão",
    "category_id": "MLB31447",
    "price": 59.9,
    "currency_id": "BRL",
    "buying_mode": "buy_it_now",
    "listing_type_id": "gold_special",
    "condition": "new",
    "pictures": [{"source": "https://www.demostore.com.br/arquivos/ids/1.jpg"}],
    "attributes": [{"id": "BRAND", "value_name": "Aurora"}, {"id": "GENDER", "value_name": "Masculino"}],
    "variations": [
        {
            "attribute_combinations": [
                {"id": "COLOR", "value_name": "Azul"},
                {"id": "SIZE", "value_name": "M"},
            ],
            "available_quantity": 5,
            "attributes": [{"id": "SELLER_SKU", "value_name": "CAM-AZ-M"}],
        },
        {
            "attribute_combinations": [
                {"id": "COLOR", "value_name": "Azul"},
                {"id": "SIZE", "value_name": "G"},
            ],
            "available_quantity": 3,
            "attributes": [{"id": "SELLER_SKU", "value_name": "CAM-AZ-G"}],
        },
    ],
}


@pytest.fixture
def ml():
    sandbox = start_sandbox(products=30)
    sandbox.connect()
    yield sandbox
    stop_sandbox(sandbox)


def test_required_attributes_are_enforced_on_create_and_validate(ml):
    body = SHIRT | {"attributes": [{"id": "BRAND", "value_name": "Aurora"}]}
    with ml.api() as api:
        dry = api.post("/items/validate", json=body)
        created = api.post("/items", json=body)
        assert api.post("/items/validate", json=SHIRT).status_code == 204
    for reply in (dry, created):
        assert reply.status_code == 400
        answer = reply.json()
        assert (answer["error"], answer["status"]) == ("validation_error", 400)
        codes = [c["code"] for c in answer["cause"]]
        assert codes == ["item.attributes.missing_required"]
        assert "GENDER" in answer["cause"][0]["message"]
    assert not any(i["title"] == SHIRT["title"] for i in ml.emulator.seller(SELLER).items.values())


def test_validate_lists_every_cause(ml):
    body = SHIRT | {"price": -1, "currency_id": "USD", "listing_type_id": "diamond", "pictures": []}
    body["variations"] = [SHIRT["variations"][0], SHIRT["variations"][0]]
    with ml.api() as api:
        reply = api.post("/items/validate", json=body)
    codes = {c["code"] for c in reply.json()["cause"]}
    assert {
        "item.price.invalid",
        "item.currency_id.invalid",
        "item.listing_type_id.invalid",
        "item.pictures.required",
        "item.variations.attribute_combinations.duplicated",
    } <= codes


def test_a_variation_sent_without_its_id_is_recreated_and_one_left_out_is_deleted(ml):
    with ml.api() as api:
        item = api.post("/items", json=SHIRT).json()
        first, second = item["variations"]
        assert item["available_quantity"] == 8
        ml.emulator.create_orders(SELLER, 1, item_ids=[item["id"]])
        sold = api.get(f"/items/{item['id']}").json()
        sold_variation = next(v for v in sold["variations"] if v["sold_quantity"])
        kept, resent = (first, second) if sold_variation["id"] == first["id"] else (second, first)
        update = {
            "variations": [
                {"id": kept["id"], "available_quantity": 9},
                {
                    "attribute_combinations": resent["attribute_combinations"],
                    "available_quantity": 4,
                },
            ]
        }
        reply = api.put(f"/items/{item['id']}", json=update)
        assert reply.status_code == 200, reply.text
        after = {v["id"]: v for v in reply.json()["variations"]}
        assert kept["id"] in after and after[kept["id"]]["available_quantity"] == 9
        assert after[kept["id"]]["sold_quantity"] == 1
        assert resent["id"] not in after
        (recreated,) = [v for v in after.values() if v["id"] != kept["id"]]
        assert recreated["sold_quantity"] == 0 and recreated["available_quantity"] == 4
        only = api.put(f"/items/{item['id']}", json={"variations": [{"id": kept["id"]}]}).json()
        assert [v["id"] for v in only["variations"]] == [kept["id"]]
        unknown = api.put(f"/items/{item['id']}", json={"variations": [{"id": 1, "available_quantity": 1}]})
        assert unknown.status_code == 400


def test_variations_share_one_price(ml):
    body = SHIRT | {
        "variations": [SHIRT["variations"][0] | {"price": 10}, SHIRT["variations"][1] | {"price": 12}]
    }
    with ml.api() as api:
        reply = api.post("/items", json=body)
        assert "item.variations.price.different" in {c["code"] for c in reply.json()["cause"]}
        item = api.post("/items", json=SHIRT).json()
        repriced = api.put(f"/items/{item['id']}", json={"price": 64.9}).json()
    assert {v["price"] for v in repriced["variations"]} == {64.9}


def test_stock_zero_pauses_and_stock_back_reactivates(ml):
    single = next(i for i in ml.emulator.seller(SELLER).items.values() if not i["variations"])
    with ml.api() as api:
        paused = api.put(f"/items/{single['id']}", json={"available_quantity": 0}).json()
        assert (paused["status"], paused["sub_status"]) == ("paused", ["out_of_stock"])
        active = api.put(f"/items/{single['id']}", json={"available_quantity": 7}).json()
        assert (active["status"], active["available_quantity"]) == ("active", 7)
        by_seller = api.put(f"/items/{single['id']}", json={"status": "paused"}).json()
        assert by_seller["sub_status"] == ["paused_by_seller"]


def test_an_item_with_sales_keeps_its_title_and_is_never_deleted(ml):
    with ml.api() as api:
        item = api.post("/items", json=SHIRT).json()
        ml.emulator.create_orders(SELLER, 1, item_ids=[item["id"]])
        retitled = api.put(f"/items/{item['id']}", json={"title": "Outro título"})
        assert retitled.status_code == 400
        assert retitled.json()["cause"][0]["code"] == "item.title.not_modifiable"
        not_closed = api.put(f"/items/{item['id']}", json={"deleted": "true"})
        assert not_closed.status_code == 400
        assert api.put(f"/items/{item['id']}", json={"status": "closed"}).json()["status"] == "closed"
        reopened = api.put(f"/items/{item['id']}", json={"status": "active"})
        assert reopened.status_code == 400
        deleted = api.put(f"/items/{item['id']}", json={"deleted": "true"})
        assert deleted.status_code == 400
        assert api.get(f"/items/{item['id']}").json()["sub_status"] != ["deleted"]
        unsold = api.post("/items", json=SHIRT).json()
        api.put(f"/items/{unsold['id']}", json={"status": "closed"})
        assert api.put(f"/items/{unsold['id']}", json={"deleted": "true"}).json()["sub_status"] == ["deleted"]


def test_multiget_takes_at_most_twenty_ids_and_answers_each(ml):
    ids = list(ml.emulator.seller(SELLER).items)
    with ml.api() as api:
        too_many = api.get("/items", params={"ids": ",".join(ids[:21])})
        assert (too_many.status_code, too_many.json()["error"]) == (400, "bad_request")
        answers = api.get(
            "/items", params={"ids": ",".join([*ids[:19], "MLB1"]), "attributes": "id,price"}
        ).json()
    assert [a["code"] for a in answers] == [200] * 19 + [404]
    assert set(answers[0]["body"]) == {"id", "price"}
    assert answers[-1]["body"]["error"] == "not_found"


def test_scan_pages_through_every_listing_and_offset_stops_at_a_thousand(ml):
    seller = ml.emulator.seller(SELLER)
    expected = {i for i, item in seller.items.items()}
    path = f"/users/{seller.id}/items/search"
    with ml.api() as api:
        seen: list[str] = []
        first = api.get(path, params={"search_type": "scan", "limit": 7}).json()
        seen += first["results"]
        scroll = first["scroll_id"]
        while True:
            page = api.get(path, params={"scroll_id": scroll, "limit": 7}).json()
            if not page["results"]:
                break
            seen += page["results"]
        assert len(seen) == len(set(seen)) and set(seen) == expected
        mixed = api.get(path, params={"scroll_id": scroll, "offset": 7})
        assert mixed.status_code == 400
        beyond = api.get(path, params={"offset": 990, "limit": 20})
        assert beyond.status_code == 400
        paged = api.get(path, params={"offset": 0, "limit": 10}).json()
        assert paged["paging"] == {"total": len(expected), "offset": 0, "limit": 10}
        assert api.get(f"/users/{seller.id + 1}/items/search").status_code == 403


def test_search_by_seller_sku_and_status(ml):
    seller = ml.emulator.seller(SELLER)
    with ml.api() as api:
        item = api.post("/items", json=SHIRT).json()
        found = api.get(f"/users/{seller.id}/items/search", params={"seller_sku": "CAM-AZ-G"}).json()
        assert found["results"] == [item["id"]]
        api.put(f"/items/{item['id']}", json={"status": "paused"})
        paused = api.get(f"/users/{seller.id}/items/search", params={"status": "paused"}).json()
    assert item["id"] in paused["results"]


def test_categories_attributes_and_domain_discovery(ml):
    with httpx.Client(base_url=ml.url) as public:
        roots = public.get("/sites/MLB/categories").json()
        assert {"id": "MLB1430", "name": "Calçados, Roupas e Bolsas"} in roots
        attributes = public.get("/categories/MLB31447/attributes").json()
        required = {a["id"] for a in attributes if a["tags"].get("required")}
        assert required == {"BRAND", "GENDER", "SIZE", "COLOR"}
        guess = public.get("/sites/MLB/domain_discovery/search", params={"q": "Camiseta Polo Azul"}).json()
        assert guess[0]["category_id"] == "MLB31447"
        assert public.get("/categories/MLB0").status_code == 404


def test_descriptions_are_plain_text(ml):
    with ml.api() as api:
        item = api.post("/items", json=SHIRT).json()
        html = api.post(f"/items/{item['id']}/description", json={"plain_text": "<p>Oi</p>"})
        assert html.status_code == 400
        api.post(f"/items/{item['id']}/description", json={"plain_text": "Algodão penteado."})
        assert api.get(f"/items/{item['id']}/description").json()["plain_text"] == "Algodão penteado."


def test_uploaded_pictures_are_referenced_by_id(ml):
    with ml.api() as api:
        picture = api.post(
            "/pictures/items/upload", files={"file": ("a.jpg", b"\xff\xd8jpegbytes", "image/jpeg")}
        )
        assert picture.status_code == 200
        body = SHIRT | {"pictures": [{"id": picture.json()["id"]}]}
        assert api.post("/items", json=body).status_code == 201
        unknown = api.post("/items", json=SHIRT | {"pictures": [{"id": "123-MLB1_1"}]})
        assert unknown.status_code == 400


def test_rate_limit_answers_429_with_the_envelope(ml):
    httpx.post(f"{ml.url}/_sandbox/app", json={"rate_limit_per_second": 1})
    with ml.api() as api:
        statuses = [api.get("/users/me") for _ in range(8)]
    refused = [r for r in statuses if r.status_code == 429]
    assert refused and statuses[0].status_code == 200
    assert refused[0].json() == {
        "message": "Too many requests",
        "error": "too_many_requests",
        "status": 429,
        "cause": [],
    }


def test_injected_faults_answer_5xx_and_429(ml):
    with ml.api() as api:
        httpx.post(f"{ml.url}/_sandbox/switches", json={"error_rate": 1.0, "error_http_status": 503})
        down = api.get("/users/me")
        assert (down.status_code, down.json()["error"]) == (503, "service_not_available")
        httpx.post(f"{ml.url}/_sandbox/switches", json={"error_rate": 0.0, "burst_429": 2})
        assert [api.get("/users/me").status_code for _ in range(3)] == [429, 429, 200]
        httpx.post(f"{ml.url}/_sandbox/switches", json={"timeout_rate": 1.0, "timeout_ms": 1500})
        item = next(i for i, it in ml.emulator.seller(SELLER).items.items() if not it["variations"])
        with pytest.raises(httpx.ReadTimeout):
            api.put(f"/items/{item}", json={"available_quantity": 42}, timeout=0.5)
        assert ml.emulator.seller(SELLER).items[item]["available_quantity"] == 42  # it took effect


def test_a_refused_update_changes_nothing(ml):
    single = next(i for i in ml.emulator.seller(SELLER).items.values() if not i["variations"])
    with ml.api() as api:
        api.put(f"/items/{single['id']}", json={"available_quantity": 0})
        before = api.get(f"/items/{single['id']}").json()
        refused = api.put(f"/items/{single['id']}", json={"price": 12.5, "status": "active"})
        assert refused.status_code == 400
        assert refused.json()["cause"][0]["code"] == "item.status.not_modifiable"
        after = api.get(f"/items/{single['id']}").json()
    assert (after["price"], after["status"], after["last_updated"]) == (
        before["price"],
        before["status"],
        before["last_updated"],
    )


def test_others_than_the_owner_see_quantities_as_ranges(ml):
    item = next(i for i in ml.emulator.seller(SELLER).items.values() if not i["variations"])
    with ml.api() as api:
        api.put(f"/items/{item['id']}", json={"available_quantity": 73})
        assert api.get(f"/items/{item['id']}").json()["available_quantity"] == 73
    public = httpx.get(f"{ml.url}/items/{item['id']}").json()
    assert public["available_quantity"] == 50
    assert httpx.put(f"{ml.url}/items/{item['id']}", json={"price": 1}).status_code == 401
