"""`tiktok-pipelines orders`: what it refuses, with the exit codes scripts rely on."""

import json

import pytest
from click.testing import CliRunner

from tiktok_pipelines.channels.tiktok_shop.orders import order_from_detail
from tiktok_pipelines.cli.main import main
from tiktok_pipelines.stores.orders import OrderStore
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.channels.tiktok_shop.test_orders import DETAIL


@pytest.fixture
def cli(registry):
    registry.add(
        build_client(
            client_id="loja",
            feed_url="https://loja.example/feed.xml",
            vtex_account="loja",
            vtex_app_key="k",
            vtex_app_token="t",
            vtex_warehouse_ids=("1_1",),
        )
    )

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_orders_commands_refuse_what_they_cannot_do(cli, state_db):
    store = OrderStore(state_db)
    store.mark_for_sync("loja", ["A", "B"], "order_status")
    store.record_failure("loja", "A", "order A has no valid CPF (looked in cpf)")
    store.update("loja", "A", needs_sync=False)

    assert cli("orders", "list", "nobody").exit_code == 3
    assert cli("orders", "show", "loja", "Z").exit_code == 3
    assert cli("orders", "reprocess", "loja").exit_code == 2  # neither orders nor --all-failed
    assert cli("orders", "reprocess", "loja", "Z").exit_code == 3
    assert cli("orders", "reprocess", "loja", "B").exit_code == 2  # still worked on by the runs
    assert store.get("loja", "B").sync_reasons == "order_status"

    listed = json.loads(cli("orders", "list", "loja", "--json").output)
    assert {r["order_id"]: r["failed"] for r in listed} == {"A": True, "B": False}
    assert cli("orders", "reprocess", "loja", "A").exit_code == 0
    again = store.get("loja", "A")
    assert again.needs_sync and "reprocess" in again.reasons and again.attempts == 0
    assert json.loads(cli("orders", "list", "loja", "--failed", "--json").output) == []


def test_an_order_shows_its_lines_as_its_channel_reads_them(cli, state_db):
    OrderStore(state_db).save_detail("loja", order_from_detail(DETAIL))
    shown = json.loads(cli("orders", "show", "loja", DETAIL["id"], "--json").output)
    assert [
        (line["seller_sku"], line["sale_price"], line["status"], line["package_id"])
        for line in shown["lines"]
    ] == [
        ("REF-2001", "59.90", None, "P1"),
        ("REF-2001", "59.90", None, "P1"),
        ("REF-2002", "19.90", "CANCELLED", None),
        ("GIFT", "0", None, None),
    ]
    # RefIds are no VTEX SKU ids under the default `vtex_sku_id_source`, and no enrichment has run.
    assert {line["vtex_sku_id"] for line in shown["lines"]} == {None}
    assert "Ana" not in json.dumps(shown)  # the buyer stays in the encrypted detail
