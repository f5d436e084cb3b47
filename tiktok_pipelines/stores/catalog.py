"""What the catalog keeps between runs, per client: the brand map, the channel's category tree with each
leaf's rules and attributes, the category mapping (explicit and suggested), attribute rules, the image
cache, and shrink-guard confirmations. The catalog lane reads and writes them; the channel never does.

What depends on the channel (its brand ids, its tree, the leaves a mapping or rule names, the images
uploaded to it) is kept per channel: each store works on one (`ChannelName` value, TikTok Shop unless
told). Which picture a URL had and the shrink guard are about the feed, and shared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tiktok_pipelines.core.attribute_rules import AttributeRule, attribute_key, parse_source
from tiktok_pipelines.core.category_mapping import SOURCE_KINDS
from tiktok_pipelines.core.models.categories import CategoryNode
from tiktok_pipelines.stores.db import (
    ChannelStore,
    StateDB,
    UTCDateTime,
    channel_key,
    client_column,
    metadata,
    update_or_insert,
    utcnow,
)

# ---------------------------------------------------------------- brands
channel_brands = sa.Table(
    "channel_brands",
    metadata,
    *channel_key(),
    sa.Column("brand_key", sa.String(200), primary_key=True),  # folded name: case and accents ignored
    sa.Column("brand_name", sa.String(200), nullable=False),  # as the feed or VTEX spells it
    sa.Column("channel_brand_id", sa.String(40)),
    sa.Column("channel_brand_name", sa.String(200)),
    # matched (found by name) | created | exists (creation answered "already exists", then found) | manual
    sa.Column("origin", sa.String(20)),
    sa.Column("status", sa.String(20), nullable=False),  # mapped | failed
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class BrandEntry:
    client_id: str
    channel: str
    brand_key: str
    brand_name: str
    channel_brand_id: str | None
    channel_brand_name: str | None
    origin: str | None
    status: str
    last_error: str | None
    updated_at: datetime


class BrandMap(ChannelStore):
    """The client's brands (by folded name) and their brand ids on the channel."""

    def all(self, client_id: str) -> dict[str, BrandEntry]:
        return {r.brand_key: BrandEntry(**r._mapping) for r in self._rows(channel_brands, client_id)}

    def save(
        self,
        client_id: str,
        brand_key: str,
        brand_name: str,
        *,
        channel_brand_id: str | None,
        channel_brand_name: str | None = None,
        origin: str | None = None,
        error: str | None = None,
    ) -> None:
        values = dict(
            brand_name=brand_name,
            channel_brand_id=channel_brand_id,
            channel_brand_name=channel_brand_name,
            origin=origin,
            status="mapped" if channel_brand_id else "failed",
            last_error=error,
            updated_at=utcnow(),
        )
        self._save(channel_brands, client_id, values, brand_key=brand_key)


# ---------------------------------------------------------------- categories
channel_categories = sa.Table(
    "channel_categories",
    metadata,
    *channel_key(),
    sa.Column("category_id", sa.String(40), primary_key=True),
    sa.Column("parent_id", sa.String(40), nullable=False),
    sa.Column("local_name", sa.String(300), nullable=False),
    sa.Column("is_leaf", sa.Boolean, nullable=False),
    sa.Column("permitted", sa.Boolean, nullable=False),  # the shop may list in it (AVAILABLE)
    sa.Column("path", sa.Text, nullable=False),  # "Roupas Masculinas > Camisetas e Polos > Camisetas"
    sa.Column("fetched_at", UTCDateTime, nullable=False),
)

channel_category_rules = sa.Table(
    "channel_category_rules",
    metadata,
    *channel_key(),
    sa.Column("category_id", sa.String(40), primary_key=True),
    sa.Column("rules", sa.Text, nullable=False),  # JSON, as the channel gives a leaf's rules
    sa.Column("attributes", sa.Text, nullable=False),  # JSON list, as the channel gives a leaf's attributes
    sa.Column("fetched_at", UTCDateTime, nullable=False),
)

MAPPING_STATUSES = ("accepted", "suggested", "rejected", "unmatched")

category_mappings = sa.Table(
    "category_mappings",
    metadata,
    *channel_key(),
    sa.Column("source_kind", sa.String(40), primary_key=True),
    sa.Column("source_value", sa.String(1000), primary_key=True),
    sa.Column("source_label", sa.Text),
    sa.Column("channel_category_id", sa.String(40)),
    # accepted (published) | suggested (awaits review) | rejected | unmatched (nothing to suggest)
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("origin", sa.String(20), nullable=False),  # manual | recommend | text | demo
    sa.Column("score", sa.Float),
    sa.Column("sample_title", sa.Text),
    sa.Column("products", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
)


@dataclass(frozen=True)
class CategoryMapping:
    client_id: str
    channel: str
    source_kind: str
    source_value: str
    source_label: str | None
    channel_category_id: str | None
    status: str
    origin: str
    score: float | None
    sample_title: str | None
    products: int
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class LeafRules:
    category_id: str
    rules: dict[str, Any]
    attributes: list[dict[str, Any]]
    fetched_at: datetime


def _source_is(kind: str, value: str) -> tuple:
    """The category mappings of one source value (of a kind in `SOURCE_KINDS`)."""
    return category_mappings.c.source_kind == kind, category_mappings.c.source_value == value


class CategoryStore(ChannelStore):
    """The channel's category tree and leaf rules as last fetched, and the client's category mapping."""

    # -- the tree
    def replace_tree(self, client_id: str, nodes: Iterable[CategoryNode]) -> int:
        """Stores the channel's tree (every node, with its path), replacing the one stored."""
        now = utcnow()
        rows = [dict(client_id=client_id, channel=self.channel, **asdict(n), fetched_at=now) for n in nodes]
        with self.db.begin() as conn:
            conn.execute(channel_categories.delete().where(self._of(channel_categories, client_id)))
            for start in range(0, len(rows), 500):
                conn.execute(channel_categories.insert(), rows[start : start + 500])
        return len(rows)

    def tree(self, client_id: str) -> dict[str, CategoryNode]:
        rows = self._rows(channel_categories, client_id)
        return {
            r.category_id: CategoryNode(
                r.category_id, r.parent_id, r.local_name, r.is_leaf, r.permitted, r.path
            )
            for r in rows
        }

    def tree_fetched_at(self, client_id: str) -> datetime | None:
        with self.db.read() as conn:
            return conn.execute(
                sa.select(sa.func.min(channel_categories.c.fetched_at)).where(
                    self._of(channel_categories, client_id)
                )
            ).scalar()

    # -- leaf rules and attributes
    def save_rules(
        self, client_id: str, category_id: str, rules: dict[str, Any], attributes: list[dict[str, Any]]
    ) -> None:
        values = dict(
            rules=json.dumps(rules, sort_keys=True),
            attributes=json.dumps(attributes, sort_keys=True),
            fetched_at=utcnow(),
        )
        self._save(channel_category_rules, client_id, values, category_id=category_id)

    def rules(self, client_id: str, category_ids: Iterable[str] | None = None) -> dict[str, LeafRules]:
        query = sa.select(channel_category_rules).where(self._of(channel_category_rules, client_id))
        if category_ids is not None:
            query = query.where(channel_category_rules.c.category_id.in_(list(category_ids)))
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {
            r.category_id: LeafRules(
                r.category_id, json.loads(r.rules), json.loads(r.attributes), r.fetched_at
            )
            for r in rows
        }

    # -- the mapping
    def mappings(self, client_id: str, status: str | None = None) -> list[CategoryMapping]:
        query = sa.select(category_mappings).where(self._of(category_mappings, client_id))
        if status:
            query = query.where(category_mappings.c.status == status)
        with self.db.read() as conn:
            rows = conn.execute(
                query.order_by(category_mappings.c.source_kind, category_mappings.c.source_value)
            ).all()
        return [CategoryMapping(**r._mapping) for r in rows]

    def _mapping_of(self, client_id: str, kind: str, value: str) -> tuple:
        """The mapping of one source value of a client."""
        return self._of(category_mappings, client_id), *_source_is(kind, value)

    def mapping(self, client_id: str, kind: str, value: str) -> CategoryMapping | None:
        row = self._first(category_mappings, client_id, *_source_is(kind, value))
        return CategoryMapping(**row._mapping) if row else None

    def set_mapping(
        self,
        client_id: str,
        kind: str,
        value: str,
        channel_category_id: str | None,
        *,
        status: str = "accepted",
        origin: str = "manual",
        label: str | None = None,
        score: float | None = None,
        sample_title: str | None = None,
        products: int | None = None,
    ) -> None:
        if kind not in SOURCE_KINDS:
            raise ValueError(f"category source must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
        if status not in MAPPING_STATUSES:
            raise ValueError(f"status must be one of {', '.join(MAPPING_STATUSES)}")
        now = utcnow()
        values: dict[str, Any] = dict(
            channel_category_id=channel_category_id,
            status=status,
            origin=origin,
            score=score,
            updated_at=now,
            decided_at=now if status in ("accepted", "rejected") else None,
        )
        if label is not None:
            values["source_label"] = label
        if sample_title is not None:
            values["sample_title"] = sample_title
        if products is not None:
            values["products"] = products
        self._save(
            category_mappings,
            client_id,
            values,
            insert_only={"created_at": now, "products": products or 0},
            source_kind=kind,
            source_value=value,
        )

    def decide(self, client_id: str, kind: str, value: str, status: str) -> bool:
        """Accepts or rejects a suggestion; False when there is no mapping for that source value."""
        if status not in ("accepted", "rejected"):
            raise ValueError("a decision is accepted or rejected")
        with self.db.begin() as conn:
            row = conn.execute(
                sa.select(category_mappings.c.channel_category_id).where(
                    *self._mapping_of(client_id, kind, value),
                )
            ).first()
            if row is None or (status == "accepted" and not row.channel_category_id):
                return False
            now = utcnow()
            conn.execute(
                category_mappings.update()
                .where(
                    *self._mapping_of(client_id, kind, value),
                )
                .values(status=status, decided_at=now, updated_at=now)
            )
        return True

    def remove_mapping(self, client_id: str, kind: str, value: str) -> bool:
        return self._delete(category_mappings, client_id, *_source_is(kind, value)) > 0

    def update_counts(self, client_id: str, counts: dict[tuple[str, str], int]) -> None:
        """Products per source value in the current feed (what the review list sorts by)."""
        now = utcnow()
        with self.db.begin() as conn:
            for (kind, value), n in counts.items():
                conn.execute(
                    category_mappings.update()
                    .where(
                        *self._mapping_of(client_id, kind, value),
                        category_mappings.c.products != n,
                    )
                    .values(products=n, updated_at=now)
                )


# ---------------------------------------------------------------- attribute rules
attribute_rules = sa.Table(
    "attribute_rules",
    metadata,
    *channel_key(),
    sa.Column("category_id", sa.String(40), primary_key=True),  # a channel's leaf, or "*" for every leaf
    sa.Column("attribute_key", sa.String(200), primary_key=True),  # folded attribute name, or its id
    sa.Column("attribute", sa.String(200), nullable=False),  # as the data engineer wrote it
    sa.Column("source", sa.Text, nullable=False),  # feed:<field> | vtex:<specification> | value:<text>
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


class AttributeRuleStore(ChannelStore):
    """Where each product attribute of the channel takes its value from, per client (and per leaf)."""

    def all(self, client_id: str) -> list[AttributeRule]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(attribute_rules)
                .where(self._of(attribute_rules, client_id))
                .order_by(attribute_rules.c.category_id, attribute_rules.c.attribute_key)
            ).all()
        return [AttributeRule(r.category_id, r.attribute, r.attribute_key, r.source) for r in rows]

    def set(self, client_id: str, attribute: str, source: str, category_id: str = "*") -> None:
        parse_source(source)  # refuse a source that cannot be read before storing it
        values = dict(attribute=attribute.strip(), source=source.strip(), updated_at=utcnow())
        self._save(
            attribute_rules,
            client_id,
            values,
            category_id=category_id,
            attribute_key=attribute_key(attribute),
        )

    def remove(self, client_id: str, attribute: str, category_id: str = "*") -> bool:
        c = attribute_rules.c
        key = attribute_key(attribute)
        return (
            self._delete(attribute_rules, client_id, c.category_id == category_id, c.attribute_key == key) > 0
        )


# ---------------------------------------------------------------- images
channel_images = sa.Table(
    "channel_images",
    metadata,
    *channel_key(),
    sa.Column("content_hash", sa.String(64), primary_key=True),  # SHA-256 of the bytes uploaded
    sa.Column("use_case", sa.String(30), primary_key=True),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
)

image_sources = sa.Table(
    "image_sources",
    metadata,
    client_column(primary_key=True),
    sa.Column("url_hash", sa.String(64), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class ImageStore(ChannelStore):
    """Images uploaded to the channel by content hash (TikTok wants bytes, so the same picture is uploaded
    once), and which content each source URL had when it was last downloaded (the same for every
    channel)."""

    def upload(self, client_id: str, content_hash: str, use_case: str) -> str | None:
        """The uri of these bytes uploaded for this use case, if they were."""
        with self.db.read() as conn:
            return conn.execute(
                sa.select(channel_images.c.uri).where(
                    self._of(channel_images, client_id),
                    channel_images.c.content_hash == content_hash,
                    channel_images.c.use_case == use_case,
                )
            ).scalar()

    def source(self, client_id: str, url: str) -> tuple[str, datetime] | None:
        """The content hash an image URL had when it was last downloaded, and when that was."""
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(image_sources.c.content_hash, image_sources.c.fetched_at).where(
                    image_sources.c.client_id == client_id, image_sources.c.url_hash == url_hash(url)
                )
            ).first()
        return (row.content_hash, row.fetched_at) if row else None

    def save_upload(
        self,
        client_id: str,
        content_hash: str,
        use_case: str,
        uri: str,
        width: int | None,
        height: int | None,
    ) -> None:
        self._save(
            channel_images,
            client_id,
            dict(uri=uri, width=width, height=height, uploaded_at=utcnow()),
            content_hash=content_hash,
            use_case=use_case,
        )

    def forget_uploads(self, client_id: str, uris: Iterable[str]) -> int:
        """Drops uploads the channel no longer knows (an image uri refused), so they are uploaded again."""
        wanted = list(set(uris))
        if not wanted:
            return 0
        return self._delete(channel_images, client_id, channel_images.c.uri.in_(wanted))

    def save_source(self, client_id: str, url: str, content_hash: str) -> None:
        with self.db.begin() as conn:
            update_or_insert(
                conn,
                image_sources,
                {"client_id": client_id, "url_hash": url_hash(url)},
                dict(url=url, content_hash=content_hash, fetched_at=utcnow()),
            )


# ---------------------------------------------------------------- shrink guard
shrink_guard = sa.Table(
    "shrink_guard",
    metadata,
    client_column(primary_key=True),
    sa.Column("snapshot_hash", sa.String(64), primary_key=True),
    sa.Column("removed", sa.Integer, nullable=False),
    sa.Column("listed", sa.Integer, nullable=False),
    sa.Column("detected_at", UTCDateTime, nullable=False),
    sa.Column("confirmed_at", UTCDateTime),
    sa.Column("confirmed_by", sa.String(200)),
)


@dataclass(frozen=True)
class ShrinkRecord:
    client_id: str
    snapshot_hash: str
    removed: int
    listed: int
    detected_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None

    @property
    def share(self) -> float:
        return self.removed / self.listed if self.listed else 0.0


class ShrinkGuardStore:
    """Feed snapshots that would delete more than the client's share of listed products, and the data
    engineer's confirmation that one of them really is the catalog (so its deletions may go ahead)."""

    def __init__(self, db: StateDB):
        self.db = db

    def record(self, client_id: str, snapshot_hash: str, removed: int, listed: int) -> ShrinkRecord:
        with self.db.begin() as conn:
            update_or_insert(
                conn,
                shrink_guard,
                {"client_id": client_id, "snapshot_hash": snapshot_hash},
                dict(removed=removed, listed=listed),
                insert_only={"detected_at": utcnow()},
            )
        record = self.get(client_id, snapshot_hash)
        assert record is not None
        return record

    def get(self, client_id: str, snapshot_hash: str) -> ShrinkRecord | None:
        row = self.db.find_row(shrink_guard, client_id=client_id, snapshot_hash=snapshot_hash)
        return ShrinkRecord(**row._mapping) if row else None

    def pending(self, client_id: str) -> list[ShrinkRecord]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(shrink_guard)
                .where(shrink_guard.c.client_id == client_id, shrink_guard.c.confirmed_at.is_(None))
                .order_by(shrink_guard.c.detected_at.desc())
            ).all()
        return [ShrinkRecord(**r._mapping) for r in rows]

    def confirm(self, client_id: str, snapshot_hash: str, by: str) -> ShrinkRecord | None:
        """Confirms the snapshot (a full hash or a prefix of at least 8 characters); None if unknown."""
        with self.db.begin() as conn:
            rows = conn.execute(
                sa.select(shrink_guard.c.snapshot_hash).where(
                    shrink_guard.c.client_id == client_id,
                    shrink_guard.c.snapshot_hash.startswith(snapshot_hash, autoescape=True),
                )
            ).all()
            if len(snapshot_hash) < 8 or len(rows) != 1:
                return None
            full = rows[0].snapshot_hash
            conn.execute(
                shrink_guard.update()
                .where(shrink_guard.c.client_id == client_id, shrink_guard.c.snapshot_hash == full)
                .values(confirmed_at=utcnow(), confirmed_by=by[:200])
            )
        return self.get(client_id, full)
