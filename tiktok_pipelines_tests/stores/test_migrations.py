"""The state DB's migrations, on SQLite and PostgreSQL: a state DB of the release before versions (the
baseline's schema: TikTok-named tables and columns, no `channel`) is upgraded in place when it is opened,
its rows read back under the new names as TikTok Shop's, and its schema is then the declared one; so is
a database migrated from nothing, which is what fails when a table changes without a revision."""

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner
from pydantic import SecretStr

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.settings import ConfigError
from tiktok_pipelines.stores.catalog import AttributeRuleStore, BrandMap, CategoryStore, ImageStore
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB, create_state_engine, metadata
from tiktok_pipelines.stores.fulfilment import FulfilmentStore
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines.stores.schema import (
    BASELINE,
    VERSION_TABLE,
    alembic_config,
    differences,
    head,
    upgrade,
    version,
)
from tiktok_pipelines.stores.stock_price import SkuSyncStore

pytestmark = pytest.mark.each_database

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLIENT = "loja"


def _former_rows() -> dict[str, list[dict]]:
    client = {"client_id": CLIENT}
    return {
        "clients": [
            {
                **client,
                "feed_url": "https://loja.example/feed.xml",
                "vtex_account": "loja",
                "vtex_environment": "vtexcommercestable",
                "vtex_app_key_enc": "k",
                "vtex_app_token_enc": "t",
                "vtex_warehouse_ids": '["1_1"]',
                "vtex_trade_policy": "1",
                "tiktok_warehouse_ids": '["W1"]',
                "options": "{}",
                "status": "active",
                "created_at": AT,
                "updated_at": AT,
            }
        ],
        "listing_products": [
            {**client, "product_key": "G1", "tiktok_product_id": "P1", "status": "ACTIVATE", "failures": 0}
            | {"paused": False, "updated_at": AT, "payload_hash": "h1", "pushed_at": AT}
        ],
        "listing_skus": [
            {**client, "seller_sku": s, "product_key": "G1", "tiktok_product_id": "P1", "tiktok_sku_id": t}
            | {"updated_at": AT}
            for s, t in (("S1", "T1"), ("S2", "T2"))
        ],
        "listing_payloads": [{**client, "product_key": "G1", "source_hash": "src1", "updated_at": AT}],
        "sku_sync": [
            {**client, "kind": kind, "seller_sku": "S1", "vtex_sku_id": "2001", "tiktok_product_id": "P1"}
            | {"tiktok_sku_id": "T1", "dirty": False, "attempts": 0, "updated_at": AT, "target": '{"W1":3}'}
            for kind in ("stock", "price")
        ],
        "orders": [
            {**client, "order_id": "O1", "tiktok_status": "AWAITING_SHIPMENT", "tiktok_update_time": 1700}
            | {"state": "authorized", "vtex_order_id": "TTS-O1", "attempts": 1, "needs_sync": False}
            | {"sync_reasons": "", "created_at": AT, "updated_at": AT}
        ],
        "order_returns": [{**client, "return_id": "R1", "order_id": "O1", "updated_at": AT}],
        "sync_cursors": [{**client, "name": "orders_poll", "value": "1700", "updated_at": AT}],
        "invoice_uploads": [
            {**client, "package_id": "K1", "order_key": "O1", "status": "success", "tiktok_status": "SUCCESS"}
            | {"rejected_sha256": "[]", "attempts": 1, "created_at": AT, "updated_at": AT}
        ],
        "package_shipments": [
            {**client, "package_id": "K1", "order_key": "O1", "status": "shipped", "attempts": 1}
            | {"tracking_number": "BR1", "created_at": AT, "updated_at": AT}
        ],
        "fulfilment_dead_letters": [
            {**client, "stage": "invoice", "order_id": "O2", "reason": "no_invoice", "dedup_key": "d1"}
            | {"occurrences": 1, "first_at": AT, "last_at": AT}
        ],
        "tiktok_brands": [
            {**client, "brand_key": "acai", "brand_name": "Açaí", "tiktok_brand_id": "B7"}
            | {"tiktok_brand_name": "Açaí Sports", "origin": "matched", "status": "mapped", "updated_at": AT}
        ],
        "tiktok_categories": [
            {**client, "category_id": "C9", "parent_id": "0", "local_name": "Camisetas", "is_leaf": True}
            | {"permitted": True, "path": "Roupas > Camisetas", "fetched_at": AT}
        ],
        "tiktok_category_rules": [
            {**client, "category_id": "C9", "rules": "{}", "attributes": "[]", "fetched_at": AT}
        ],
        "category_mappings": [
            {**client, "source_kind": "product_type", "source_value": "Camisetas", "tiktok_category_id": "C9"}
            | {"status": "accepted", "origin": "manual", "products": 3, "created_at": AT, "updated_at": AT}
        ],
        "attribute_rules": [
            {**client, "category_id": "*", "attribute_key": "cor", "attribute": "Cor", "source": "feed:color"}
            | {"updated_at": AT}
        ],
        "tiktok_images": [
            {**client, "content_hash": "c1", "use_case": "MAIN_IMAGE", "uri": "tos://img1", "uploaded_at": AT}
        ],
    }


def _create_former_state_db(url: str) -> None:
    """The previous release's tables (the baseline revision; that release kept no version) and rows."""
    engine = create_state_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), BASELINE)
            conn.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
            tables = sa.MetaData()
            tables.reflect(conn)
            for name, rows in _former_rows().items():
                conn.execute(tables.tables[name].insert(), rows)
    finally:
        engine.dispose()


def test_a_state_db_of_the_former_schema_is_upgraded_on_open_and_its_rows_read_under_the_new_names(settings):
    _create_former_state_db(settings.database_url)

    db = StateDB(settings.database_url, SecretBox.from_settings(settings))
    try:
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"channel_brands", "channel_categories", "channel_category_rules", "channel_images"} <= tables
        assert not tables & {"tiktok_brands", "tiktok_categories", "tiktok_category_rules", "tiktok_images"}

        listings = ListingMap(db)
        product = listings.products(CLIENT)["G1"]
        assert (product.channel, product.channel_product_id, product.status) == (
            "tiktok_shop",
            "P1",
            "ACTIVATE",
        )
        assert {s: (k.channel_product_id, k.channel_sku_id) for s, k in listings.skus(CLIENT).items()} == {
            "S1": ("P1", "T1"),
            "S2": ("P1", "T2"),
        }
        assert listings.sku_by_channel_id(CLIENT, "T2").seller_sku == "S2"
        assert listings.payload_states(CLIENT)["G1"].source_hash == "src1"

        stock = SkuSyncStore(db).rows(CLIENT, "stock")
        assert [
            (r.channel, r.vtex_sku_id, r.channel_product_id, r.channel_sku_id, r.target) for r in stock
        ] == [("tiktok_shop", "2001", "P1", "T1", '{"W1":3}')]

        orders = OrderStore(db)
        order = orders.get(CLIENT, "O1")
        assert (order.channel, order.channel_status, order.channel_update_time, order.vtex_order_id) == (
            "tiktok_shop",
            "AWAITING_SHIPMENT",
            1700,
            "TTS-O1",
        )
        assert [r["return_id"] for r in orders.returns(CLIENT)] == ["R1"]
        assert orders.cursor(CLIENT, "orders_poll") == "1700"

        fulfil = FulfilmentStore(db)
        assert fulfil.upload(CLIENT, "K1", "O1").channel_status == "SUCCESS"
        assert fulfil.shipment(CLIENT, "K1").tracking_number == "BR1"
        assert [(d.channel, d.reason) for d in fulfil.open_dead_letters(CLIENT)] == [
            ("tiktok_shop", "no_invoice")
        ]

        brand = BrandMap(db).all(CLIENT)["acai"]
        assert (brand.channel_brand_id, brand.channel_brand_name) == ("B7", "Açaí Sports")
        categories = CategoryStore(db)
        assert categories.tree(CLIENT)["C9"].path == "Roupas > Camisetas"
        assert list(categories.rules(CLIENT)) == ["C9"]
        assert [m.channel_category_id for m in categories.mappings(CLIENT)] == ["C9"]
        assert [r.source for r in AttributeRuleStore(db).all(CLIENT)] == ["feed:color"]
        assert ImageStore(db).upload(CLIENT, "c1", "MAIN_IMAGE") == "tos://img1"

        # The channel is part of the keys now: another channel's listing of the same product stands beside.
        ListingMap(db, "mercado_livre").save_listing(CLIENT, "G1", "MLB1", "active", "h2", {"S1": "MLB1-1"})
        assert ListingMap(db, "mercado_livre").skus(CLIENT)["S1"].channel_sku_id == "MLB1-1"
        assert listings.skus(CLIENT)["S1"].channel_sku_id == "T1"
        OrderStore(db, "mercado_livre").mark_for_sync(CLIENT, ["O1"], "poll")
        assert orders.get(CLIENT, "O1").state == "authorized"

        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("listing_products")}
        assert "ix_listing_products_channel_id" in indexes and "ix_listing_products_tiktok" not in indexes
        found = version(db.engine)
        assert (found.current, found.up_to_date) == (head(), True)
        with db.engine.connect() as conn:
            assert differences(conn, metadata) == []
        assert upgrade(db.engine, metadata) == []  # done once
    finally:
        db.dispose()

    again = StateDB(settings.database_url, SecretBox.from_settings(settings))  # a later start
    try:
        assert ListingMap(again).products(CLIENT)["G1"].channel_product_id == "P1"
    finally:
        again.dispose()


def _with_new_orders_column(primary_key: bool = False) -> sa.MetaData:
    """The declared tables, but `orders` with a column (in its key) no revision adds."""
    changed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["orders"].append_column(sa.Column("gift_note", sa.String(20), primary_key=primary_key))
    return changed


def test_the_migrations_from_nothing_give_the_declared_tables(settings):
    """Fails when a table or column is declared without a revision (docs/architecture.md)."""
    engine = create_state_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.connect() as conn:
            assert differences(conn, metadata) == []
            assert [d[0] for d in differences(conn, _with_new_orders_column())] == ["add_column"]
            widened = _with_new_orders_column(primary_key=True)  # a key changed without a revision
            assert [d[0] for d in differences(conn, widened)] == ["add_column", "primary_key"]
    finally:
        engine.dispose()


def test_two_processes_migrating_a_former_state_db_at_once_migrate_it_once(settings):
    _create_former_state_db(settings.database_url)
    command_line = [sys.executable, "-m", "tiktok_pipelines.cli", "state", "migrate"]
    both = [
        subprocess.Popen(command_line, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = sorted(process.communicate(timeout=120)[0] for process in both)
    assert [process.returncode for process in both] == [0, 0], outputs
    assert f"applied {_after_baseline()}" in outputs[0] and "nothing to apply" in outputs[1], outputs
    db = StateDB(settings.database_url, SecretBox.from_settings(settings))
    try:
        assert ListingMap(db).products(CLIENT)["G1"].channel_product_id == "P1"
    finally:
        db.dispose()


def test_a_new_state_db_is_made_at_the_newest_revision(settings):
    db = StateDB(settings.database_url, SecretBox.from_settings(settings))
    try:
        assert version(db.engine).current == head()
        with db.engine.connect() as conn:
            assert differences(conn, metadata) == []
    finally:
        db.dispose()


def test_state_version_and_migrate_on_the_command_line(settings):
    _create_former_state_db(settings.database_url)

    def cli(*args):
        return CliRunner().invoke(main, ["state", *args], catch_exceptions=False)

    before = cli("version")
    assert before.exit_code == 0, before.output
    assert "revision: none (the release before versions: upgraded from 0001)" in before.output
    assert f"to apply: {_after_baseline()}" in before.output
    migrated = cli("migrate")
    assert f"applied {_after_baseline()}; now at {head()}" in migrated.output
    assert f"at {head()}, nothing to apply" in cli("migrate").output
    after = cli("version").output
    assert f"revision: {head()}" in after and "to apply: nothing, up to date" in after


def test_a_state_db_a_newer_release_migrated_is_refused_and_left_as_it_is(settings):
    db = StateDB(settings.database_url, SecretBox.from_settings(settings))
    with db.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0999'"))
    db.dispose()
    with pytest.raises(ConfigError, match="schema revision 0999, which this release does not know"):
        StateDB(settings.database_url, SecretBox.from_settings(settings))
    result = CliRunner().invoke(main, ["state", "migrate"])
    assert result.exit_code == 5 and "newest is " + head() in result.output
    engine = create_state_engine(settings.database_url)
    try:
        assert version(engine).current == "0999"
    finally:
        engine.dispose()


def _upgraded_to(conn: sa.Connection, revision: str) -> tuple[sa.MetaData, dict]:
    """The tables of a state DB brought to `revision`, and the former release's client in their columns."""
    command.upgrade(alembic_config(conn), revision)
    tables = sa.MetaData()
    tables.reflect(conn)
    client = {k: v for k, v in _former_rows()["clients"][0].items() if k in tables.tables["clients"].c}
    return tables, client


def _after_baseline() -> str:
    """The revisions after the baseline, as `state version` and `state migrate` list them."""
    return ", ".join(f"{number:04d}" for number in range(2, int(head()) + 1))


def test_mercado_livre_tokens_and_link_states_of_the_previous_revision_move_into_the_channel_tables(settings):
    """A state DB at 0004 with a seller connected and a consent link out: after the upgrade the grant is
    read from `channel_tokens` (same tokens, seller, scopes; renewable) and the link still works once."""
    from datetime import timedelta

    from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore, client_of_seller
    from tiktok_pipelines.stores.oauth_states import OAuthStateError, consume_link_state, state_hash

    box = SecretBox.from_settings(settings)
    engine = create_state_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            tables, client = _upgraded_to(conn, "0004")
            conn.execute(tables.tables["clients"].insert(), [client])
            conn.execute(
                tables.tables["mercado_livre_tokens"].insert(),
                [
                    {
                        "client_id": CLIENT,
                        "seller_id": "146322322",
                        "access_token_enc": box.encrypt("APP_USR-old-146322322"),
                        "access_token_expires_at": AT + timedelta(hours=6),
                        "refresh_token_enc": box.encrypt("TG-old-146322322"),
                        "refresh_token_hash": "h",
                        "refresh_token_expires_at": AT + timedelta(days=180),
                        "granted_scopes": '["offline_access", "read", "write"]',
                        "obtained_at": AT,
                        "updated_at": AT,
                    }
                ],
            )
            conn.execute(
                tables.tables["mercado_livre_oauth_states"].insert(),
                [
                    {
                        "state_hash": state_hash("link-state"),
                        "client_id": CLIENT,
                        "created_at": datetime.now(UTC),
                        "expires_at": datetime.now(UTC) + timedelta(minutes=30),
                    }
                ],
            )
    finally:
        engine.dispose()

    db = StateDB(settings.database_url, box)
    try:
        assert not {"mercado_livre_tokens", "mercado_livre_oauth_states"} & set(
            sa.inspect(db.engine).get_table_names()
        )
        store = ChannelTokenStore(db, "mercado_livre")
        grant = store.get_tokens(CLIENT)
        assert grant.access_token.get_secret_value() == "APP_USR-old-146322322"
        assert grant.refresh_token.get_secret_value() == "TG-old-146322322"
        assert (grant.open_id, grant.granted_scopes) == ("146322322", ("offline_access", "read", "write"))
        assert client_of_seller(db, "146322322") == CLIENT
        assert store.status(CLIENT).status == "connected"
        renewed = store.renew(CLIENT, lambda g: replace(g, refresh_token=SecretStr("TG-new-146322322")))
        assert store.get_tokens(CLIENT).refresh_token == renewed.refresh_token
        assert consume_link_state(db, "mercado_livre", "link-state", "Mercado Livre") == CLIENT
        with pytest.raises(OAuthStateError, match="already used"):
            consume_link_state(db, "mercado_livre", "link-state", "Mercado Livre")
        with db.engine.connect() as conn:
            assert differences(conn, metadata) == []
    finally:
        db.dispose()


def test_a_client_needing_reauthorization_at_the_previous_revision_is_active_with_its_tiktok_grant_marked(
    settings,
):
    """A state DB at 0005 whose client was `needs_reauthorization` (the client-wide stop of former
    releases), with TikTok tokens, and another one with none left: after the upgrade both are active (their
    other channels run) and the first one's TikTok grant carries the mark, since the client's last change;
    a new consent clears it."""
    from datetime import timedelta

    from tiktok_pipelines.stores.registry import ClientRegistry
    from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore

    box = SecretBox.from_settings(settings)
    engine = create_state_engine(settings.database_url)
    marked_at = AT - timedelta(days=2)
    try:
        with engine.begin() as conn:
            tables, client = _upgraded_to(conn, "0005")
            client |= {"vtex_app_key_enc": box.encrypt("key"), "vtex_app_token_enc": box.encrypt("token")}
            conn.execute(
                tables.tables["clients"].insert(),
                [
                    client | {"status": "needs_reauthorization", "updated_at": marked_at},
                    client | {"client_id": "loja-2", "status": "needs_reauthorization"},
                    client | {"client_id": "loja-3", "status": "paused"},
                ],
            )
            conn.execute(
                tables.tables["tiktok_tokens"].insert(),
                [
                    {
                        "client_id": CLIENT,
                        "access_token_enc": box.encrypt("TTP_old-access"),
                        "access_token_expires_at": AT + timedelta(days=7),
                        "refresh_token_enc": box.encrypt("TTP_old-refresh"),
                        "refresh_token_expires_at": AT + timedelta(days=30),
                        "open_id": "seller-1",
                        "granted_scopes": "[]",
                        "obtained_at": AT - timedelta(days=10),
                        "updated_at": AT - timedelta(days=10),
                    }
                ],
            )
    finally:
        engine.dispose()

    db = StateDB(settings.database_url, box)
    try:
        registry = ClientRegistry(db)
        assert {c.client_id: c.status for c in registry.list()} == {
            CLIENT: "active",
            "loja-2": "active",
            "loja-3": "paused",
        }
        store = TikTokAuthStore(db)
        grant = store.status(CLIENT)
        assert grant.status == "needs_authorization"
        assert grant.needs_authorization_since == marked_at
        assert "needs_reauthorization" in grant.needs_authorization_reason
        assert store.get_tokens(CLIENT).refresh_token.get_secret_value() == "TTP_old-refresh"
        assert store.status("loja-2") is None
        with db.engine.connect() as conn:
            assert differences(conn, metadata) == []
        store.save_tokens(CLIENT, store.get_tokens(CLIENT))  # a new consent's tokens
        assert store.status(CLIENT).status == "connected"
    finally:
        db.dispose()
