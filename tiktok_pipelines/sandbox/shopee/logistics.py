"""Logistics channels (`v2.logistics.get_channel_list`): the region's channels, with the shop's choice of
which are enabled; items name them in `logistic_info`. The Brazilian seller-logistics (90021) and instant
delivery (90026) ids are the platform's (its ship_order notes); the others are the sandbox's."""

from __future__ import annotations

from typing import Any

from tiktok_pipelines.sandbox.shopee.context import Ctx, Endpoints
from tiktok_pipelines.sandbox.shopee.errors import ApiError

# (id, name, integrated with Shopee's carriers, max weight kg)
CHANNELS = (
    (90003, "Shopee Xpress", True, 30.0),
    (90021, "Envio pelo vendedor", False, 50.0),
    (90026, "Entrega Rápida", False, 20.0),
    (90001, "Correios", True, 30.0),
)


def channel_view(
    channel_id: int, name: str, integrated: bool, max_kg: float, enabled: bool
) -> dict[str, Any]:
    return {
        "logistics_channel_id": channel_id,
        "logistics_channel_name": name,
        "cod_enabled": False,
        "enabled": enabled,
        "fee_type": "SIZE_INPUT" if integrated else "CUSTOM_PRICE",
        "size_list": [],
        "weight_limit": {"item_max_weight": max_kg, "item_min_weight": 0.01},
        "item_max_dimension": {
            "height": 100,
            "width": 100,
            "length": 100,
            "unit": "cm",
            "dimension_sum": 200,
        },
        "volume_limit": {"item_max_volume": 0, "item_min_volume": 0},
        "logistics_description": "",
        "force_enable": False,
        "mask_channel_id": 0,
    }


def channels_of(shop: Any) -> list[dict[str, Any]]:
    return [
        channel_view(cid, name, integrated, max_kg, shop.logistics.get(cid, cid in (90003, 90021)))
        for cid, name, integrated, max_kg in CHANNELS
    ]


def check_logistics(shop: Any, logistic_info: Any, weight_kg: float) -> list[dict[str, Any]]:
    """An item's `logistic_info`: known channels enabled for the shop, at least one enabled on the item,
    the item's weight within each enabled channel's limit."""
    if not isinstance(logistic_info, list) or not logistic_info:
        raise ApiError("product.error_param", "logistic_info is required.")
    channels = {c["logistics_channel_id"]: c for c in channels_of(shop)}
    enabled_any = False
    for entry in logistic_info:
        channel = channels.get(entry.get("logistic_id") if isinstance(entry, dict) else None)
        if channel is None:
            raise ApiError("product.error_param", f"logistic_id {entry!r} is invalid.")
        if not entry.get("enabled"):
            continue
        if not channel["enabled"]:
            raise ApiError(
                "product.error_param",
                f"logistic_id {channel['logistics_channel_id']} is not enabled for the shop.",
            )
        if weight_kg > channel["weight_limit"]["item_max_weight"]:
            raise ApiError(
                "product.error_param",
                f"weight exceeds the limit of logistic_id {channel['logistics_channel_id']}.",
            )
        enabled_any = True
    if not enabled_any:
        raise ApiError("product.error_param", "at least one logistics channel must be enabled.")
    return logistic_info


endpoints = Endpoints()


@endpoints.get("logistics/get_channel_list")
def h_get_channel_list(ctx: Ctx) -> dict[str, Any]:
    assert ctx.shop is not None
    return {"logistics_channel_list": channels_of(ctx.shop)}


ROUTES = endpoints.routes
