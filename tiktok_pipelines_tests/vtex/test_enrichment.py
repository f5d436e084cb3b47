from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tiktok_pipelines.core.enrichment import VtexSkuData
from tiktok_pipelines.core.sku_ids import vtex_sku_id
from tiktok_pipelines.core.tables import VTEX_CATALOG
from tiktok_pipelines.sandbox.catalog import generate_catalog
from tiktok_pipelines.sandbox.vtex.catalog_records import sku_context
from tiktok_pipelines.vtex.enrichment import FeedSku, plan_refresh, weight_mismatches
from tiktok_pipelines.vtex.sku_context import parse_sku_context, weight_kg

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_vtex_sku_id_from_the_id_or_the_link():
    assert vtex_sku_id("2001773", None) == "2001773"
    assert vtex_sku_id("REF-1", "https://loja.com.br/x/p?idsku=55&utm=1") == "55"
    assert vtex_sku_id("REF-1", "https://loja.com.br/x/p") is None
    assert vtex_sku_id("123", "https://loja/p?idsku=9", "link") == "9"
    with pytest.raises(ValueError):
        vtex_sku_id("1", None, "ean")


def test_weight_units():
    assert weight_kg(1500, "g") == Decimal("1.500")
    assert weight_kg("1.5", "kg") == Decimal("1.500")
    assert weight_kg(0, "g") is None and weight_kg(None, "kg") is None
    with pytest.raises(ValueError):
        weight_kg(1, "ton")


def test_sku_context_gives_images_dimensions_weight_ean_brand_category():
    catalog = generate_catalog(3, seed=7)
    product = catalog.products[0]
    sku = product.skus[0]
    context = sku_context(catalog, product, sku, "http://img", weight_unit="g")
    data = parse_sku_context(str(sku.sku_id), context, "g", "h1", NOW)
    assert data.status == "ok" and data.vtex_sku_id == str(sku.sku_id)
    assert data.weight_kg == sku.weight_kg.quantize(Decimal("0.001"))
    assert (data.height_cm, data.width_cm, data.length_cm) == (sku.height_cm, sku.width_cm, sku.length_cm)
    assert data.ean == sku.ean and data.brand_name == product.brand.name
    assert data.category_id == str(product.category.id)
    assert data.category_label == product.category.product_type
    assert len(data.image_urls) == len(sku.image_ids)
    row = data.as_row("c")
    assert list(row) == VTEX_CATALOG.names
    assert VtexSkuData.from_row(row) == data
    in_kg = parse_sku_context(
        str(sku.sku_id), sku_context(catalog, product, sku, "http://img", "kg"), "kg", "h1", NOW
    )
    assert in_kg.weight_kg == data.weight_kg


def cached(sku, h="h", days=1, status="ok", vtex_sku_id=None):
    return VtexSkuData(sku, vtex_sku_id or sku, status, feed_hash=h, fetched_at=NOW - timedelta(days=days))


def test_refresh_plan_fetches_new_changed_failed_and_a_bounded_rotation():
    feed = [FeedSku(str(i), None, "h") for i in range(1, 8)] + [FeedSku("X", None, "h")]
    old = {
        "1": cached("1"),
        "2": cached("2", h="old"),
        "3": cached("3", status="failed"),
        "4": cached("4", days=30),
        "5": cached("5", days=20),
        "6": cached("6", days=10),
        "gone": cached("gone"),
    }
    plan = plan_refresh(feed, old, NOW, refresh_days=7, max_rotation=2)
    assert set(plan.fetch) == {"2", "3", "7", "4", "5"}
    assert plan.reasons == {"new": 1, "changed": 1, "retry": 1, "rotation": 2}
    assert plan.no_sku_id == ["X"] and plan.dropped == 1
    assert set(plan.keep) == {"1", "4", "5", "6"}


def test_weight_unit_suspects():
    rows = {
        "a": VtexSkuData("a", "1", "ok", weight_kg=Decimal("500")),
        "b": VtexSkuData("b", "2", "ok", weight_kg=Decimal("0.5")),
    }
    assert weight_mismatches(rows, {"a": Decimal("0.5"), "b": Decimal("0.5")}) == ["a"]
