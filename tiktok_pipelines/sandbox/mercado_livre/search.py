"""A seller's listings (`/users/{id}/items/search`, reference §5): item ids filtered by status, SELLER_SKU
or seller_custom_field; offset paging for the first 1,000, beyond that `search_type=scan`, whose
`scroll_id` (alive 5 minutes from its last use) walks the whole set until a page comes back empty; a
scroll never mixes with offset. Beside it, picture upload (`/pictures/items/upload`)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from tiktok_pipelines.sandbox.mercado_livre.errors import bad_request, forbidden
from tiktok_pipelines.sandbox.mercado_livre.items import picture_id_of
from tiktok_pipelines.sandbox.mercado_livre.routes import Call, integer, offset_page, table

SORTS = {"stop_time_asc": "Stop time ascending", "start_time_desc": "Start time descending"}


def _sku_of(item: dict[str, Any]) -> set[str]:
    skus = {str(a.get("value_name")) for a in item["attributes"] if a.get("id") == "SELLER_SKU"}
    for v in item["variations"]:
        skus |= {str(a.get("value_name")) for a in v.get("attributes") or [] if a.get("id") == "SELLER_SKU"}
    return skus


def _custom_fields(item: dict[str, Any]) -> set[str]:
    return {
        str(x)
        for x in [item.get("seller_custom_field")]
        + [v.get("seller_custom_field") for v in item["variations"]]
        if x
    }


def matching_ids(call: Call) -> list[str]:
    items = [i for i in call.me.items.values() if "deleted" not in i["sub_status"]]
    status = call.query.get("status")
    if status:
        items = [i for i in items if i["status"] == status]
    if call.query.get("seller_sku"):
        items = [i for i in items if call.query["seller_sku"] in _sku_of(i)]
    if call.query.get("sku"):
        items = [i for i in items if call.query["sku"] in _custom_fields(i)]
    order = call.query.get("order") or "stop_time_asc"
    if order not in SORTS:
        raise bad_request(f"Invalid order {order}")
    items.sort(key=lambda i: (i["date_created"], i["id"]), reverse=order == "start_time_desc")
    return [i["id"] for i in items]


def h_search(call: Call) -> Any:
    emu = call.emulator
    if str(call.me.id) != call.params["user_id"]:
        raise forbidden("The token's user cannot read this seller's listings")
    answer: dict[str, Any] = {
        "seller_id": str(call.me.id),
        "query": None,
        "orders": [
            {"id": k, "name": v}
            for k, v in SORTS.items()
            if k == (call.query.get("order") or "stop_time_asc")
        ],
        "available_orders": [{"id": k, "name": v} for k, v in SORTS.items()],
    }
    if call.query.get("search_type") == "scan" or call.query.get("scroll_id"):
        if "offset" in call.query:
            raise bad_request("scroll_id and search_type=scan cannot be used with offset")
        return answer | _scan(call)
    if call.query.get("search_type") not in (None, ""):
        raise bad_request(f"Invalid search_type {call.query['search_type']}")
    ids = matching_ids(call)
    offset, limit = integer(call, "offset", 0), integer(call, "limit", 50)
    if offset + limit > emu.config.offset_paging_max:
        raise bad_request(
            f"offset + limit over {emu.config.offset_paging_max}: use search_type=scan to read every item"
        )
    page, paging = offset_page(call, ids, emu.config.items_search_max_limit)
    return answer | {"paging": paging, "results": page}


def _scan(call: Call) -> dict[str, Any]:
    emu = call.emulator
    limit = integer(call, "limit", 50)
    if not 1 <= limit <= emu.config.items_search_max_limit:
        raise bad_request(f"The limit must be between 1 and {emu.config.items_search_max_limit}")
    now = time.time()
    scroll_id = call.query.get("scroll_id")
    if scroll_id:
        scroll = emu.scrolls.get(scroll_id)
        if scroll is None or scroll["expires_at"] <= now or scroll["seller_id"] != call.me.id:
            raise bad_request("The scroll_id is invalid or expired", "invalid_scroll_id")
    else:
        scroll_id = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
        scroll = emu.scrolls[scroll_id] = {"ids": matching_ids(call), "position": 0, "seller_id": call.me.id}
    page = scroll["ids"][scroll["position"] : scroll["position"] + limit]
    scroll["position"] += len(page)
    scroll["expires_at"] = now + emu.config.scroll_ttl
    return {"scroll_id": scroll_id, "paging": {"total": len(scroll["ids"]), "limit": limit}, "results": page}


def h_upload_picture(call: Call) -> Any:
    """`POST /pictures/items/upload` (multipart, field `file`): the stored picture."""
    if not isinstance(call.body, dict) or not isinstance(call.body.get("file"), bytes):
        raise bad_request("The picture must be sent as multipart/form-data in the field file")
    data = call.body["file"]
    if not data:
        raise bad_request("The file is empty")
    picture_id = picture_id_of(data)
    call.emulator.pictures[picture_id] = {"id": picture_id, "bytes": data}
    url = f"{call.emulator.config.base_url}/_sandbox/pictures/{picture_id}"
    return {
        "id": picture_id,
        "max_size": "1200x1200",
        "variations": [{"size": "1200x1200", "url": url, "secure_url": url}],
    }


ROUTES = table(
    {
        "GET /users/{user_id}/items/search": h_search,
        "POST /pictures/items/upload": h_upload_picture,
    }
)
