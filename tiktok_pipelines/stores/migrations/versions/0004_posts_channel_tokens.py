"""The tables made this release: the creators' post queue and the automatic product posts, Mercado Livre's
tokens and authorization states, and the single-use refresh tokens of channels renewed one at a time
(`channel_tokens`, Shopee's).

Runs on databases of no version too (stamped with the baseline): each step looks before it acts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa

from tiktok_pipelines.stores.migrations import columns, steps

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    steps.create_table(
        "channel_tokens",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("channel", sa.String(length=30), server_default="tiktok_shop", nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_id", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("renewing_by", sa.String(length=40), nullable=True),
        sa.Column("renewing_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("obtained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "channel"),
    )
    steps.create_table(
        "mercado_livre_oauth_states",
        *columns.client_oauth_states(),
    )
    steps.create_table(
        "mercado_livre_tokens",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=True),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_scopes", sa.Text(), nullable=False),
        sa.Column("obtained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    steps.create_table(
        "product_post_seen",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("product_key", sa.String(length=100), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "product_key"),
    )
    steps.create_table(
        "product_post_watches",
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("creator_id", sa.String(length=63), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("baseline", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    steps.create_table(
        "creator_posts",
        sa.Column("post_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.String(length=63), nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("source_key", sa.String(length=250), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("media_kind", sa.String(length=10), nullable=True),
        sa.Column("media", sa.Text(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("privacy_level", sa.String(length=30), nullable=False),
        sa.Column("posted_privacy", sa.String(length=30), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("claim", sa.String(length=40), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("init_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publish_id", sa.String(length=200), nullable=True),
        sa.Column("upload_url_enc", sa.Text(), nullable=True),
        sa.Column("video_size", sa.BigInteger(), nullable=True),
        sa.Column("chunk_size", sa.BigInteger(), nullable=True),
        sa.Column("chunks", sa.Integer(), nullable=True),
        sa.Column("publish_status", sa.String(length=40), nullable=True),
        sa.Column("post_ids", sa.Text(), nullable=True),
        sa.Column("initiated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["creator_id"], ["creators.creator_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
        sa.UniqueConstraint("source_key"),
    )
    steps.create_index(
        "ix_creator_posts_due", "creator_posts", ["creator_id", "status", "due_at"], unique=False
    )


def downgrade() -> None:
    raise NotImplementedError("the post, product post and channel token tables are not dropped")
