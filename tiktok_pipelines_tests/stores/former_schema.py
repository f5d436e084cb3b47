"""The state DB's tables that hold a channel's ids, as they were before the ids were named for any
channel (TikTok-named columns and tables, no `channel` column), with their indexes: what a state DB
created then holds, for the upgrade tests to start from."""

from __future__ import annotations

import sqlalchemy as sa

from tiktok_pipelines.stores.db import UTCDateTime
from tiktok_pipelines.stores.registry import clients_table

metadata = sa.MetaData()
clients = clients_table.to_metadata(metadata)


def _client(primary_key: bool = True) -> sa.Column:
    fk = sa.ForeignKey("clients.client_id", ondelete="CASCADE")
    return sa.Column("client_id", sa.String(63), fk, primary_key=primary_key, nullable=False)


def _s(name: str, length: int = 40, **kw) -> sa.Column:
    return sa.Column(name, sa.String(length), **kw)


def _at(name: str, **kw) -> sa.Column:
    return sa.Column(name, UTCDateTime, **kw)


def _n(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.Integer, **kw)


REQUIRED = {"nullable": False}
KEY = {"primary_key": True}

listing_products = sa.Table(
    "listing_products",
    metadata,
    _client(),
    _s("product_key", 100, **KEY),
    _s("tiktok_product_id"),
    _s("status", **REQUIRED),
    _s("payload_hash", 64),
    _at("pushed_at"),
    _n("failures", **REQUIRED),
    sa.Column("last_error", sa.Text),
    sa.Column("paused", sa.Boolean, nullable=False),
    _at("updated_at", **REQUIRED),
    sa.Index("ix_listing_products_tiktok", "client_id", "tiktok_product_id"),
)

listing_skus = sa.Table(
    "listing_skus",
    metadata,
    _client(),
    _s("seller_sku", 100, **KEY),
    _s("product_key", 100, **REQUIRED),
    _s("tiktok_product_id", **REQUIRED),
    _s("tiktok_sku_id", **REQUIRED),
    _at("updated_at", **REQUIRED),
    sa.Index("ix_listing_skus_product", "client_id", "tiktok_product_id"),
    sa.Index("ix_listing_skus_tiktok_sku", "client_id", "tiktok_sku_id"),
)

listing_payloads = sa.Table(
    "listing_payloads",
    metadata,
    _client(),
    _s("product_key", 100, **KEY),
    _s("source_hash", 64),
    sa.Column("part_hashes", sa.Text),
    _s("failed_hash", 64),
    _at("updated_at", **REQUIRED),
)

sku_sync = sa.Table(
    "sku_sync",
    metadata,
    _client(),
    _s("kind", 10, **KEY),
    _s("seller_sku", 100, **KEY),
    _s("vtex_sku_id"),
    _s("tiktok_product_id", **REQUIRED),
    _s("tiktok_sku_id", **REQUIRED),
    sa.Column("dirty", sa.Boolean, nullable=False),
    sa.Column("observed", sa.Text),
    _at("observed_at"),
    _s("observed_run", 64),
    sa.Column("target", sa.Text),
    sa.Column("confirmed", sa.Text),
    _at("confirmed_at"),
    _s("confirmed_source", 10),
    sa.Column("held", sa.Text),
    sa.Column("approved", sa.Text),
    _s("approved_by", 100),
    _at("approved_at"),
    _n("attempts", **REQUIRED),
    _s("error_code"),
    sa.Column("error_message", sa.Text),
    _at("pushed_at"),
    sa.Column("extra_warehouses", sa.Text),
    _at("updated_at", **REQUIRED),
    sa.Index("ix_sku_sync_vtex", "client_id", "vtex_sku_id"),
    sa.Index("ix_sku_sync_observed", "client_id", "kind", "observed_at"),
)

orders = sa.Table(
    "orders",
    metadata,
    _client(),
    _s("order_id", **KEY),
    _s("tiktok_status"),
    sa.Column("tiktok_update_time", sa.BigInteger),
    sa.Column("detail_enc", sa.Text),
    _at("detail_fetched_at"),
    _s("state", 20, **REQUIRED),
    _s("vtex_order_id", 80),
    _s("vtex_status"),
    _at("placed_at"),
    _at("authorized_at"),
    _at("cancelled_at"),
    _s("cancel_status", 60),
    _s("return_status", 60),
    _at("address_updated_at"),
    _s("tracking_number", 80),
    _s("shipping_provider", 200),
    _n("attempts", **REQUIRED),
    sa.Column("last_error", sa.Text),
    sa.Column("needs_sync", sa.Boolean, nullable=False),
    _s("sync_reasons", 200, **REQUIRED),
    _at("created_at", **REQUIRED),
    _at("updated_at", **REQUIRED),
    _s("claimed_by", 64),
    _at("claim_expires_at"),
    _n("sync_generation"),
    sa.Index("ix_orders_sync", "client_id", "needs_sync"),
    sa.Index("ix_orders_vtex", "client_id", "vtex_order_id"),
)

order_returns = sa.Table(
    "order_returns",
    metadata,
    _client(),
    _s("return_id", **KEY),
    _s("order_id", **REQUIRED),
    _s("return_type"),
    _s("return_status", 60),
    _s("refund_total"),
    _s("currency", 3),
    sa.Column("seller_skus", sa.Text),
    _s("vtex_return_invoice", 80),
    _at("updated_at", **REQUIRED),
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    _client(),
    _s("name", 60, **KEY),
    sa.Column("value", sa.Text, nullable=False),
    _at("updated_at", **REQUIRED),
)

invoice_uploads = sa.Table(
    "invoice_uploads",
    metadata,
    _client(),
    _s("package_id", **KEY),
    _s("order_key", 400, **KEY),
    _s("vtex_order_id", 80),
    _s("invoice_number", 60),
    _s("access_key", 44),
    _s("xml_sha256", 64),
    sa.Column("xml_object", sa.Text),
    _n("xml_bytes"),
    sa.Column("value_cents", sa.BigInteger),
    _s("vtex_tracking_number", 80),
    _s("vtex_courier", 200),
    _s("status", 20, **REQUIRED),
    _s("tiktok_status", 20),
    sa.Column("invalid_reason", sa.Text),
    sa.Column("rejected_sha256", sa.Text, nullable=False),
    _n("attempts", **REQUIRED),
    _at("next_attempt_at"),
    sa.Column("last_error", sa.Text),
    _at("uploaded_at"),
    _at("verdict_at"),
    _at("created_at", **REQUIRED),
    _at("updated_at", **REQUIRED),
    sa.Index("ix_invoice_uploads_status", "client_id", "status"),
)

package_shipments = sa.Table(
    "package_shipments",
    metadata,
    _client(),
    _s("package_id", **KEY),
    _s("order_key", 400, **REQUIRED),
    _s("vtex_order_id", 80),
    _s("invoice_number", 60),
    _s("status", 20, **REQUIRED),
    _s("handover_method", 20),
    _s("package_status", 30),
    _s("tracking_number", 80),
    _s("shipping_provider_id"),
    _s("shipping_provider", 200),
    sa.Column("tracking_event", sa.Text),
    _at("tracking_event_at"),
    _s("order_map_tracking", 80),
    _s("vtex_tracking", 80),
    _n("attempts", **REQUIRED),
    _at("next_attempt_at"),
    sa.Column("last_error", sa.Text),
    _at("shipped_at"),
    _at("created_at", **REQUIRED),
    _at("updated_at", **REQUIRED),
    sa.Index("ix_package_shipments_status", "client_id", "status"),
)

fulfilment_dead_letters = sa.Table(
    "fulfilment_dead_letters",
    metadata,
    _n("id", primary_key=True, autoincrement=True),
    _client(primary_key=False),
    _s("stage", 20, **REQUIRED),
    _s("order_id"),
    _s("package_id"),
    _s("vtex_order_id", 80),
    _s("reason", **REQUIRED),
    _s("failed_check"),
    sa.Column("detail", sa.Text),
    _s("xml_sha256", 64),
    _s("dedup_key", 300, **REQUIRED),
    _n("occurrences", **REQUIRED),
    _at("first_at", **REQUIRED),
    _at("last_at", **REQUIRED),
    _at("resolved_at"),
    sa.Index("ix_dead_letters_open", "client_id", "resolved_at"),
    sa.Index("ix_dead_letters_key", "client_id", "dedup_key"),
)

tiktok_brands = sa.Table(
    "tiktok_brands",
    metadata,
    _client(),
    _s("brand_key", 200, **KEY),
    _s("brand_name", 200, **REQUIRED),
    _s("tiktok_brand_id"),
    _s("tiktok_brand_name", 200),
    _s("origin", 20),
    _s("status", 20, **REQUIRED),
    sa.Column("last_error", sa.Text),
    _at("updated_at", **REQUIRED),
)

tiktok_categories = sa.Table(
    "tiktok_categories",
    metadata,
    _client(),
    _s("category_id", **KEY),
    _s("parent_id", **REQUIRED),
    _s("local_name", 300, **REQUIRED),
    sa.Column("is_leaf", sa.Boolean, nullable=False),
    sa.Column("permitted", sa.Boolean, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    _at("fetched_at", **REQUIRED),
)

tiktok_category_rules = sa.Table(
    "tiktok_category_rules",
    metadata,
    _client(),
    _s("category_id", **KEY),
    sa.Column("rules", sa.Text, nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),
    _at("fetched_at", **REQUIRED),
)

category_mappings = sa.Table(
    "category_mappings",
    metadata,
    _client(),
    _s("source_kind", **KEY),
    _s("source_value", 1000, **KEY),
    sa.Column("source_label", sa.Text),
    _s("tiktok_category_id"),
    _s("status", 20, **REQUIRED),
    _s("origin", 20, **REQUIRED),
    sa.Column("score", sa.Float),
    sa.Column("sample_title", sa.Text),
    _n("products", **REQUIRED),
    _at("created_at", **REQUIRED),
    _at("updated_at", **REQUIRED),
    _at("decided_at"),
)

attribute_rules = sa.Table(
    "attribute_rules",
    metadata,
    _client(),
    _s("category_id", **KEY),
    _s("attribute_key", 200, **KEY),
    _s("attribute", 200, **REQUIRED),
    sa.Column("source", sa.Text, nullable=False),
    _at("updated_at", **REQUIRED),
)

tiktok_images = sa.Table(
    "tiktok_images",
    metadata,
    _client(),
    _s("content_hash", 64, **KEY),
    _s("use_case", 30, **KEY),
    sa.Column("uri", sa.Text, nullable=False),
    _n("width"),
    _n("height"),
    _at("uploaded_at", **REQUIRED),
)
