"""Listings: a product as a channel would list it (the draft, built and checked before any call), what a
write of it did, and the client's choices for its listings.

The catalog lane plans, records and reports with these; what a draft holds beyond them (the payload, in
the channel's own shape) is the channel's, which builds and writes it.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar


@dataclass(frozen=True)
class ListingOptions:
    """The client's choices for its listings (client options; see docs/catalog.md)."""

    currency: str = "BRL"
    max_main_images: int = 9  # the channel's own limit applies on top
    sku_images: bool = True
    default_package: Mapping[str, Any] = field(default_factory=dict)
    certifications: Mapping[str, Sequence[str]] = field(default_factory=dict)
    listing_types: Mapping[str, str] = field(
        default_factory=dict
    )  # channel → its listing type, where it has several
    shipping_channels: Sequence[str] = ()  # the channel's shipping channels by id (empty: all it enabled)


class ListingDraft(ABC):
    """A product as the channel would list it, checked against its leaf's rules before any call.

    Problems hold the product back (the stage and the message, which names the fix); warnings are
    reported and the product goes anyway. The payload hash covers what the catalog sends (never price or
    stock, which belong to the stock and price sync once a listing exists), and the part hashes each
    part of it, so an update sends only what changed.
    """

    product_key: str
    problems: list[tuple[str, str]]
    warnings: list[tuple[str, str]]
    prices: dict[str, dict[str, Any]]  # seller_sku → {"amount", "list_amount", "currency"} at creation
    vtex_sku_ids: dict[str, str]  # seller_sku → VTEX SKU id

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    @abstractmethod
    def payload_hash(self) -> str: ...

    @abstractmethod
    def part_hashes(self) -> dict[str, str]: ...

    @property
    @abstractmethod
    def seller_skus(self) -> list[str]: ...

    @property
    @abstractmethod
    def title(self) -> str | None: ...

    @property
    @abstractmethod
    def category_id(self) -> str | None: ...


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def parts_hash(value: Any) -> str:
    """The hash of a draft's part (or of the parts together): canonical JSON, decimals as text."""
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False)
    return hashlib.blake2b(data.encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class PartsDraft(ListingDraft):
    """A draft whose payload is `parts`, by the channel's own field names: each of `hashed_parts` hashed
    on its own, the title and category read from the parts the channel names them by, and the seller SKUs
    from its list of SKUs (`skus_part`: the list's part and the seller SKU's key in each entry)."""

    product_key: str
    parts: dict[str, Any]
    prices: dict[str, dict[str, Any]]  # seller_sku → {"amount", "list_amount", "currency"}
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    vtex_sku_ids: dict[str, str] = field(default_factory=dict)

    hashed_parts: ClassVar[tuple[str, ...]] = ()
    title_part: ClassVar[str] = "title"
    skus_part: ClassVar[tuple[str, str]] = ("skus", "seller_sku")

    @property
    def seller_skus(self) -> list[str]:
        part, key = self.skus_part
        return [s[key] for s in self.parts.get(part) or []]

    @property
    def title(self) -> str | None:
        return self.parts.get(self.title_part)

    @property
    def category_id(self) -> str | None:
        value = self.parts.get("category_id")
        return None if value is None else str(value)

    def part_hashes(self) -> dict[str, str]:
        return {name: parts_hash(self.parts.get(name)) for name in self.hashed_parts}

    @property
    def payload_hash(self) -> str:
        return parts_hash({name: self.parts.get(name) for name in self.hashed_parts})


@dataclass
class ListingResult:
    """What a create, edit, delete or check of one product did on the channel."""

    product_key: str
    action: str  # create | edit | delete | check
    ok: bool
    channel_product_id: str | None = None
    channel_sku_ids: dict[str, str] = field(default_factory=dict)  # seller_sku → the channel's SKU id
    message: str | None = None  # why it failed, the same words for the same failure
    transient: bool = False  # the channel was busy or unreachable: never counts toward a pause
    systemic: bool = False  # the channel refused the shop's credentials: the run stops
    warnings: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # the calls it took, by the channel's name for them


@dataclass(frozen=True)
class ChannelListing:
    """A product the channel has, with its seller SKUs (found by seller SKU, to adopt it)."""

    channel_product_id: str
    seller_skus: tuple[str, ...]


@dataclass(frozen=True)
class ImageUpload:
    """An image uploaded to the channel: its reference there, or why the channel refused it."""

    uri: str | None
    width: int | None = None
    height: int | None = None
    error: str | None = None
