"""Where a product attribute of a channel takes its value from: the rules a data engineer sets per client
(and per leaf category).

A rule's source is one of:
- `feed:<field>`: a feed field (`material`, `color`, `size`, `gender`, `age_group`, `pattern`, `brand`,
  `condition`, `mpn`...) or `feed:extra.<name>` for any other `g:` element of the item;
- `vtex:<specification>`: a VTEX SKU or product specification by name (`vtex:Material`);
- `value:<text>`: a constant (`value:Algodão`; several values of a multi-select attribute with `|`).

A rule names its attribute by the channel's id, or by its name (matched ignoring case and accents).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tiktok_pipelines.core.feed_fields import FEED_FIELDS
from tiktok_pipelines.core.text import fold

# The feed fields a rule may name (`feed:<field>`).
RULE_FEED_FIELDS = tuple(f.column for f in FEED_FIELDS if f.rule_source)


def attribute_key(attribute: str) -> str:
    """How an attribute is named in rules: its id as is, else its folded name."""
    attribute = attribute.strip()
    return attribute if attribute.isdigit() else fold(attribute)


@dataclass(frozen=True)
class Source:
    kind: str  # feed | vtex | value
    name: str  # field, specification, or the constant


def parse_source(text: str) -> Source:
    kind, sep, name = text.strip().partition(":")
    kind = kind.strip().lower()
    name = name.strip()
    if not sep or kind not in ("feed", "vtex", "value") or not name:
        raise ValueError(
            f"attribute source {text!r} must be feed:<field>, vtex:<specification> or value:<text>"
        )
    if kind == "feed" and name not in RULE_FEED_FIELDS and not name.startswith("extra."):
        raise ValueError(
            f"feed field {name!r} is not one of {', '.join(RULE_FEED_FIELDS)} (or extra.<g: element name>)"
        )
    return Source(kind, name)


@dataclass(frozen=True)
class AttributeRule:
    """A client's rule: in leaf `category_id` (or "*", every leaf), `attribute` takes its value from
    `source`."""

    category_id: str
    attribute: str
    attribute_key: str
    source: str


def rule_lookup(
    rules: Sequence[AttributeRule], id_field: str = "id", name_field: str = "name"
) -> Callable[[str | None], Callable[[Mapping[str, Any]], Source | None]]:
    """For a leaf, a function giving the rule (if any) of an attribute definition (a channel's, its id and
    name in `id_field` and `name_field`): a rule for that leaf beats a rule for every leaf ("*"); a rule
    may name the attribute by id or by name (ids of letters, such as Mercado Livre's `BRAND`, matched like
    names)."""
    table: dict[tuple[str, str], Source] = {}
    for rule in rules:
        table[(rule.category_id, rule.attribute_key)] = parse_source(rule.source)

    def for_leaf(leaf_id: str | None) -> Callable[[Mapping[str, Any]], Source | None]:
        def find(attr: Mapping[str, Any]) -> Source | None:
            keys = (attribute_key(str(attr.get(id_field))), attribute_key(str(attr.get(name_field) or "")))
            for scope in (leaf_id or "", "*"):
                for key in keys:
                    if (scope, key) in table:
                        return table[(scope, key)]
            return None

        return find

    return for_leaf
