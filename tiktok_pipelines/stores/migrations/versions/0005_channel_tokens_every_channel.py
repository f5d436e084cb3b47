"""One token table for the channels whose refresh tokens are single use: Mercado Livre's tokens move into
`channel_tokens` (channel `mercado_livre`, the seller id as `open_id`, their scopes kept), which gains the
granted scopes, the shops a main account's grant covers, when the seller's consent ends and the
per-channel "needs authorization" mark; the states of Mercado Livre's (and Shopee's) authorization links
move into `channel_oauth_states`, bound to the channel. The former tables are dropped once their rows are
moved. Runs on databases of no version too: each step looks before it acts.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from tiktok_pipelines.stores.migrations import steps

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MERCADO_LIVRE = "mercado_livre"


def upgrade() -> None:
    for column in (
        sa.Column("granted_scopes", sa.Text(), nullable=True),
        sa.Column("shop_ids", sa.Text(), nullable=True),
        sa.Column("authorization_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_authorization_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_authorization_reason", sa.Text(), nullable=True),
    ):
        steps.add_column("channel_tokens", column)
    steps.create_table(
        "channel_oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=63), nullable=False),
        sa.Column("channel", sa.String(length=30), server_default="tiktok_shop", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    if steps.has_table("mercado_livre_tokens"):
        _move_tokens()
        op.drop_table("mercado_livre_tokens")
    if steps.has_table("mercado_livre_oauth_states"):
        _move_states()
        op.drop_table("mercado_livre_oauth_states")


def _move_tokens() -> None:
    """Each client's Mercado Livre grant, unless `channel_tokens` has one for it already."""
    old = sa.table(
        "mercado_livre_tokens",
        *(
            sa.column(name)
            for name in (
                "client_id",
                "seller_id",
                "access_token_enc",
                "access_token_expires_at",
                "refresh_token_enc",
                "refresh_token_expires_at",
                "granted_scopes",
                "obtained_at",
                "refreshed_at",
                "updated_at",
            )
        ),
    )
    new = sa.table(
        "channel_tokens",
        *(
            sa.column(name)
            for name in (
                "client_id",
                "channel",
                "access_token_enc",
                "access_token_expires_at",
                "refresh_token_enc",
                "refresh_token_expires_at",
                "open_id",
                "granted_scopes",
                "version",
                "obtained_at",
                "refreshed_at",
                "updated_at",
            )
        ),
    )
    there = sa.exists().where(new.c.client_id == old.c.client_id, new.c.channel == MERCADO_LIVRE)
    rows = sa.select(
        old.c.client_id,
        sa.literal(MERCADO_LIVRE),
        old.c.access_token_enc,
        old.c.access_token_expires_at,
        old.c.refresh_token_enc,
        old.c.refresh_token_expires_at,
        old.c.seller_id,
        old.c.granted_scopes,
        sa.literal(1),
        old.c.obtained_at,
        old.c.refreshed_at,
        old.c.updated_at,
    ).where(~there)
    op.get_bind().execute(new.insert().from_select(list(new.c), rows))


def _move_states() -> None:
    """The states of Mercado Livre links not yet used up (a link sent just before the upgrade works)."""
    names = ("state_hash", "client_id", "created_at", "expires_at", "used_at")
    old = sa.table("mercado_livre_oauth_states", *(sa.column(n) for n in names))
    new = sa.table("channel_oauth_states", *(sa.column(n) for n in (*names, "channel")))
    there = sa.exists().where(new.c.state_hash == old.c.state_hash)
    rows = sa.select(*(old.c[n] for n in names), sa.literal(MERCADO_LIVRE)).where(~there)
    op.get_bind().execute(new.insert().from_select([new.c[n] for n in (*names, "channel")], rows))


def downgrade() -> None:
    raise NotImplementedError("Mercado Livre's tokens stay in channel_tokens")
