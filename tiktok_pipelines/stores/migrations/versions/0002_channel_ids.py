"""A channel's ids named for any channel: TikTok-named tables and columns renamed, and a `channel`
column (every existing row TikTok Shop's) in the tables that hold a channel's ids, part of the key where
two channels' rows would otherwise collide.

Runs on databases of no version too (stamped with the baseline): each step looks before it acts.

Revision ID: 0002
Revises: 0001
"""

import warnings

import sqlalchemy as sa
from alembic import op

from tiktok_pipelines.stores.migrations import steps

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHANNEL = "tiktok_shop"

TABLE_RENAMES = {
    "tiktok_brands": "channel_brands",
    "tiktok_categories": "channel_categories",
    "tiktok_category_rules": "channel_category_rules",
    "tiktok_images": "channel_images",
}

COLUMN_RENAMES = {
    "listing_products": {"tiktok_product_id": "channel_product_id"},
    "listing_skus": {"tiktok_product_id": "channel_product_id", "tiktok_sku_id": "channel_sku_id"},
    "sku_sync": {"tiktok_product_id": "channel_product_id", "tiktok_sku_id": "channel_sku_id"},
    "orders": {"tiktok_status": "channel_status", "tiktok_update_time": "channel_update_time"},
    "invoice_uploads": {"tiktok_status": "channel_status"},
    "channel_brands": {"tiktok_brand_id": "channel_brand_id", "tiktok_brand_name": "channel_brand_name"},
    "category_mappings": {"tiktok_category_id": "channel_category_id"},
}

# The tables whose key gains `channel` after `client_id`, and those where it is a plain column.
CHANNEL_IN_KEY = (
    "attribute_rules",
    "category_mappings",
    "channel_brands",
    "channel_categories",
    "channel_category_rules",
    "channel_images",
    "invoice_uploads",
    "listing_payloads",
    "listing_products",
    "listing_skus",
    "order_returns",
    "orders",
    "package_shipments",
    "sku_sync",
    "sync_cursors",
)
CHANNEL_COLUMN = ("fulfilment_dead_letters",)


def _channel() -> sa.Column:
    return sa.Column("channel", sa.String(30), nullable=False, server_default=CHANNEL)


def upgrade() -> None:
    conn = op.get_bind()
    for old, new in TABLE_RENAMES.items():
        if steps.has_table(old) and not steps.has_table(new):
            op.rename_table(old, new)
            _rename_constraints(conn, new, old)
    for table, renames in COLUMN_RENAMES.items():
        present = steps.columns(table)
        with op.batch_alter_table(table) as batch:
            for old, new in renames.items():
                if old in present and new not in present:
                    batch.alter_column(old, new_column_name=new)
    for table in CHANNEL_COLUMN:
        steps.add_column(table, _channel())
    for table in CHANNEL_IN_KEY:
        if "channel" not in steps.columns(table):
            _add_channel_to_key(conn, table)


def _add_channel_to_key(conn: sa.Connection, table: str) -> None:
    """`channel` added (existing rows TikTok Shop's) and put in the key after `client_id`; SQLite, which
    cannot change a key in place, rebuilds the table with its rows and indexes."""
    key = sa.inspect(conn).get_pk_constraint(table)
    names = list(key["constrained_columns"])
    names.insert(names.index("client_id") + 1, "channel")
    if conn.dialect.name == "postgresql":
        op.add_column(table, _channel())
        op.drop_constraint(key["name"], table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, names)
        return
    with warnings.catch_warnings():  # the copy's reflected key is replaced by the wider one, as meant
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.add_column(_channel())
            batch.create_primary_key(f"pk_{table}", names)


def _rename_constraints(conn: sa.Connection, table: str, former: str) -> None:
    """Postgres keeps a renamed table's constraint names (`<former>_pkey`...): they follow its name, so a
    later table of the former name can be made."""
    if conn.dialect.name != "postgresql":
        return
    names = conn.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"), {"t": table}
    ).scalars()
    for name in list(names):
        if name.startswith(former + "_"):
            op.execute(
                sa.text(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{name}" TO "{table}{name[len(former) :]}"')
            )


def downgrade() -> None:
    raise NotImplementedError("a channel's ids are not renamed back")
