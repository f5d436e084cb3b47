"""Which leaf category of a channel a product goes to: the client's mapping from its own categories.

A product can be mapped by, in this order: itself (`product`, its product key, for exceptions), its VTEX
category (`vtex_category`, the category id), its feed `g:product_type` (`product_type`, the first path),
or its `g:google_product_category` (`google_product_category`). The first of these with an accepted
mapping wins. Unmapped products get a suggestion (the channel's recommendation, else a text match of the
category's name against the leaves' names) that waits for review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tiktok_pipelines.core.models.categories import CategorySource
from tiktok_pipelines.core.text import stem, words

SOURCE_KINDS = ("product", "vtex_category", "product_type", "google_product_category")
MIN_TEXT_SCORE = 0.5


def category_sources(
    product_key: str,
    title: str,
    product_type: str | None,
    google_product_category: str | None,
    vtex_category_id: str | None,
    vtex_category_label: str | None,
) -> list[CategorySource]:
    """A product's category sources, most specific first."""
    out = [CategorySource("product", product_key, title)]
    if vtex_category_id:
        out.append(CategorySource("vtex_category", vtex_category_id, vtex_category_label or vtex_category_id))
    if product_type:
        first = product_type.split(",")[0].strip()  # several paths may be given; the first one counts
        if first:
            out.append(CategorySource("product_type", first, first))
    if google_product_category and google_product_category.strip():
        value = google_product_category.strip()
        out.append(CategorySource("google_product_category", value, value))
    return out


def resolve_category(
    sources: Iterable[CategorySource], accepted: Mapping[tuple[str, str], str]
) -> tuple[CategorySource, str] | None:
    """The first source with an accepted mapping, and its leaf."""
    for source in sources:
        leaf = accepted.get(source.key)
        if leaf:
            return source, leaf
    return None


def suggestion_source(sources: list[CategorySource]) -> CategorySource | None:
    """What a suggestion is made for: the most specific shared category (never the product itself)."""
    return next((s for s in sources if s.kind != "product"), None)


def _stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if len(w) > 2]


def text_match(label: str, leaves: Mapping[str, str]) -> tuple[str, float] | None:
    """The leaf (id → its path, "Roupas > Camisetas e Polos > Camisetas") whose names best match a
    category label ("Moda > Camisetas"), with a score in [0, 1]; None below `MIN_TEXT_SCORE`.

    The label's last segment counts double, and a word matching the leaf's own name counts more than
    one matching a parent's, so "Moda > Calçados > Tênis" prefers "... > Tênis" to "Calçados > ...".
    """
    segments = [s for s in label.replace("/", ">").split(">") if s.strip()]
    if not segments:
        return None
    weighted: dict[str, float] = {}
    for i, segment in enumerate(segments):
        weight = 2.0 if i == len(segments) - 1 else 1.0
        for w in _stems(segment):
            weighted[w] = max(weighted.get(w, 0.0), weight)
    total = sum(weighted.values())
    if not total:
        return None
    best: tuple[float, int, str] | None = None
    for leaf_id, path in sorted(leaves.items()):
        parts = path.split(" > ")
        own = set(_stems(parts[-1]))
        parents = set(_stems(" ".join(parts[:-1])))
        score = (
            sum(w * (1.0 if s in own else 0.5 if s in parents else 0.0) for s, w in weighted.items()) / total
        )
        # Among equals, the leaf whose own name has fewer extra words is the closer one.
        rank = (score, -len(own - set(weighted)), leaf_id)
        if best is None or rank[:2] > best[:2]:
            best = rank
    if best is None or best[0] < MIN_TEXT_SCORE:
        return None
    return best[2], round(min(1.0, best[0]), 3)
