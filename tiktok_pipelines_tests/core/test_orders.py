"""A TikTok order as a VTEX marketplace order: its lines go to VTEX under VTEX SKU ids."""

from decimal import Decimal

import pytest

from tiktok_pipelines.core.orders import OrderMappingError, OrderOptions, marketplace_order, vtex_items
from tiktok_pipelines.core.sku_ids import SkuIdMap

ORDER = {
    "id": "576000000000000001",
    "status": "AWAITING_SHIPMENT",
    "cpf": "52998224725",
    "recipient_address": {
        "name": "Ana Souza",
        "postal_code": "01310-100",
        "address_line1": "Avenida Paulista, 1000",
        "district_info": [
            {"address_level": "L1", "address_name": "SP"},
            {"address_level": "L2", "address_name": "São Paulo"},
            {"address_level": "L3", "address_name": "Bela Vista"},
        ],
    },
    "line_items": [
        {"id": "1", "seller_sku": "REF-2001", "sale_price": "59.90"},
        {"id": "2", "seller_sku": "REF-2001", "sale_price": "59.90"},
        {"id": "3", "seller_sku": "REF-2002", "sale_price": "19.90"},
    ],
}
SIMULATION = {
    "items": [{"id": "2001", "price": 5990}, {"id": "2002", "price": 1990}],
    "logisticsInfo": [{"slas": [{"id": "Normal", "price": 1000, "shippingEstimate": "5bd"}]}],
}


def test_with_link_source_the_order_names_the_vtex_skus_enrichment_found():
    ids = SkuIdMap("link", {"REF-2001": "2001", "REF-2002": "2002"})
    assert vtex_items(ORDER, ids) == [("2001", 2, Decimal("59.90")), ("2002", 1, Decimal("19.90"))]
    placed = marketplace_order(ORDER, SIMULATION, OrderOptions(), ids)
    assert [(i.sku_id, i.quantity, i.price_cents) for i in placed.items] == [
        ("2001", 2, 5990),
        ("2002", 1, 1990),
    ]


def test_with_id_source_a_numeric_seller_sku_is_the_vtex_sku():
    order = {**ORDER, "line_items": [{"id": "1", "seller_sku": "2001", "sale_price": "59.90"}]}
    assert vtex_items(order, SkuIdMap("id")) == [("2001", 1, Decimal("59.90"))]


def test_a_seller_sku_without_a_vtex_id_is_refused_never_sent_as_one():
    with pytest.raises(OrderMappingError, match="REF-2002 has no VTEX SKU id"):
        vtex_items(ORDER, SkuIdMap("link", {"REF-2001": "2001"}))
    with pytest.raises(OrderMappingError, match="REF-2001 has no VTEX SKU id"):
        vtex_items(ORDER, SkuIdMap("id"))
