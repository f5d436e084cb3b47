from types import SimpleNamespace

from tiktok_pipelines.channels.tiktok_shop.channel import TikTokShopSession, capabilities
from tiktok_pipelines.lanes.catalog.brands import brand_names, resolve_brands
from tiktok_pipelines_tests.channels.tiktok_shop.test_brands import FakeBrands


def test_resolve_brands_skips_mapped_ones_and_saves_each_result():
    api = FakeBrands(["Nike"])
    names = brand_names(["Nike", "NIKE ", None, "Nova"])
    assert names == {"nike": "Nike", "nova": "Nova"}
    saved = []
    session = TikTokShopSession(api, capabilities())
    report = resolve_brands(session, names, {"nike": SimpleNamespace(channel_brand_id="9")}, saved.append)
    assert [r.name for r in saved] == ["Nova"] and report.count("created") == 1
