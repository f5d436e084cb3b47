"""The tables and indexes made since the baseline's release: creator accounts, notifications and their
destinations and deliveries; the indexes of the tables that hold a channel's ids, over `channel` too.

Runs on databases of no version too (stamped with the baseline): each step looks before it acts.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa

from tiktok_pipelines.stores.migrations import steps

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    steps.create_table(
        "creator_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("receipt", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("requested_via", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("receipt"),
    )
    steps.create_table(
        "creators",
        sa.Column("creator_id", sa.String(length=63), nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("open_id", sa.String(length=200), nullable=True),
        sa.Column("granted_scopes", sa.Text(), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("username", sa.String(length=300), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("follower_count", sa.BigInteger(), nullable=True),
        sa.Column("following_count", sa.BigInteger(), nullable=True),
        sa.Column("likes_count", sa.BigInteger(), nullable=True),
        sa.Column("video_count", sa.BigInteger(), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("creator_id"),
    )
    steps.create_index("ix_creators_client", "creators", ["client_id"], unique=False)
    steps.create_table(
        "notification_destinations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("url_enc", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("quiet_hours", sa.String(length=11), nullable=True),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "name", name="uq_notification_destinations_client_name"),
    )
    steps.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "dedup_key", name="uq_notifications_client_dedup"),
    )
    steps.create_index(
        "ix_notifications_client_created", "notifications", ["client_id", "created_at"], unique=False
    )
    steps.create_table(
        "creator_oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("creator_id", sa.String(length=63), nullable=False),
        sa.Column("verifier_enc", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.creator_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    steps.create_table(
        "creator_sync_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.String(length=63), nullable=False),
        sa.Column("requested_via", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.creator_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    steps.create_index(
        "ix_creator_sync_requests_taken", "creator_sync_requests", ["taken_at", "id"], unique=False
    )
    steps.create_table(
        "creator_tokens",
        sa.Column("creator_id", sa.String(length=63), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_lifetime_seconds", sa.Integer(), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("obtained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.creator_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("creator_id"),
    )
    steps.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["destination_id"], ["notification_destinations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "notification_id", "destination_id", name="uq_deliveries_notification_destination"
        ),
    )
    steps.create_index(
        "ix_deliveries_due", "notification_deliveries", ["state", "next_attempt_at"], unique=False
    )
    steps.replace_index(
        "ix_invoice_uploads_status", "invoice_uploads", ["client_id", "channel", "status"], unique=False
    )
    steps.drop_index("ix_listing_products_tiktok", "listing_products")
    steps.create_index(
        "ix_listing_products_channel_id",
        "listing_products",
        ["client_id", "channel", "channel_product_id"],
        unique=False,
    )
    steps.drop_index("ix_listing_skus_tiktok_sku", "listing_skus")
    steps.replace_index(
        "ix_listing_skus_product",
        "listing_skus",
        ["client_id", "channel", "channel_product_id"],
        unique=False,
    )
    steps.create_index(
        "ix_listing_skus_channel_sku",
        "listing_skus",
        ["client_id", "channel", "channel_sku_id"],
        unique=False,
    )
    steps.replace_index("ix_orders_sync", "orders", ["client_id", "channel", "needs_sync"], unique=False)
    steps.replace_index(
        "ix_package_shipments_status", "package_shipments", ["client_id", "channel", "status"], unique=False
    )
    steps.replace_index(
        "ix_sku_sync_observed", "sku_sync", ["client_id", "channel", "kind", "observed_at"], unique=False
    )
    steps.replace_index("ix_sku_sync_vtex", "sku_sync", ["client_id", "channel", "vtex_sku_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("the creator and notification tables are not dropped")
