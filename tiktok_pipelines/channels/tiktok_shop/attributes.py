"""Values of TikTok product attributes, taken from the feed, from VTEX specifications, or from the rules
the data engineer sets per client and leaf (`core.attribute_rules`).

Without a rule, an attribute is looked for in the feed field of the same meaning and in a VTEX
specification of the same name. A value is matched to TikTok's list of values ignoring case and
accents; a value TikTok does not list is sent by name only where the attribute is customizable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.core.attribute_rules import Source
from tiktok_pipelines.core.text import fold

# Feed fields that say what a TikTok attribute (by folded name) says, in the order they are tried.
_BUILTIN_FEED_SOURCES: dict[str, tuple[str, ...]] = {
    "material": ("material",),
    "materiais": ("material",),
    "genero": ("gender",),
    "gender": ("gender",),
    "cor": ("color",),
    "color": ("color",),
    "tamanho": ("size",),
    "size": ("size",),
    "faixa etaria": ("age_group",),
    "age group": ("age_group",),
    "estampa": ("pattern",),
    "padrao": ("pattern",),
    "pattern": ("pattern",),
    "marca": ("brand",),
    "brand": ("brand",),
}

# Google's English enumerations, as TikTok Brazil names the same values.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "male": ("masculino",),
    "female": ("feminino",),
    "unisex": ("unissex",),
    "adult": ("adulto",),
    "kids": ("infantil", "criancas"),
    "toddler": ("infantil",),
    "infant": ("bebe", "infantil"),
    "newborn": ("bebe", "recem-nascido"),
    "new": ("novo",),
    "used": ("usado",),
    "refurbished": ("recondicionado",),
}


@dataclass(frozen=True)
class SkuFacts:
    """What one SKU says, for attribute lookups: its feed fields and its VTEX specifications."""

    feed: Mapping[str, Any]
    specifications: Mapping[str, str]

    def feed_value(self, name: str) -> str | None:
        if name.startswith("extra."):
            extra = self.feed.get("extra") or {}
            if not isinstance(extra, Mapping):
                extra = dict(extra)
            value = extra.get(name[len("extra.") :])
        else:
            value = self.feed.get(name)
        text = str(value).strip() if value is not None else ""
        return text or None

    def spec_value(self, name: str) -> str | None:
        wanted = fold(name)
        for key, value in self.specifications.items():
            if fold(key) == wanted and str(value).strip():
                return str(value).strip()
        return None


def read_source(source: Source, skus: Sequence[SkuFacts]) -> str | None:
    """The first value the source gives over the product's SKUs."""
    if source.kind == "value":
        return source.name
    for sku in skus:
        value = sku.feed_value(source.name) if source.kind == "feed" else sku.spec_value(source.name)
        if value:
            return value
    return None


def default_sources(attribute_name: str) -> list[Source]:
    """Where an attribute is looked for when no rule names it."""
    key = fold(attribute_name)
    sources = [Source("feed", f) for f in _BUILTIN_FEED_SOURCES.get(key, ())]
    if key.startswith("tamanho") and not sources:
        sources.append(Source("feed", "size"))
    sources.append(Source("vtex", attribute_name))
    return sources


@dataclass(frozen=True)
class AttributeValue:
    """A value ready for the API: `{"id": ...}` when TikTok lists it, else `{"name": ...}`."""

    id: str | None
    name: str

    def as_api(self) -> dict[str, str]:
        return {"id": self.id} if self.id else {"name": self.name}


def _candidates(value: str) -> list[str]:
    folded = fold(value)
    return [folded, *_SYNONYMS.get(folded, ())]


def match_values(raw: str, attribute: Mapping[str, Any]) -> tuple[list[AttributeValue], str | None]:
    """TikTok values for a raw value of an attribute definition; (values, problem)."""
    listed = attribute.get("values") or []
    multiple = bool(attribute.get("is_multiple_selection"))
    customizable = bool(attribute.get("is_customizable"))
    parts = [p.strip() for p in re.split(r"[|,;/]", raw)] if multiple else [raw.strip()]
    parts = [p for p in parts if p] or [raw.strip()]
    by_name = {fold(str(v.get("name"))): v for v in listed}
    by_id = {str(v.get("id")): v for v in listed}
    out: list[AttributeValue] = []
    for part in parts:
        found = by_id.get(part)
        if found is None:
            found = next((by_name[c] for c in _candidates(part) if c in by_name), None)
        if found is not None:
            value = AttributeValue(str(found["id"]), str(found.get("name") or part))
        elif not listed or customizable:
            text = part
            if attribute.get("value_data_format") == "POSITIVE_INT_OR_DECIMAL":
                number = re.search(r"\d+(?:[.,]\d+)?", part)
                if number is None:
                    return [], f"value {part!r} of {attribute.get('name')} must be a number"
                text = number.group(0).replace(",", ".")
            value = AttributeValue(None, text)
        else:
            allowed = ", ".join(str(v.get("name")) for v in listed[:12])
            more = "…" if len(listed) > 12 else ""
            return (
                [],
                f"value {part!r} is not one TikTok accepts for {attribute.get('name')} (allowed: {allowed}{more})",
            )
        if value not in out:
            out.append(value)
    return out, None


@dataclass
class ResolvedAttributes:
    """Product attributes for a leaf: ready for the API, plus what is missing or refused."""

    values: list[dict[str, Any]]
    missing: list[str]  # required attributes that got no value: "Material (101610)"
    problems: list[str]  # values TikTok would refuse
    sources: dict[str, str]  # attribute name → where its value came from


def resolve_product_attributes(
    attributes: Sequence[Mapping[str, Any]],
    skus: Sequence[SkuFacts],
    rules: Callable[[Mapping[str, Any]], Source | None],
) -> ResolvedAttributes:
    """Values of a leaf's product properties (sales properties are the SKUs' business): the client's
    rule first, then the built-in sources; required ones without a value are `missing`."""
    out = ResolvedAttributes([], [], [], {})
    for attr in attributes:
        if attr.get("type") != "PRODUCT_PROPERTY":
            continue
        name = str(attr.get("name") or attr.get("id"))
        required = bool(attr.get("is_requried") or attr.get("is_required"))
        rule = rules(attr)
        sources = ([rule] if rule is not None else []) + default_sources(name)
        raw, origin = None, None
        for source in sources:
            raw = read_source(source, skus)
            if raw:
                origin = f"{source.kind}:{source.name}"
                break
        if not raw:
            if required:
                out.missing.append(f"{name} ({attr.get('id')})")
            continue
        values, problem = match_values(raw, attr)
        if problem:
            # An optional attribute with an odd value is left out rather than holding the product.
            if required or rule is not None:
                out.problems.append(problem)
            continue
        out.values.append({"id": str(attr.get("id")), "values": [v.as_api() for v in values]})
        out.sources[name] = origin or ""
    return out
