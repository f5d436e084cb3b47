"""The brand map: every brand of the client's products (the feed's, else VTEX's) and its brand on the
channel, found or created by the channel once and kept in the state DB, so each brand costs calls once.
A brand that failed is tried again next run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiktok_pipelines.channels.base.catalog import CatalogApi
from tiktok_pipelines.core.models.brands import BrandResult, brand_key
from tiktok_pipelines.lanes.catalog.io import CatalogStores, Lake, SessionOpener, feed_table
from tiktok_pipelines.stores.catalog import BrandEntry


@dataclass
class BrandReport:
    results: list[BrandResult] = field(default_factory=list)

    def count(self, origin: str) -> int:
        return sum(1 for r in self.results if r.origin == origin)

    @property
    def failed(self) -> list[BrandResult]:
        return [r for r in self.results if r.channel_brand_id is None]


def brand_names(values: Iterable[str | None]) -> dict[str, str]:
    """Brand names by key; the first spelling seen names the brand."""
    out: dict[str, str] = {}
    for value in values:
        if value and value.strip():
            out.setdefault(brand_key(value), value.strip())
    return out


def resolve_brands(
    catalog: CatalogApi,
    names: Mapping[str, str],
    known: Mapping[str, Any],
    save: Callable[[BrandResult], None],
) -> BrandReport:
    """Resolves every brand not mapped yet (failed ones are tried again) and saves each result."""
    report = BrandReport()
    for key, name in sorted(names.items()):
        entry = known.get(key)
        if entry is not None and getattr(entry, "channel_brand_id", None):
            continue
        result = catalog.brand(name)
        save(result)
        report.results.append(result)
    return report


@dataclass
class BrandsRun:
    """What `map_brands` did: the feed's brands, their entries in the brand map, what was resolved now."""

    names: dict[str, str]
    entries: list[BrandEntry]  # the brand map's entries of the feed's brands
    report: BrandReport
    calls: dict[str, int]

    @property
    def mapped(self) -> int:
        return sum(1 for e in self.entries if e.channel_brand_id)


def feed_brand_names(lake: Lake, client_id: str) -> dict[str, str]:
    """The brands of the feed's items (an item naming none takes its VTEX brand)."""
    feed = feed_table(lake, client_id, ["seller_sku", "brand"])
    enriched = lake.read_table("vtex_catalog", client_id, columns=["seller_sku", "brand_name"])
    vtex_brands = (
        dict(zip(enriched.column(0).to_pylist(), enriched.column(1).to_pylist(), strict=True))
        if enriched
        else {}
    )
    return brand_names(
        brand or vtex_brands.get(sku)
        for sku, brand in zip(
            feed.column("seller_sku").to_pylist(), feed.column("brand").to_pylist(), strict=True
        )
    )


def map_brands(client_id: str, stores: CatalogStores, lake: Lake, open_session: SessionOpener) -> BrandsRun:
    """Resolves on the channel every brand of the feed the brand map has no channel brand for."""
    names = feed_brand_names(lake, client_id)
    brand_map = stores.brands
    known = brand_map.all(client_id)

    def save(result: BrandResult) -> None:
        brand_map.save(
            client_id,
            result.key,
            result.name,
            channel_brand_id=result.channel_brand_id,
            channel_brand_name=result.channel_brand_name,
            origin=result.origin,
            error=result.error,
        )

    with open_session(client_id) as session:
        report = resolve_brands(session, names, known, save)
        calls = session.call_counts()
    entries = brand_map.all(client_id)
    return BrandsRun(names, [entries[k] for k in names if k in entries], report, calls)
