"""The catalog commands: categories, attributes, brands, catalog (status, unpause, confirm-shrink)."""

import json

import pytest
from click.testing import CliRunner

from tiktok_pipelines.channels.tiktok_shop.categories import category_nodes
from tiktok_pipelines.cli.main import main
from tiktok_pipelines.stores.catalog import BrandMap, CategoryStore, ShrinkGuardStore
from tiktok_pipelines.stores.listings import ListingMap
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CLIENT = FIELDS["client_id"]


@pytest.fixture
def cli(registry):
    registry.add(build_client(**FIELDS))
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def test_categories_set_list_accept_reject_unset(cli, state_db):
    store = CategoryStore(state_db)
    store.replace_tree(
        CLIENT,
        category_nodes(
            [
                {"id": "1", "parent_id": "0", "local_name": "Moda", "is_leaf": False},
                {"id": "2", "parent_id": "1", "local_name": "Camisetas", "is_leaf": True},
                {"id": "3", "parent_id": "1", "local_name": "Calças", "is_leaf": True},
            ]
        ),
    )
    assert (
        cli("categories", "set", CLIENT, "product_type", "Moda > Camisetas", "1").exit_code == 2
    )  # not a leaf
    assert cli("categories", "set", CLIENT, "colour", "x", "2").exit_code == 2
    done = cli("categories", "set", CLIENT, "product_type", "Moda > Camisetas", "2")
    assert done.exit_code == 0 and "Moda > Camisetas" in done.output
    store.set_mapping(CLIENT, "google_product_category", "204", "3", status="suggested", origin="recommend")
    listed = json.loads(cli("categories", "list", CLIENT, "--status", "suggested", "--json").output)
    assert [(r["value"], r["channel_path"], r["origin"]) for r in listed] == [
        ("204", "Moda > Calças", "recommend")
    ]
    assert cli("categories", "accept", CLIENT, "google_product_category", "999").exit_code == 3
    assert cli("categories", "accept", CLIENT, "--all").exit_code == 0
    assert store.mapping(CLIENT, "google_product_category", "204").status == "accepted"
    assert cli("categories", "reject", CLIENT, "google_product_category", "204").exit_code == 0
    assert store.mapping(CLIENT, "google_product_category", "204").status == "rejected"
    assert cli("categories", "unset", CLIENT, "google_product_category", "204").exit_code == 0
    assert cli("categories", "unset", CLIENT, "google_product_category", "204").exit_code == 3
    tree = cli("categories", "tree", CLIENT, "--search", "calcas")
    assert "Moda > Calças" in tree.output and "Camisetas" not in tree.output
    assert cli("categories", "list", "nobody").exit_code == 3


def test_attributes_and_brands(cli, state_db):
    assert (
        cli("attributes", "set", CLIENT, "Material", "value:Algodão", "--category", "824330").exit_code == 0
    )
    assert cli("attributes", "set", CLIENT, "Gênero", "feed:gender").exit_code == 0
    bad = cli("attributes", "set", CLIENT, "Material", "algodão")
    assert bad.exit_code == 2 and "feed:<field>" in bad.output
    listed = cli("attributes", "list", CLIENT).output
    assert "value:Algodão" in listed and "feed:gender" in listed
    assert cli("attributes", "unset", CLIENT, "material", "--category", "824330").exit_code == 0
    assert cli("attributes", "unset", CLIENT, "material", "--category", "824330").exit_code == 3

    BrandMap(state_db).save(CLIENT, "marca longa", "Marca Longa", channel_brand_id=None, error="too long")
    assert "too long" in cli("brands", "list", CLIENT, "--failed").output
    assert cli("brands", "set", CLIENT, "MARCA LONGA", "7001").exit_code == 0
    entry = BrandMap(state_db).all(CLIENT)["marca longa"]
    assert (entry.channel_brand_id, entry.origin) == ("7001", "manual")
    assert "every brand is mapped" in cli("brands", "list", CLIENT, "--failed").output


def test_catalog_status_unpause_and_confirm_shrink(cli, state_db):
    listings = ListingMap(state_db)
    listings.save_listing(CLIENT, "P1", "TP1", "ACTIVATE", "h", {"S1": "T1"})
    for _ in range(3):
        listings.record_failure(CLIENT, "P2", "12052990: product check failed", 3)
    status = cli("catalog", "status", CLIENT, "--paused").output
    assert "ACTIVATE: 1" in status and "paused: 1" in status and "P2" in status
    assert cli("catalog", "unpause", CLIENT, "P1").exit_code == 3
    assert cli("catalog", "unpause", CLIENT, "--all").exit_code == 0
    assert not listings.product(CLIENT, "P2").paused

    assert cli("catalog", "confirm-shrink", CLIENT, "--yes").exit_code == 3  # nothing held back
    guard = ShrinkGuardStore(state_db)
    guard.record(CLIENT, "a" * 64, 9, 10)
    assert "would delete 9 of 10" in cli("catalog", "status", CLIENT).output
    assert cli("catalog", "confirm-shrink", CLIENT, input="n\n").exit_code == 2
    assert guard.get(CLIENT, "a" * 64).confirmed_at is None
    assert cli("catalog", "confirm-shrink", CLIENT, "--snapshot", "b" * 12, "--yes").exit_code == 3
    done = cli("catalog", "confirm-shrink", CLIENT, "--snapshot", "a" * 12, "--yes")
    assert done.exit_code == 0 and "catalog_job" in done.output
    record = guard.get(CLIENT, "a" * 64)
    assert record.confirmed_at is not None and record.confirmed_by.startswith("cli:")
