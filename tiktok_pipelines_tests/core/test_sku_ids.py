"""One seller SKU → VTEX SKU id rule for every lane, per value of the client option `vtex_sku_id_source`."""

import pytest

from tiktok_pipelines.core.sku_ids import SkuIdMap, sku_id_source


def test_id_source_takes_enrichment_then_a_numeric_seller_sku():
    ids = SkuIdMap("id", {"2001": "2001", "CAM-P": "77"})
    assert ids.vtex_sku_id("2001") == "2001"
    assert ids.vtex_sku_id("CAM-P") == "77"  # g:id not a number: enrichment found the link's idsku
    assert ids.vtex_sku_id("3005") == "3005"  # not enriched yet: a VTEX feed's g:id is the SKU id
    assert ids.vtex_sku_id("REF-9") is None
    assert "not a number" in ids.missing_reason("REF-9")


def test_link_source_never_takes_the_seller_sku_for_an_id():
    ids = SkuIdMap("link", {"REF-2001": "2001"})
    assert ids.vtex_sku_id("REF-2001") == "2001"
    assert ids.vtex_sku_id("3005") is None  # a numeric RefId is still not a VTEX SKU id
    assert "`link`" in ids.missing_reason("3005")


def test_the_option_is_read_and_checked_once_for_every_lane():
    assert sku_id_source({}) == "id"
    assert sku_id_source({"vtex_sku_id_source": "link"}) == "link"
    with pytest.raises(ValueError, match="vtex_sku_id_source"):
        sku_id_source({"vtex_sku_id_source": "ean"})
