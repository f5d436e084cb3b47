"""The catalog end to end against the emulators: feed → diff → VTEX → brands → categories → listings.

Each test starts the sandbox (feed server, TikTok Shop and VTEX emulators on loopback), authorizes the
demo client through consent and the OAuth callback, and materializes the catalog assets with the
project's resources. Calls are counted on the emulator.
"""

import json

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest

from tiktok_pipelines.defs.catalog.assets import (
    CATALOG_ASSETS,
    feed_diff,
    tiktok_categories,
    tiktok_listings,
    vtex_catalog,
)
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.resources.feeds import FeedDownloader
from tiktok_pipelines.sandbox.demo_catalog import configure_demo_catalog
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE, SandboxConfig, SandboxWorld
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.catalog import AttributeRuleStore, BrandMap, CategoryStore, ShrinkGuardStore
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines_tests.results import asset_metadata

pytestmark = pytest.mark.e2e

ALL = [feed_xml, feed_products, *CATALOG_ASSETS]
PRODUCTS = "/product/202309/products"
CREATE = f"POST {PRODUCTS}"
PARTIAL_EDIT = f"POST {PRODUCTS}/{{product_id}}/partial_edit"
FULL_EDIT = f"PUT {PRODUCTS}/{{product_id}}"
DELETE = f"DELETE {PRODUCTS}"
UPLOAD = "POST /product/202309/images/upload"
CHECK = f"POST {PRODUCTS}/listing_check"


def fast_resources(sandbox: SandboxWorld, monkeypatch) -> dict:
    """The project's resources, with the emulator's and the clients' rate limits raised for speed."""
    monkeypatch.setenv("TIKTOK_RATE_LIMIT_PER_SECOND", "2000")
    monkeypatch.setenv("VTEX_RATE_LIMIT_PER_SECOND", "2000")
    sandbox.tiktok.switches.rate_limit_per_second = 2000
    resources = build_resources(Settings.load())
    resources["feed_downloader"] = FeedDownloader(attempts=2, backoff_initial_seconds=0.05)
    return resources


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    """A sandbox whose demo store has 12 products (33 variants, in 9 categories, two needing certificates,
    two of the brand "Açaí Sports" that exists on TikTok): small enough to keep these tests fast."""
    return SandboxWorld(SandboxConfig.on_free_ports(products=12))


@pytest.fixture
def catalog_resources(sandbox, tiktok_client, state_db, registry, monkeypatch):
    configure_demo_catalog(state_db, tiktok_client.client_id, sandbox.urls()["feeds"])
    # Two pictures a product and none per variant: the image path has tests of its own, and fewer
    # uploads keep these fast.
    options = registry.get("demo").options
    registry.update("demo", options={**options, "max_main_images": 2, "sku_images": False})
    return fast_resources(sandbox, monkeypatch)


def serve_items(world: SandboxWorld, registry, items: str) -> None:
    """Serves a hand-written feed; its SKUs are not in VTEX, so the client's default package applies."""
    feed_control(
        world,
        "raw",
        content=f'<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel>{items}</channel></rss>'.encode(),
    )
    package = {"weight_kg": 0.5, "length_cm": 20, "width_cm": 15, "height_cm": 10}
    registry.update("demo", options={**registry.get("demo").options, "default_package": package})


def run(instance, resources, run_config=None, raise_on_error=True, client_id="demo", assets=ALL):
    return dg.materialize(
        assets,
        partition_key=client_id,
        instance=instance,
        resources=resources,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def metadata(result, asset):
    return asset_metadata(result, asset)


def check_result(result, name):
    evaluations = [
        e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    return next(e for e in evaluations if e.check_name == name)


def calls(world: SandboxWorld) -> dict:
    return world.tiktok.stats()["calls"]


def product_calls(world: SandboxWorld) -> dict:
    return {k: v for k, v in calls(world).items() if "/product/" in k}


def feed_control(world: SandboxWorld, action: str, **kwargs):
    url = f"{world.urls()['feeds']}/_sandbox/feeds/demo/{action}"
    return httpx.request(kwargs.pop("method", "POST"), url, **kwargs).raise_for_status().json()


def live_products(world: SandboxWorld) -> dict:
    shop = world.tiktok.shop_by_code(DEMO_SHOP_CODE)
    return {p["external_product_id"]: p for p in shop.products.values() if p["status"] != "DELETED"}


@pytest.mark.backends
def test_first_publication_lists_every_product_with_its_variants(
    sandbox, catalog_resources, instance, state_db
):
    result = run(instance, catalog_resources)
    catalog = sandbox.demo_catalog
    meta = metadata(result, "tiktok_shop__listings")
    assert (meta["created"], meta["failed"], meta["invalid"]) == (len(catalog.products), 0, 0)
    assert metadata(result, "feed_diff")["new"] == len(catalog.products)

    on_tiktok = live_products(sandbox)
    assert len(on_tiktok) == len(catalog.products)
    listing_map = ListingMap(state_db)
    products, skus = listing_map.products("demo"), listing_map.skus("demo")
    for product in catalog.products:
        listed = on_tiktok[str(product.product_id)]
        assert products[str(product.product_id)].channel_product_id == listed["id"]
        assert products[str(product.product_id)].status == "ACTIVATE"  # read back after the push
        assert {s["seller_sku"] for s in listed["skus"]} == {str(s.sku_id) for s in product.skus}
        for sku in listed["skus"]:
            assert skus[sku["seller_sku"]].channel_sku_id == sku["id"]
            source = catalog.sku(int(sku["seller_sku"]))
            assert sku["price"]["amount"] == f"{source.price:.2f}"
            assert sku["inventory"][0]["quantity"] == source.available  # VTEX stock at creation
            assert sku["identifier_code"] == {"code": source.ean, "type": "EAN"}
            if len(product.skus) > 1:
                assert sku["sales_attributes"], "variants need sales attributes"
        assert listed["brand"]["name"] == product.brand.name
        assert float(listed["package_weight"]["value"]) == pytest.approx(
            float(max(s.weight_kg for s in product.skus))
        )
    # "Açaí Sports" exists on TikTok: its products use it (matched by name, no twin created); the other
    # brands are created once.
    brands = BrandMap(state_db).all("demo")
    assert brands["acai sports"].origin == "matched"
    assert brands["acai sports"].channel_brand_id == sandbox.tiktok.brands["açaí sports"]["id"]
    assert metadata(result, "tiktok_shop__brands")["failed"] == 0
    stats = calls(sandbox)
    assert stats["POST /product/202309/brands"] == len({p.brand.name for p in catalog.products}) - 1
    assert stats[CREATE] == len(catalog.products)
    assert stats[UPLOAD] == meta["images_uploaded"] > len(catalog.products)
    assert meta["api_calls_by_kind"] == f"create: {len(catalog.products)}"

    # Nothing changed: nothing is sent, not even an image.
    sandbox.tiktok.reset_stats()
    again = run(instance, catalog_resources)
    assert metadata(again, "tiktok_shop__listings")["unchanged"] == len(catalog.products)
    assert metadata(again, "feed_xml")["http_status"] == 304
    assert product_calls(sandbox) == {}


@pytest.mark.backends
def test_five_changed_products_and_a_removed_one_make_exactly_those_calls(
    sandbox, catalog_resources, instance, state_db
):
    run(instance, catalog_resources)
    (removed,) = feed_control(sandbox, "remove", json={"count": 1})["removed_product_ids"]
    changed = feed_control(sandbox, "change", json={"count": 5, "titles": True})["changed_product_ids"]
    listing = ListingMap(state_db).products("demo")[str(removed)]
    prices_before = {
        s["seller_sku"]: s["price"]["amount"] for p in live_products(sandbox).values() for s in p["skus"]
    }
    sandbox.tiktok.reset_stats()
    result = run(instance, catalog_resources)
    diff = metadata(result, "feed_diff")
    assert (diff["changed"], diff["new"], diff["removed"]) == (5, 0, 1)
    assert metadata(result, "vtex_catalog")["changed"] == sum(
        len(sandbox.demo_catalog.product(pid).skus) for pid in changed
    )
    meta = metadata(result, "tiktok_shop__listings")
    assert (meta["edited"], meta["created"], meta["deleted"]) == (5, 0, 1)
    stats = product_calls(sandbox)
    assert stats.pop(PARTIAL_EDIT) == 5 and stats.pop(DELETE) == 1
    assert stats == {f"POST {PRODUCTS}/search": 1}  # the statuses of the five, read back
    on_tiktok = live_products(sandbox)
    for pid in changed:
        assert on_tiktok[str(pid)]["title"].startswith(sandbox.demo_catalog.product(pid).name)
    # Prices belong to the stock and price sync once a product exists: an edit leaves them alone.
    prices_after = {s["seller_sku"]: s["price"]["amount"] for p in on_tiktok.values() for s in p["skus"]}
    assert prices_after == {k: v for k, v in prices_before.items() if k in prices_after}
    # The removed product is deleted on TikTok and leaves the listing map (its row stays as history).
    shop = sandbox.tiktok.shop_by_code(DEMO_SHOP_CODE)
    assert shop.products[listing.channel_product_id]["status"] == "DELETED"
    listing_map = ListingMap(state_db)
    assert listing_map.products("demo")[str(removed)].status == "deleted"
    assert not any(s.product_key == str(removed) for s in listing_map.skus("demo").values())


def test_a_malformed_feed_changes_nothing_on_tiktok(sandbox, catalog_resources, instance):
    run(instance, catalog_resources)
    before = {k: (p["title"], p["update_time"]) for k, p in live_products(sandbox).items()}
    feed_control(
        sandbox, "raw", content=b'<?xml version="1.0"?><rss><channel><item><g:id>1</item></channel></rss>'
    )
    sandbox.tiktok.reset_stats()
    result = run(instance, catalog_resources, raise_on_error=False)
    assert not result.success
    assert calls(sandbox) == {}
    assert {k: (p["title"], p["update_time"]) for k, p in live_products(sandbox).items()} == before


def test_the_shrink_guard_blocks_a_90_percent_shrink_until_confirmed(
    sandbox, catalog_resources, instance, state_db
):
    run(instance, catalog_resources)
    total = len(sandbox.demo_catalog.products)
    feed_control(sandbox, "remove", json={"count": total * 9 // 10})
    sandbox.tiktok.reset_stats()
    blocked = run(instance, catalog_resources, raise_on_error=False)
    guard = check_result(blocked, "shrink_guard")
    assert not guard.passed and guard.severity == dg.AssetCheckSeverity.ERROR
    assert "confirm-shrink" in guard.description
    assert product_calls(sandbox) == {}  # nothing pushed at all, nothing deleted
    assert len(live_products(sandbox)) == total

    pending = ShrinkGuardStore(state_db).pending("demo")
    assert len(pending) == 1 and pending[0].removed == total * 9 // 10
    # The data engineer confirms this snapshot (here through feed_diff's run config).
    confirmed = run(
        instance,
        catalog_resources,
        run_config={
            "ops": {"feed_diff": {"config": {"confirm_shrink_snapshot": pending[0].snapshot_hash[:16]}}}
        },
        assets=CATALOG_ASSETS,  # the same feed: no need to fetch it again
    )
    assert check_result(confirmed, "shrink_guard").passed
    assert metadata(confirmed, "tiktok_shop__listings")["deleted"] == total * 9 // 10
    assert len(live_products(sandbox)) == total - total * 9 // 10


def test_a_product_missing_a_required_attribute_is_reported_and_not_sent(
    sandbox, catalog_resources, instance, state_db, resources
):
    # Without the rule the demo sets, Camisetas (824330) have no value for the required Material.
    assert AttributeRuleStore(state_db).remove("demo", "Material", category_id="824330")
    tees = [p for p in sandbox.demo_catalog.products if p.category.id == 11]
    assert tees
    result = run(instance, catalog_resources)
    meta = metadata(result, "tiktok_shop__listings")
    assert meta["invalid"] == len(tees)
    assert meta["created"] == len(sandbox.demo_catalog.products) - len(tees)
    on_tiktok = live_products(sandbox)
    assert not any(str(p.product_id) in on_tiktok for p in tees)
    with catalog_resources["lake"].local_copy("listing_problems", "demo") as path:
        problems = pq.read_table(path).to_pylist()
    reported = {
        r["product_key"]
        for r in problems
        if r["stage"] == "attributes" and "Material (101610)" in r["message"]
    }
    assert reported == {str(p.product_id) for p in tees}
    assert "Material (101610)" in meta["problem_list"]

    # Once the value is given, they are created on the next run, and only they.
    AttributeRuleStore(state_db).set("demo", "Material", "value:Algodão", category_id="824330")
    sandbox.tiktok.reset_stats()
    fixed = run(instance, catalog_resources, assets=[tiktok_listings])
    assert metadata(fixed, "tiktok_shop__listings")["created"] == len(tees)
    assert calls(sandbox)[CREATE] == len(tees)


def test_the_same_image_is_uploaded_once(sandbox, catalog_resources, instance, state_db, registry):
    feeds = sandbox.urls()["feeds"]
    # Two products whose pictures are the same file behind different addresses (VTEX's resized URL).
    items = "".join(
        f"""<item><g:id>{sku}</g:id><title>Caneca Esmaltada {sku}</title><description>Caneca.</description>
        <g:image_link>{feeds}/arquivos/ids/555{suffix}/caneca-{sku}.png</g:image_link>
        <g:price>39.90 BRL</g:price><g:brand>Nike</g:brand><g:shipping_weight>0.4 kg</g:shipping_weight>
        <g:product_type>Casa &gt; Cozinha</g:product_type></item>"""
        for sku, suffix in (("990150", ""), ("990151", "-55-55"))
    )
    serve_items(sandbox, registry, items)
    CategoryStore(state_db).set_mapping("demo", "product_type", "Casa > Cozinha", "600005")
    AttributeRuleStore(state_db).set("demo", "Material", "value:Cerâmica", category_id="600005")
    result = run(instance, catalog_resources)
    meta = metadata(result, "tiktok_shop__listings")
    assert meta["created"] == 2
    assert meta["images_uploaded"] == 1 and calls(sandbox)[UPLOAD] == 1
    uris = {p["main_images"][0]["uri"] for p in live_products(sandbox).values()}
    assert len(uris) == 1


def test_repeated_identical_failures_pause_a_product_until_it_changes(
    sandbox, catalog_resources, instance, state_db, registry
):
    # A brand id TikTok does not know: the platform refuses the product the same way every time.
    BrandMap(state_db).save("demo", "nike", "Nike", channel_brand_id="404", origin="manual")
    items = """<item><g:id>777</g:id><title>Tênis Nike Air</title><description>Tênis.</description>
        <g:image_link>{feeds}/arquivos/ids/777/t.png</g:image_link><g:price>399.90 BRL</g:price>
        <g:brand>Nike</g:brand><g:shipping_weight>1 kg</g:shipping_weight>
        <g:product_type>Moda &gt; Calçados &gt; Tênis</g:product_type></item>""".format(
        feeds=sandbox.urls()["feeds"]
    )
    serve_items(sandbox, registry, items)
    listing_map = ListingMap(state_db)
    for attempt in (1, 2, 3):
        assets = ALL if attempt == 1 else [tiktok_listings]  # the feed is the same: only the push again
        meta = metadata(run(instance, catalog_resources, assets=assets), "tiktok_shop__listings")
        assert meta["failed"] == 1
        product = listing_map.product("demo", "777")
        assert product.failures == attempt and "brand 404 does not exist" in product.last_error
    assert product.paused
    sandbox.tiktok.reset_stats()
    meta = metadata(run(instance, catalog_resources, assets=[tiktok_listings]), "tiktok_shop__listings")
    assert meta["paused"] == 1 and CREATE not in calls(sandbox)
    # The brand is fixed: the payload changes, the product is tried again and listed.
    BrandMap(state_db).save(
        "demo", "nike", "Nike", channel_brand_id=sandbox.tiktok.brands["nike"]["id"], origin="manual"
    )
    meta = metadata(run(instance, catalog_resources, assets=[tiktok_listings]), "tiktok_shop__listings")
    assert meta["created"] == 1
    product = listing_map.product("demo", "777")
    assert (product.paused, product.failures, product.status) == (False, 0, "ACTIVATE")


def test_check_mode_only_asks_tiktoks_listing_check(sandbox, catalog_resources, instance, state_db):
    result = run(
        instance,
        catalog_resources,
        run_config={"ops": {"tiktok_shop__listings": {"config": {"mode": "check"}}}},
    )
    meta = metadata(result, "tiktok_shop__listings")
    total = len(sandbox.demo_catalog.products)
    assert (meta["checked"], meta["check_passed"], meta["created"]) == (total, total, 0)
    assert calls(sandbox)[CHECK] == total and CREATE not in calls(sandbox)
    assert live_products(sandbox) == {} and ListingMap(state_db).products("demo") == {}


def test_sandbox_mode_publishes_to_the_clients_sandbox_shop(
    sandbox, catalog_resources, instance, state_db, registry, tiktok
):
    from tiktok_pipelines.partitions import CLIENTS_PARTITION
    from tiktok_pipelines.stores.registry import build_client

    # The client's sandbox shop is another registered client, authorized on a test shop.
    sandbox.tiktok.add_shop("BRSANDBOX1", "Loja de testes")
    fields = {**sandbox.demo_client_fields(), "client_id": "demo-sandbox", "tiktok_shop_code": "BRSANDBOX1"}
    registry.add(build_client(**fields))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["demo-sandbox"])
    consent = httpx.get(
        tiktok.authorization_link("demo-sandbox") + "&shop_code=BRSANDBOX1", follow_redirects=True
    )
    assert consent.status_code == 200
    with tiktok.token_manager() as manager:
        assert manager.run().associated == ["demo-sandbox"]
    # The client maps its VTEX warehouse to its own shop's warehouse: the sandbox shop has others.
    demo = registry.get("demo")
    own_map = {demo.vtex_warehouse_ids[0]: demo.tiktok_warehouse_ids[0]}
    registry.update(
        "demo", options={**demo.options, "sandbox_client_id": "demo-sandbox", "warehouse_map": own_map}
    )

    result = run(
        instance,
        catalog_resources,
        run_config={"ops": {"tiktok_shop__listings": {"config": {"mode": "sandbox"}}}},
    )
    meta = metadata(result, "tiktok_shop__listings")
    total = len(sandbox.demo_catalog.products)
    assert (meta["target_client"], meta["created"]) == ("demo-sandbox", total)
    assert len(sandbox.tiktok.shop_by_code("BRSANDBOX1").products) == total
    assert live_products(sandbox) == {}  # the client's own shop is untouched
    assert (
        len(ListingMap(state_db).products("demo-sandbox")) == total
        and ListingMap(state_db).products("demo") == {}
    )


def test_suggested_categories_publish_only_once_accepted(
    sandbox, tiktok_client, state_db, registry, instance, monkeypatch
):
    """A new merchant: no mapping yet. TikTok's recommendations become suggestions; nothing is listed
    until a data engineer accepts them (here with the CLI); then everything is."""
    from click.testing import CliRunner

    from tiktok_pipelines.cli.main import main

    rules = AttributeRuleStore(state_db)
    for attribute, value in (
        ("Material", "Algodão"),
        ("Material da Sola", "Borracha"),
        ("Voltagem", "Bivolt"),
        ("Volume (ml)", "100"),
        ("Faixa Etária", "Adulto"),
    ):
        rules.set("demo", attribute, f"value:{value}")
    cert = f"{sandbox.urls()['feeds']}/arquivos/ids/990001/certificado.png"
    registry.update(
        "demo", options={"certifications": {c: [cert] for c in ("7000001", "7000002", "7000003")}}
    )
    resources = fast_resources(sandbox, monkeypatch)
    total = len(sandbox.demo_catalog.products)

    first = run(instance, resources)
    categories = metadata(first, "tiktok_shop__categories")
    assert categories["products_unmapped"] == total
    assert (
        categories["suggested_by_tiktok"] + categories["suggested_by_text"]
        == categories["suggestions_pending_review"]
        > 0
    )
    # One recommendation asked per category value (when TikTok's answer is unusable, a text match stands in).
    asked = categories["suggestions_pending_review"] + categories["unmatched"]
    assert calls(sandbox)["POST /product/202309/categories/recommend"] == asked
    listings = metadata(first, "tiktok_shop__listings")
    assert (listings["created"], listings["invalid"]) == (0, total)
    assert "categories accept" in listings["problem_list"]

    review = CliRunner().invoke(main, ["categories", "list", "demo", "--status", "suggested", "--json"])
    suggestions = json.loads(review.output)
    assert all(s["status"] == "suggested" and s["channel_category_id"] for s in suggestions)
    assert sum(s["products"] for s in suggestions) == total
    assert CliRunner().invoke(main, ["categories", "accept", "demo", "--all"]).exit_code == 0

    second = run(instance, resources, assets=[tiktok_categories, tiktok_listings])
    assert metadata(second, "tiktok_shop__categories")["products_mapped"] == total
    assert metadata(second, "tiktok_shop__listings")["created"] == total
    leaves = {p["category_id"] for p in live_products(sandbox).values()}
    assert leaves == {s["channel_category_id"] for s in suggestions}


def test_vtex_enrichment_is_incremental_with_a_slow_rotation(
    sandbox, demo_client, registry, instance, monkeypatch
):
    resources = fast_resources(sandbox, monkeypatch)
    assets = [feed_xml, feed_products, feed_diff, vtex_catalog]
    skus = sum(len(p.skus) for p in sandbox.demo_catalog.products)
    first = metadata(run(instance, resources, assets=assets), "vtex_catalog")
    assert (first["new"], first["vtex_requests"]) == (skus, skus)
    unchanged = metadata(run(instance, resources, assets=[vtex_catalog]), "vtex_catalog")
    assert (unchanged["fetched"], unchanged["vtex_requests"], unchanged["kept"]) == (0, 0, skus)
    # Everything is due for a refresh: the rotation takes at most vtex_refresh_max_per_run a run.
    registry.update("demo", options={"vtex_refresh_days": 0, "vtex_refresh_max_per_run": 5})
    rotated = metadata(run(instance, resources, assets=[vtex_catalog]), "vtex_catalog")
    assert (rotated["rotation"], rotated["vtex_requests"]) == (5, 5)
    # A store that records weights in kilograms: the per-client unit reads them right.
    httpx.post(
        f"{sandbox.urls()['vtex']}/_sandbox/vtex/accounts/demostore/config", json={"weight_unit": "kg"}
    )
    registry.update(
        "demo", options={"vtex_weight_unit": "kg", "vtex_refresh_days": 0, "vtex_refresh_max_per_run": 10_000}
    )
    run(instance, resources, assets=[vtex_catalog])
    with resources["lake"].local_copy("vtex_catalog", "demo") as path:
        rows = {r["seller_sku"]: r for r in pq.read_table(path).to_pylist()}
    sku = sandbox.demo_catalog.products[0].skus[0]
    assert rows[str(sku.sku_id)]["weight_kg"] == sku.weight_kg


@pytest.mark.slow
def test_first_publication_of_a_300_product_catalog(tiktok_client, state_db, instance, monkeypatch, sandbox):
    """The whole demo store at 300 products (about 900 variants), published in one run."""
    sandbox.demo_catalog.add_products(300 - len(sandbox.demo_catalog.products))
    configure_demo_catalog(state_db, "demo", sandbox.urls()["feeds"])
    resources = fast_resources(sandbox, monkeypatch)
    result = run(instance, resources)
    meta = metadata(result, "tiktok_shop__listings")
    assert (meta["created"], meta["failed"], meta["invalid"]) == (300, 0, 0)
    on_tiktok = live_products(sandbox)
    assert len(on_tiktok) == 300
    skus = ListingMap(state_db).skus("demo")
    assert len(skus) == sum(len(p.skus) for p in sandbox.demo_catalog.products)
    assert all(s.channel_sku_id for s in skus.values())
    sandbox.tiktok.reset_stats()
    feed_control(sandbox, "change", json={"count": 5, "titles": True})
    again = run(instance, resources)
    assert metadata(again, "tiktok_shop__listings")["edited"] == 5
    assert product_calls(sandbox).get(PARTIAL_EDIT) == 5
