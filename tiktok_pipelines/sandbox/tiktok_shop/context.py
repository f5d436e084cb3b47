"""What an endpoint handler receives (`Ctx`: the request, resolved to its shop and grant) and the
request readings every API family shares: the JSON body, page size and page token, sort order, time
windows, id lists. Refusals are the platform's parameter error (36009004)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.tiktok_shop.request_checks import ApiError
from tiktok_pipelines.sandbox.tiktok_shop.state import Grant, Shop

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_shop.emulator import TikTokShopEmulator


@dataclass
class Ctx:
    """One API call past the pipeline's checks: its path parameters, query, parsed body (or multipart
    form), and the shop its cipher names (None for an app-level endpoint) and the grant it carries."""

    emulator: TikTokShopEmulator
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    form: dict[str, Any]
    shop: Shop | None
    grant: Grant | None


def page_size(ctx: Ctx, low: int, high: int, required: bool = True, default: int = 10) -> int:
    """The `page_size` query parameter, between `low` and `high`."""
    raw = ctx.query.get("page_size")
    if raw is None or raw == "":
        if required:
            raise ApiError(36009004, "invalid param error: page_size is required")
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(36009004, f"invalid param error: page_size {raw!r}") from None
    if not low <= size <= high:
        raise ApiError(36009004, f"invalid param error: page_size must be between {low} and {high}")
    return size


def paginate(
    ctx: Ctx, items: list[Any], key: str, low: int, high: int, required: bool = True
) -> dict[str, Any]:
    """One page of `items` under `key`, from the offset the `page_token` names, and the next token."""
    size = page_size(ctx, low, high, required)
    offset = ctx.emulator.page_offset(ctx.query.get("page_token"))
    chunk = items[offset : offset + size]
    more = offset + size < len(items)
    return {
        key: chunk,
        "next_page_token": ctx.emulator.page_token(offset + size) if more else "",
        "total_count": len(items),
    }


def sort_items(
    ctx: Ctx, items: list[dict[str, Any]], default_field: str = "create_time"
) -> list[dict[str, Any]]:
    """`items` in the order `sort_field` and `sort_order` ask for (newest first by default)."""
    field_name = ctx.query.get("sort_field") or default_field
    if field_name not in ("create_time", "update_time"):
        raise ApiError(36009004, f"invalid param error: sort_field {field_name!r}")
    order = (ctx.query.get("sort_order") or "DESC").upper()
    if order not in ("ASC", "DESC"):
        raise ApiError(36009004, f"invalid param error: sort_order {order!r}")
    return sorted(
        items,
        key=lambda x: (x.get(field_name) or 0, str(x.get("id") or x.get("package_id") or "")),
        reverse=order == "DESC",
    )


def time_filter(items: list[dict[str, Any]], body: dict[str, Any], lt: str = "lt") -> list[dict[str, Any]]:
    """`items` within the body's `create_time_ge` / `_lt` and `update_time_ge` / `_lt` (or `_le`)."""
    for field_name in ("create_time", "update_time"):
        ge = body.get(f"{field_name}_ge")
        upper = body.get(f"{field_name}_{lt}")
        if ge is not None:
            items = [i for i in items if (i.get(field_name) or 0) >= int(ge)]
        if upper is not None:
            items = [i for i in items if (i.get(field_name) or 0) < int(upper) + (1 if lt == "le" else 0)]
    return items


def matching(
    items: list[dict[str, Any]], body: dict[str, Any], equal: dict[str, str]
) -> list[dict[str, Any]]:
    """`items` whose field equals the body's value, for each body key the body gives (`equal`: body key →
    field), and within the body's time windows (`time_filter`)."""
    for body_key, field_name in equal.items():
        if body.get(body_key):
            items = [i for i in items if i[field_name] == body[body_key]]
    return time_filter(items, body)


def id_list(body: dict[str, Any], key: str) -> list[str]:
    """A list of string ids from the body (absent → empty); anything else is a param error."""
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ApiError(36009004, f"invalid param error: {key} must be a list of ids")
    return [str(v) for v in value]


def json_body(ctx: Ctx) -> dict[str, Any]:
    """The JSON body as an object (empty when there is none)."""
    if ctx.body is None:
        return {}
    if not isinstance(ctx.body, dict):
        raise ApiError(36009004, "invalid param error: body must be a JSON object")
    return ctx.body
