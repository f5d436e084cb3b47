"""The schema of the release before a channel's ids were named (TikTok-named tables and columns, no
`channel`): the baseline. A state DB made by that release, which has no version, is stamped here and
upgraded from here.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from tiktok_pipelines.stores.migrations import columns

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.Column("vtex_account", sa.String(length=100), nullable=False),
        sa.Column("vtex_environment", sa.String(length=100), nullable=False),
        sa.Column("vtex_app_key_enc", sa.Text(), nullable=False),
        sa.Column("vtex_app_token_enc", sa.Text(), nullable=False),
        sa.Column("vtex_warehouse_ids", sa.Text(), nullable=False),
        sa.Column("vtex_trade_policy", sa.String(length=20), nullable=False),
        sa.Column("vtex_affiliate_id", sa.String(length=20), nullable=True),
        sa.Column("tiktok_shop_code", sa.String(length=100), nullable=True),
        sa.Column("tiktok_shop_id", sa.String(length=40), nullable=True),
        sa.Column("tiktok_shop_cipher_enc", sa.Text(), nullable=True),
        sa.Column("tiktok_warehouse_ids", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index("ix_clients_tiktok_shop_code", "clients", ["tiktok_shop_code"], unique=False)
    op.create_index("ix_clients_tiktok_shop_id", "clients", ["tiktok_shop_id"], unique=False)
    op.create_table(
        "event_dead_letter",
        *columns.event_key(),
        sa.Column("client_id", sa.String(length=63), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("trace", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "event_id", name="uq_event_dead_letter_source_event"),
    )
    op.create_index(
        "ix_event_dead_letter_status_client", "event_dead_letter", ["status", "client_id"], unique=False
    )
    op.create_table(
        "event_log",
        *columns.event_key(),
        sa.Column("client_id", sa.String(length=63), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skew_seconds", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_key", sa.String(length=200), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "event_id", name="uq_event_log_source_event"),
    )
    op.create_index("ix_event_log_client_status", "event_log", ["client_id", "status"], unique=False)
    op.create_index("ix_event_log_received", "event_log", ["received_at"], unique=False)
    op.create_table(
        "event_queue",
        *columns.event_key(),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visible_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "event_id", name="uq_event_queue_source_event"),
    )
    op.create_index("ix_event_queue_visible", "event_queue", ["visible_after", "id"], unique=False)
    op.create_table(
        "attribute_rules",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("attribute_key", sa.String(length=200), nullable=False),
        sa.Column("attribute", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "category_id", "attribute_key"),
    )
    op.create_table(
        "category_mappings",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("source_value", sa.String(length=1000), nullable=False),
        sa.Column("source_label", sa.Text(), nullable=True),
        sa.Column("tiktok_category_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("sample_title", sa.Text(), nullable=True),
        sa.Column("products", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "source_kind", "source_value"),
    )
    op.create_table(
        "feed_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=True),
        sa.Column("rejected_count", sa.Integer(), nullable=True),
        sa.Column("catalog_hash", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parsed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "content_hash", name="uq_feed_snapshots_client_hash"),
    )
    op.create_index(
        "ix_feed_snapshots_client_fetched", "feed_snapshots", ["client_id", "fetched_at"], unique=False
    )
    op.create_table(
        "fulfilment_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("package_id", sa.String(length=40), nullable=True),
        sa.Column("vtex_order_id", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("failed_check", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("xml_sha256", sa.String(length=64), nullable=True),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_dead_letters_key", "fulfilment_dead_letters", ["client_id", "dedup_key"], unique=False
    )
    op.create_index(
        "ix_dead_letters_open", "fulfilment_dead_letters", ["client_id", "resolved_at"], unique=False
    )
    op.create_table(
        "image_sources",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "url_hash"),
    )
    op.create_table(
        "invoice_uploads",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("package_id", sa.String(length=40), nullable=False),
        sa.Column("order_key", sa.String(length=400), nullable=False),
        sa.Column("vtex_order_id", sa.String(length=80), nullable=True),
        sa.Column("invoice_number", sa.String(length=60), nullable=True),
        sa.Column("access_key", sa.String(length=44), nullable=True),
        sa.Column("xml_sha256", sa.String(length=64), nullable=True),
        sa.Column("xml_object", sa.Text(), nullable=True),
        sa.Column("xml_bytes", sa.Integer(), nullable=True),
        sa.Column("value_cents", sa.BigInteger(), nullable=True),
        sa.Column("vtex_tracking_number", sa.String(length=80), nullable=True),
        sa.Column("vtex_courier", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tiktok_status", sa.String(length=20), nullable=True),
        sa.Column("invalid_reason", sa.Text(), nullable=True),
        sa.Column("rejected_sha256", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verdict_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "package_id", "order_key"),
    )
    op.create_index("ix_invoice_uploads_status", "invoice_uploads", ["client_id", "status"], unique=False)
    op.create_table(
        "listing_payloads",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("product_key", sa.String(length=100), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=True),
        sa.Column("part_hashes", sa.Text(), nullable=True),
        sa.Column("failed_hash", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "product_key"),
    )
    op.create_table(
        "listing_products",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("product_key", sa.String(length=100), nullable=False),
        sa.Column("tiktok_product_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "product_key"),
    )
    op.create_index(
        "ix_listing_products_tiktok", "listing_products", ["client_id", "tiktok_product_id"], unique=False
    )
    op.create_table(
        "listing_skus",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("seller_sku", sa.String(length=100), nullable=False),
        sa.Column("product_key", sa.String(length=100), nullable=False),
        sa.Column("tiktok_product_id", sa.String(length=40), nullable=False),
        sa.Column("tiktok_sku_id", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "seller_sku"),
    )
    op.create_index(
        "ix_listing_skus_product", "listing_skus", ["client_id", "tiktok_product_id"], unique=False
    )
    op.create_index(
        "ix_listing_skus_tiktok_sku", "listing_skus", ["client_id", "tiktok_sku_id"], unique=False
    )
    op.create_table(
        "order_returns",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("return_type", sa.String(length=40), nullable=True),
        sa.Column("return_status", sa.String(length=60), nullable=True),
        sa.Column("refund_total", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("seller_skus", sa.Text(), nullable=True),
        sa.Column("vtex_return_invoice", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "return_id"),
    )
    op.create_table(
        "orders",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("tiktok_status", sa.String(length=40), nullable=True),
        sa.Column("tiktok_update_time", sa.BigInteger(), nullable=True),
        sa.Column("detail_enc", sa.Text(), nullable=True),
        sa.Column("detail_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("vtex_order_id", sa.String(length=80), nullable=True),
        sa.Column("vtex_status", sa.String(length=40), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_status", sa.String(length=60), nullable=True),
        sa.Column("return_status", sa.String(length=60), nullable=True),
        sa.Column("address_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=80), nullable=True),
        sa.Column("shipping_provider", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("needs_sync", sa.Boolean(), nullable=False),
        sa.Column("sync_reasons", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_generation", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "order_id"),
    )
    op.create_index("ix_orders_sync", "orders", ["client_id", "needs_sync"], unique=False)
    op.create_index("ix_orders_vtex", "orders", ["client_id", "vtex_order_id"], unique=False)
    op.create_table(
        "package_shipments",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("package_id", sa.String(length=40), nullable=False),
        sa.Column("order_key", sa.String(length=400), nullable=False),
        sa.Column("vtex_order_id", sa.String(length=80), nullable=True),
        sa.Column("invoice_number", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("handover_method", sa.String(length=20), nullable=True),
        sa.Column("package_status", sa.String(length=30), nullable=True),
        sa.Column("tracking_number", sa.String(length=80), nullable=True),
        sa.Column("shipping_provider_id", sa.String(length=40), nullable=True),
        sa.Column("shipping_provider", sa.String(length=200), nullable=True),
        sa.Column("tracking_event", sa.Text(), nullable=True),
        sa.Column("tracking_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_map_tracking", sa.String(length=80), nullable=True),
        sa.Column("vtex_tracking", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "package_id"),
    )
    op.create_index("ix_package_shipments_status", "package_shipments", ["client_id", "status"], unique=False)
    op.create_table(
        "shrink_guard",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "snapshot_hash"),
    )
    op.create_table(
        "sku_sync",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seller_sku", sa.String(length=100), nullable=False),
        sa.Column("vtex_sku_id", sa.String(length=40), nullable=True),
        sa.Column("tiktok_product_id", sa.String(length=40), nullable=False),
        sa.Column("tiktok_sku_id", sa.String(length=40), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("observed", sa.Text(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_run", sa.String(length=64), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("confirmed", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_source", sa.String(length=10), nullable=True),
        sa.Column("held", sa.Text(), nullable=True),
        sa.Column("approved", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extra_warehouses", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "kind", "seller_sku"),
    )
    op.create_index("ix_sku_sync_observed", "sku_sync", ["client_id", "kind", "observed_at"], unique=False)
    op.create_index("ix_sku_sync_vtex", "sku_sync", ["client_id", "vtex_sku_id"], unique=False)
    op.create_table(
        "sync_cursors",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "name"),
    )
    op.create_table(
        "tiktok_auth_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_enc", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_tiktok_auth_codes_status", "tiktok_auth_codes", ["status"], unique=False)
    op.create_table(
        "tiktok_brands",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("brand_key", sa.String(length=200), nullable=False),
        sa.Column("brand_name", sa.String(length=200), nullable=False),
        sa.Column("tiktok_brand_id", sa.String(length=40), nullable=True),
        sa.Column("tiktok_brand_name", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "brand_key"),
    )
    op.create_table(
        "tiktok_categories",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.String(length=40), nullable=False),
        sa.Column("local_name", sa.String(length=300), nullable=False),
        sa.Column("is_leaf", sa.Boolean(), nullable=False),
        sa.Column("permitted", sa.Boolean(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "category_id"),
    )
    op.create_table(
        "tiktok_category_rules",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "category_id"),
    )
    op.create_table(
        "tiktok_images",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("use_case", sa.String(length=30), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "content_hash", "use_case"),
    )
    op.create_table(
        "tiktok_oauth_states",
        *columns.client_oauth_states(),
    )
    op.create_table(
        "tiktok_token_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=True),
        sa.Column("auth_code_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_tiktok_token_log_client_created", "tiktok_token_log", ["client_id", "created_at"], unique=False
    )
    op.create_table(
        "tiktok_tokens",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_id", sa.String(length=200), nullable=True),
        sa.Column("seller_name", sa.String(length=300), nullable=True),
        sa.Column("seller_base_region", sa.String(length=10), nullable=True),
        sa.Column("granted_scopes", sa.Text(), nullable=False),
        sa.Column("obtained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
