"""A post about a new product, from its feed row: the caption (title and price in Brazilian format,
`R$ 1.499,90`; a sale price shown against the list price), hashtags from its category path and the
creator's best hashtags, the video link a URL template gives, and when it goes out (the next of the
creator's best hours, in the creator's time zone). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from tiktok_pipelines.core.text import fold

CAPTION_MAX = 2200  # characters of a TikTok caption (UNCONFIRMED: not in the reference)
HASHTAGS_MAX = 5
_TAG_CHARS = re.compile(r"[^0-9a-z]+")
_SYMBOLS = {"BRL": "R$", "USD": "US$", "EUR": "€"}


def money_text(amount: Decimal, currency: str = "BRL") -> str:
    """`Decimal('1499.9')` → `R$ 1.499,90` (thousands with '.', cents with ',', as Brazil writes them)."""
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{cents:,.2f}".partition(".")
    return f"{_SYMBOLS.get(currency, currency)} {whole.replace(',', '.')},{fraction}"


def hashtag(text: str) -> str:
    """'Calçados Femininos' → 'calcadosfemininos' (no accents, spaces or punctuation); '' when nothing's left."""
    return _TAG_CHARS.sub("", fold(text))


def category_hashtags(product_type: str | None) -> list[str]:
    """The levels of a `g:product_type` path, most specific first ('Esportes > Basquete' → basquete, esportes)."""
    levels = [hashtag(level) for level in (product_type or "").split(">")]
    return list(dict.fromkeys(t for t in reversed(levels) if t))


@dataclass(frozen=True)
class ProductFacts:
    """What a post says about a product: one variant's row of `feed_products` stands for the product."""

    product_key: str
    seller_sku: str
    title: str
    price: Decimal | None
    sale_price: Decimal | None
    currency: str
    product_type: str | None
    link: str | None


def price_line(product: ProductFacts) -> str | None:
    """`Por R$ 59,90`, or `De R$ 1.499,90 por R$ 1.299,00` on sale; None without a price."""
    if product.sale_price is not None and product.price is not None and product.sale_price < product.price:
        return (
            f"De {money_text(product.price, product.currency)} por "
            f"{money_text(product.sale_price, product.currency)}"
        )
    return f"Por {money_text(product.price, product.currency)}" if product.price is not None else None


def with_hashtags(text: str, tags: list[str]) -> str:
    """The caption's text and its hashtags on a line of their own, within TikTok's length."""
    return (text + ("\n" + " ".join(f"#{t}" for t in tags) if tags else ""))[:CAPTION_MAX]


def caption(
    product: ProductFacts, creator_hashtags: list[str], most: int = HASHTAGS_MAX
) -> tuple[str, list[str]]:
    """The caption and the hashtags in it: category hashtags first, then the creator's best ones."""
    lines = [product.title.strip(), price_line(product) or ""]
    tags = list(dict.fromkeys([*category_hashtags(product.product_type), *map(hashtag, creator_hashtags)]))
    tags = [t for t in tags if t][:most]
    return with_hashtags("\n".join(line for line in lines if line), tags), tags


def video_url(template: str | None, product: ProductFacts) -> str | None:
    """The product's video link from a template naming `{product_key}` or `{seller_sku}`, or None."""
    if not template:
        return None
    return template.replace("{product_key}", product.product_key).replace("{seller_sku}", product.seller_sku)


def next_best_time(now: datetime, hours: list[int], timezone: str) -> datetime | None:
    """The next start of one of `hours` (the creator's best, in its time zone) after `now`; None when there
    is no best hour yet."""
    if not hours:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    candidates = []
    for hour in hours:
        at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if at <= local:
            at += timedelta(days=1)
        candidates.append(at)
    return min(candidates)
