"""A channel's category tree, the rules of its leaves, and the leaf a product goes to.

A channel lists a product in one leaf of its tree; each leaf has rules (required certifications, package
dimensions...) and attributes. Rules and attributes are the channel's own, kept as it gave them: only its
listing builder reads them. The client's categories (`CategorySource`) are mapped to leaves by the
catalog lane (`core.category_mapping`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CategorySource:
    """One of a product's categories as the client names it: the product itself, its VTEX category, its
    `g:product_type` or its `g:google_product_category`."""

    kind: str
    value: str
    label: str

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.value


@dataclass(frozen=True)
class CategoryNode:
    """A category of the channel's tree."""

    category_id: str
    parent_id: str  # "0" at the top
    local_name: str
    is_leaf: bool
    permitted: bool  # the shop may list in it
    path: str  # "Roupas Masculinas > Camisetas e Polos > Camisetas"


@dataclass(frozen=True)
class CategoryRules:
    """A leaf's rules and attribute definitions, as the channel gives them; or why they could not be read."""

    category_id: str
    rules: Mapping[str, Any]
    attributes: Sequence[Mapping[str, Any]]
    error: str | None = None


@dataclass(frozen=True)
class CategoryRecommendation:
    """The leaf a channel recommends for a product's text; `retry_later` when it could not answer now
    (nothing is recorded: the question is asked again next run)."""

    category_id: str | None
    error: str | None = None
    retry_later: bool = False


@dataclass(frozen=True)
class CategoryChoice:
    """The leaf a product goes to, with its rules and attributes, or why there is none."""

    leaf_id: str | None
    rules: Mapping[str, Any] | None = None
    attributes: Sequence[Mapping[str, Any]] | None = None
    problem: str | None = None
