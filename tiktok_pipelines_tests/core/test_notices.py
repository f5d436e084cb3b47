"""The channel notices' dedup keys, facts and links: a happening told once as often as its kind says, and
linked to the channel's asset where a person looks into it."""

from datetime import UTC, datetime

from tiktok_pipelines.core import notices

AT = datetime(2026, 3, 10, 14, 5, 6, 789000, tzinfo=UTC)


def test_channel_notices_keep_their_keys_facts_and_links():
    made = [
        notices.authorization_lost("c1", "tiktok_shop", "refresh refused\ntrace", AT),
        notices.authorization_expiring("c1", "tiktok_shop", int(AT.timestamp())),
        notices.out_of_stock("c1", "tiktok_shop", "SKU-1", AT),
        notices.listing_rejected("c1", "tiktok_shop", "P-1", "bad title", AT),
        notices.listing_paused("c1", "tiktok_shop", "P-1", 3, "bad title", AT),
        notices.stock_price_failed("c1", "tiktok_shop", "price", "SKU-1", "refused", AT),
        notices.fulfilment_failed(
            "c1", "tiktok_shop", "invoice", 7, "nfe_check", "value differs", "PK-1", None
        ),
        notices.fulfilment_failed("c1", "tiktok_shop", "shipment", 8, "refused", "no carrier", None, "O-1"),
    ]
    assert [(n.kind.value, n.dedup_key, n.facts, n.channel, n.link) for n in made] == [
        (
            "authorization_lost",
            "authorization_lost:tiktok_shop:2026-03-10",
            {"reason": "refresh refused"},
            "tiktok_shop",
            "/assets/tiktok_shop/tokens",
        ),
        (
            "authorization_expiring",
            "authorization_expiring:tiktok_shop:2026-03-10",
            {"expires_at": "2026-03-10 14:05 UTC"},
            "tiktok_shop",
            "/assets/tiktok_shop/tokens",
        ),
        (
            "out_of_stock",
            "out_of_stock:tiktok_shop:SKU-1:20260310T140506789000",
            {"seller_sku": "SKU-1"},
            "tiktok_shop",
            "/assets/tiktok_shop/inventory",
        ),
        (
            "listing_rejected",
            f"listing_rejected:tiktok_shop:P-1:2026-03-10:{notices._digest('bad title')}",
            {"product": "P-1", "reason": "bad title"},
            "tiktok_shop",
            "/assets/tiktok_shop/listings",
        ),
        (
            "listing_paused",
            "listing_paused:tiktok_shop:P-1:20260310T140506789000",
            {"product": "P-1", "failures": 3, "reason": "bad title"},
            "tiktok_shop",
            "/assets/tiktok_shop/listings",
        ),
        (
            "stock_price_failed",
            "stock_price_failed:tiktok_shop:price:SKU-1:20260310T140506789000",
            {"seller_sku": "SKU-1", "what": "price", "reason": "refused"},
            "tiktok_shop",
            "/assets/tiktok_shop/prices",
        ),
        (
            "invoice_failed",
            "invoice_failed:tiktok_shop:7",
            {"package_id": "PK-1", "order_id": "", "reason": "nfe_check: value differs"},
            "tiktok_shop",
            "/assets/tiktok_shop/invoices",
        ),
        (
            "shipment_failed",
            "shipment_failed:tiktok_shop:8",
            {"package_id": "-", "order_id": "O-1", "reason": "refused: no carrier"},
            "tiktok_shop",
            "/assets/tiktok_shop/shipments",
        ),
    ]
