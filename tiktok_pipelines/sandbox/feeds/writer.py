"""Writes a catalog as a Google Merchant feed, RSS 2.0 or Atom 1.0, the way VTEX stores publish them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from tiktok_pipelines.sandbox.catalog import Catalog, Product, Sku

G_NS = "http://base.google.com/ns/1.0"


def image_url(image_base_url: str, file_id: int, product: Product) -> str:
    """VTEX-shaped image address (`/arquivos/ids/<file id>/<name>.png`) on the sandbox image server."""
    return f"{image_base_url.rstrip('/')}/arquivos/ids/{file_id}/{product.slug[:40]}.png"


def _active_skus(catalog: Catalog) -> Iterator[tuple[Product, Sku]]:
    """The catalog's active SKUs of active products, with their product: the feed's items."""
    for product in catalog.products:
        if product.active:
            for sku in product.skus:
                if sku.active:
                    yield product, sku


def _fields(
    catalog: Catalog, product: Product, sku: Sku, image_base_url: str, prefixed_core: bool
) -> list[str]:
    title = f"{product.name} {sku.variant_name}" if len(product.skus) > 1 else product.name
    link = f"{catalog.store_url}/{product.slug}/p?idsku={sku.sku_id}"
    images = [image_url(image_base_url, fid, product) for fid in sku.image_ids]
    availability = "in_stock" if sku.available > 0 else "out_of_stock"
    core = "g:" if prefixed_core else ""
    out = [
        f"<g:id>{sku.sku_id}</g:id>",
        f"<{core}title>{escape(title)}</{core}title>",
        f"<{core}description><![CDATA[{product.description}]]></{core}description>",
        f"<{core}link>{escape(link)}</{core}link>",
        f"<g:image_link>{escape(images[0])}</g:image_link>",
    ]
    out.extend(f"<g:additional_image_link>{escape(u)}</g:additional_image_link>" for u in images[1:])
    out.append(f"<g:price>{sku.list_price:.2f} BRL</g:price>")
    if sku.price < sku.list_price:
        out.append(f"<g:sale_price>{sku.price:.2f} BRL</g:sale_price>")
    out += [
        f"<g:availability>{availability}</g:availability>",
        "<g:condition>new</g:condition>",
        f"<g:brand>{escape(product.brand.name)}</g:brand>",
        f"<g:gtin>{sku.ean}</g:gtin>",
        f"<g:mpn>{escape(sku.ref_id)}</g:mpn>",
        f"<g:item_group_id>{product.product_id}</g:item_group_id>",
    ]
    if sku.color:
        out.append(f"<g:color>{escape(sku.color)}</g:color>")
    if sku.size:
        out.append(f"<g:size>{escape(sku.size)}</g:size>")
    out += [
        f"<g:google_product_category>{product.category.google_product_category}</g:google_product_category>",
        f"<g:product_type>{escape(product.category.product_type)}</g:product_type>",
        f"<g:shipping_weight>{sku.weight_kg} kg</g:shipping_weight>",
    ]
    return out


def iter_feed_chunks(
    catalog: Catalog,
    fmt: str = "rss",
    image_base_url: str = "http://127.0.0.1:8701",
    updated: datetime | None = None,
) -> Iterator[str]:
    """The feed as text chunks, one per item, so that large feeds are streamed."""
    stamp = (updated or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    store = escape(catalog.store_url)
    if fmt == "rss":
        yield (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="{G_NS}">\n<channel>\n'
            f"<title>{escape(catalog.account)}</title>\n<link>{store}</link>\n"
            f"<description>Feed de produtos {escape(catalog.account)}</description>\n"
        )
        for product, sku in _active_skus(catalog):
            yield (
                "<item>\n" + "\n".join(_fields(catalog, product, sku, image_base_url, False)) + "\n</item>\n"
            )
        yield "</channel>\n</rss>\n"
    elif fmt == "atom":
        yield (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:g="{G_NS}">\n<title>{escape(catalog.account)}</title>\n'
            f'<link href={quoteattr(catalog.store_url)} rel="alternate" type="text/html"/>\n'
            f"<updated>{stamp}</updated>\n<author><name>{escape(catalog.account)}</name></author>\n"
            f"<id>{store}/XMLData/google-shopping.xml</id>\n"
        )
        for product, sku in _active_skus(catalog):
            fields = _fields(catalog, product, sku, image_base_url, True)
            yield (
                f"<entry>\n<id>{sku.sku_id}</id>\n<updated>{stamp}</updated>\n"
                + "\n".join(fields)
                + "\n</entry>\n"
            )
        yield "</feed>\n"
    else:
        raise ValueError(f"unknown feed format {fmt!r} (rss or atom)")


def render_feed(
    catalog: Catalog,
    fmt: str = "rss",
    image_base_url: str = "http://127.0.0.1:8701",
    updated: datetime | None = None,
) -> bytes:
    return "".join(iter_feed_chunks(catalog, fmt, image_base_url, updated)).encode("utf-8")


def write_feed(
    catalog: Catalog,
    out: BinaryIO,
    fmt: str = "rss",
    image_base_url: str = "http://127.0.0.1:8701",
    updated: datetime | None = None,
) -> int:
    written = 0
    for chunk in iter_feed_chunks(catalog, fmt, image_base_url, updated):
        data = chunk.encode("utf-8")
        out.write(data)
        written += len(data)
    return written
