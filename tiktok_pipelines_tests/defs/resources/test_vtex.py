import dagster as dg

from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.defs.resources.vtex import Vtex
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.stores.registry import build_client


def test_the_resource_is_registered_and_reads_the_configuration(settings):
    vtex = build_resources(settings)["vtex"]
    assert isinstance(vtex, Vtex) and vtex.base_url == "https://{account}.{environment}.com.br"
    client = build_client(
        client_id="acme",
        feed_url="https://acme.example/feed.xml",
        vtex_account="acme",
        vtex_app_key="vtexappkey-acme-XYZ",
        vtex_app_token="secret-token",
        vtex_warehouse_ids=["1_1"],
        vtex_affiliate_id="TTS",
    )
    with vtex.client_for(client) as api:
        assert api._bases["core"] == "https://acme.vtexcommercestable.com.br"
        assert api._bases["pricing"] == "https://api.vtex.com/acme"
        assert "secret-token" not in repr(api)


def test_an_asset_gets_an_account_bound_client_for_its_partition(sandbox, demo_client, resources, instance):
    """The pattern the stock/price, catalog and orders assets follow."""

    @dg.asset(partitions_def=dg.DynamicPartitionsDefinition(name=CLIENTS_PARTITION))
    def vtex_probe(context: dg.AssetExecutionContext, state: StateStore, vtex: Vtex) -> dg.MaterializeResult:
        client = state.registry.get(context.partition_key)
        with vtex.client_for(client) as api:
            stock = api.stock_many(api.sku_ids(page_size=10))
            return dg.MaterializeResult(
                metadata={
                    "skus": len(stock.values),
                    "available": sum(s.available for s in stock.values.values()),
                }
            )

    result = dg.materialize(
        [vtex_probe],
        partition_key=demo_client.client_id,
        instance=instance,
        resources={"state": resources["state"], "vtex": resources["vtex"]},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("vtex_probe")[0].metadata
    expected = sorted(sandbox.demo_catalog.skus(), key=lambda s: s.sku_id)[:10]
    assert metadata["skus"].value == 10
    assert metadata["available"].value == sum(s.available for s in expected)


def test_each_clients_orders_carry_their_own_signed_callback_address(monkeypatch):
    import pytest

    from tiktok_pipelines.settings import ConfigError, Settings
    from tiktok_pipelines.vtex.notifications import marketplace_callback_token

    monkeypatch.setenv("VTEX_MARKETPLACE_SERVICES_ENDPOINT", "https://hooks.example.com")
    monkeypatch.setenv("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET", "s3cret")
    vtex = Vtex.from_settings(Settings.load(), env_vars=False)
    assert vtex.options("acme").marketplace_services_endpoint == (
        f"https://hooks.example.com/vtex/marketplace/acme/{marketplace_callback_token('s3cret', 'acme')}"
    )
    assert "s3cret" not in repr(vtex)
    assert Vtex().options("acme").marketplace_services_endpoint is None
    with pytest.raises(ConfigError, match="TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET"):
        Vtex(marketplace_services_endpoint="https://hooks.example.com").options("acme")
