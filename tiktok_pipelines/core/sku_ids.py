"""Which VTEX SKU a seller SKU is: one rule for the catalog, stock and price, orders and fulfilment.

The seller SKU is the feed item's `g:id`. The client option `vtex_sku_id_source` says where the VTEX SKU
id of an item is:

- `id` (default): `g:id` is the VTEX SKU id (VTEX's own XMLData feeds); an item whose `g:id` is not a
  number falls back on the `idsku` query value of its link;
- `link`: `g:id` is something else (a RefId, a code of the merchant's ERP); the id is the link's `idsku`.

Enrichment (`vtex_catalog`) resolves every feed item with `vtex_sku_id` and keeps the answer in the lake;
the other lanes look seller SKUs up in a `SkuIdMap` built from that table, which falls back on the rule
alone where enrichment has not run yet. No lane sends a seller SKU to VTEX as an id without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

OPTION = "vtex_sku_id_source"
SKU_ID_SOURCES = ("id", "link")


def sku_id_source(options: Mapping[str, Any]) -> str:
    """The client's `vtex_sku_id_source`, checked (ValueError naming the option otherwise)."""
    source = str(options.get(OPTION, "id"))
    if source not in SKU_ID_SOURCES:
        raise ValueError(f"{OPTION} must be one of {', '.join(SKU_ID_SOURCES)}, got {source!r}")
    return source


def vtex_sku_id(seller_sku: str, link: str | None, source: str = "id") -> str | None:
    """The VTEX SKU id of a feed item: its `g:id` (VTEX feeds use the SKU id), or the `idsku` query
    parameter of its link (feeds whose `g:id` is a RefId). None when neither is a number."""
    if source not in SKU_ID_SOURCES:
        raise ValueError(f"{OPTION} must be one of {', '.join(SKU_ID_SOURCES)}, got {source!r}")
    if source == "id" and seller_sku.strip().isdigit():
        return seller_sku.strip()
    if link:
        try:
            values = parse_qs(urlsplit(link).query).get("idsku") or []
        except ValueError:
            values = []
        for value in values:
            if value.strip().isdigit():
                return value.strip()
    return None


@dataclass(frozen=True)
class SkuIdMap:
    """Seller SKU → VTEX SKU id for one client: what enrichment found, else the rule on the seller SKU
    alone (only `id` feeds can tell it without the item's link)."""

    source: str = "id"
    enriched: Mapping[str, str] = field(default_factory=dict)

    def vtex_sku_id(self, seller_sku: str) -> str | None:
        found = self.enriched.get(seller_sku)
        if found:
            return found
        return vtex_sku_id(seller_sku, None, "id") if self.source == "id" else None

    def of(self, seller_skus: Iterable[str]) -> dict[str, str | None]:
        return {s: self.vtex_sku_id(s) for s in seller_skus}

    def missing_reason(self, seller_sku: str) -> str:
        """Why `seller_sku` has no VTEX SKU id (for an error a person reads)."""
        if self.source == "link":
            return (
                f"seller SKU {seller_sku} has no VTEX SKU id: the client's {OPTION} is `link` and "
                "vtex_catalog has not found the item's idsku (materialize vtex_catalog, or check the "
                "feed item's link)"
            )
        return (
            f"seller SKU {seller_sku} has no VTEX SKU id: it is not a number and vtex_catalog has not "
            f"found one in the item's link (set the client's {OPTION}, or check the feed item)"
        )


def sku_id_map(lake: Any, client_id: str, options: Mapping[str, Any]) -> SkuIdMap:
    """The client's `SkuIdMap`, from the lake table `vtex_catalog` (`lake` is a ParquetLake)."""
    source = sku_id_source(options)
    table = lake.read_table("vtex_catalog", client_id, columns=["seller_sku", "vtex_sku_id"])
    if table is None:
        return SkuIdMap(source)
    pairs = zip(table.column("seller_sku").to_pylist(), table.column("vtex_sku_id").to_pylist(), strict=True)
    return SkuIdMap(source, {s: str(v) for s, v in pairs if s and v})
