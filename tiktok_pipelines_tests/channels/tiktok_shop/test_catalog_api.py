"""TikTok Shop's `CatalogApi`: its answers read into the channel's neutral results, each platform refusal
worded the same way every time (so repeated identical failures can pause a product), a product TikTok no
longer has counted as deleted, and searches within the platform's limits. TikTok is a MockTransport
answering as the reference documents."""

import json

import httpx

from tiktok_pipelines.channels.tiktok_shop.categories import category_nodes
from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopSession, capabilities
from tiktok_pipelines.channels.tiktok_shop.client import TikTokShopClient
from tiktok_pipelines.http import RetryPolicy

PRODUCTS = "/product/202309/products"


def envelope(data=None, code=0, message="Success", status=200):
    return httpx.Response(
        status, json={"code": code, "message": message, "request_id": "rid-1", "data": data}
    )


def session_with(handler) -> tuple[TikTokShopSession, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = TikTokShopClient(
        "key",
        "secret",
        "token",
        "cipher",
        base_url="https://api.test",
        transport=httpx.MockTransport(record),
        retry=RetryPolicy(attempts=1),
        rate_limit_per_second=1000,
    )
    return TikTokShopSession(client, capabilities()), seen


def test_deletion_counts_a_product_tiktok_no_longer_has_as_deleted_and_words_refusals_alike():
    def tiktok(request):
        ids = json.loads(request.content)["product_ids"]
        errors = [
            {"code": 12019150, "message": "product not found", "detail": {"product_id": "P03"}},
            {"code": 12019010, "message": "product in a live campaign", "detail": {"product_id": "P05"}},
        ]
        return envelope({"errors": [e for e in errors if e["detail"]["product_id"] in ids]})

    session, seen = session_with(tiktok)
    products = {f"K{i:02d}": f"P{i:02d}" for i in range(22)}
    results = {r.product_key: r for r in session.delete_listings(products)}
    assert [json.loads(r.content)["product_ids"][0] for r in seen] == ["P00", "P20"]  # 20 a call
    assert results["K03"].ok and results["K00"].ok and results["K21"].ok
    refused = results["K05"]
    assert not refused.ok and refused.message == "12019010: product in a live campaign"
    assert refused.channel_product_id == "P05" and not refused.transient
    assert sum(len(r.calls) for r in results.values()) == 2  # one call each, counted once


def test_a_deletion_the_platform_could_not_answer_fails_every_product_of_the_call_as_transient():
    session, _ = session_with(lambda request: envelope(code=36009003, message="internal error"))
    results = session.delete_listings({"A": "P1", "B": "P2"})
    assert [(r.product_key, r.ok, r.transient, r.message) for r in results] == [
        ("A", False, True, "36009003: internal error"),
        ("B", False, True, "36009003: internal error"),
    ]


def test_listings_are_found_by_seller_sku_ten_at_a_time_deleted_ones_aside():
    def tiktok(request):
        wanted = json.loads(request.content)["seller_skus"]
        products = [
            {
                "id": f"T-{sku}",
                "status": "DELETED" if sku == "S03" else "ACTIVATE",
                "skus": [{"seller_sku": sku}],
            }
            for sku in wanted
        ]
        return envelope({"products": products, "total_count": len(products)})

    session, seen = session_with(tiktok)
    found = session.find_listings([f"S{i:02d}" for i in range(12)])
    assert [len(json.loads(r.content)["seller_skus"]) for r in seen] == [10, 2]
    assert [f.channel_product_id for f in found] == [f"T-S{i:02d}" for i in range(12) if i != 3]
    assert found[0].seller_skus == ("S00",)


def test_statuses_are_read_for_the_products_asked_only():
    def tiktok(request):
        assert json.loads(request.content)["update_time_ge"] == 1700000000
        products = [{"id": "P1", "status": "ACTIVATE"}, {"id": "P2", "status": "PENDING"}, {"id": "P9"}]
        return envelope({"products": products, "total_count": 3})

    session, _ = session_with(tiktok)
    assert session.listing_statuses(1700000000, ["P2", "P9"]) == {"P2": "PENDING"}


def test_a_recommendation_tiktok_cannot_give_now_is_asked_again_later():
    answers = iter(
        [
            httpx.Response(429, json={"code": 36009002, "message": "too many requests", "request_id": "r"}),
            envelope(code=12019005, message="title too short"),
            envelope({"leaf_category_id": "824330"}),
            envelope({"leaf_category_id": ""}),
        ]
    )
    session, _ = session_with(lambda request: next(answers))
    limited = session.recommend_category("Camiseta", None)
    assert (limited.category_id, limited.retry_later) == (None, True)
    refused = session.recommend_category("C", "d")
    assert (refused.category_id, refused.error, refused.retry_later) == (
        None,
        "12019005 title too short",
        False,
    )
    assert session.recommend_category("Camiseta Pro", "Algodão").category_id == "824330"
    nothing = session.recommend_category("Xyz", None)
    assert (nothing.category_id, nothing.error) == (None, None)


def test_a_leafs_rules_come_with_its_attributes_or_with_why_not():
    def tiktok(request):
        if request.url.path.endswith("/rules"):
            return envelope({"package_dimension": {"is_required": True}})
        if "824330" in request.url.path:
            return envelope({"attributes": [{"id": "101610", "name": "Material"}]})
        return envelope(code=12052001, message="category not found")

    session, _ = session_with(tiktok)
    rules = session.category_rules("824330")
    assert rules.error is None and rules.rules["package_dimension"]["is_required"]
    assert rules.attributes == [{"id": "101610", "name": "Material"}]
    assert session.category_rules("999").error == "12052001: category not found"


def test_an_image_tiktok_refuses_says_why_and_an_accepted_one_gives_its_uri():
    answers = iter(
        [
            envelope({"uri": "tos-img/abc", "url": "https://p16/abc", "width": 800, "height": 600}),
            envelope(code=12019029, message="image resolution too low"),
        ]
    )
    session, seen = session_with(lambda request: next(answers))
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    uploaded = session.upload_image(png, "MAIN_IMAGE", "abc.png")
    assert (uploaded.uri, uploaded.width, uploaded.height, uploaded.error) == ("tos-img/abc", 800, 600, None)
    refused = session.upload_image(png, "MAIN_IMAGE", "abc.png")
    assert (refused.uri, refused.error) == (None, "12019029 image resolution too low")
    assert b'name="use_case"' in seen[0].content


def test_the_category_tree_answer_becomes_nodes_with_their_paths():
    nodes = category_nodes(
        [
            {"id": "1", "parent_id": "0", "local_name": "Moda", "is_leaf": False},
            {"id": "2", "parent_id": "1", "local_name": "Camisetas", "is_leaf": True},
            {
                "id": 3,
                "parent_id": 1,
                "local_name": "Jogos",
                "is_leaf": True,
                "permission_statuses": ["INVITE_ONLY"],
            },
            {"id": "4", "parent_id": "77", "local_name": "Sem pai", "is_leaf": True},
            {"id": "2", "parent_id": "1", "local_name": "Camisetas e Polos", "is_leaf": True},
        ]
    )
    by_id = {n.category_id: n for n in nodes}
    assert sorted(by_id) == ["1", "2", "3", "4"]  # an id given twice is one node, the last one
    assert by_id["2"].path == "Moda > Camisetas e Polos" and by_id["2"].permitted
    assert by_id["3"].parent_id == "1" and by_id["3"].path == "Moda > Jogos" and not by_id["3"].permitted
    assert by_id["4"].path == "Sem pai"  # a parent the answer does not have ends the path
    assert not by_id["1"].is_leaf and by_id["1"].path == "Moda"
