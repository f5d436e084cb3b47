"""Runs the pipelines with known secrets and looks for them in every log line and metadata value."""

import logging

import dagster as dg
import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.defs.catalog.feed import feed_products, feed_xml
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.stores.registry import build_client

pytestmark = pytest.mark.e2e


def secrets_of(client, settings):
    values = [
        client.vtex_app_key.get_secret_value(),
        client.vtex_app_token.get_secret_value(),
        settings.get("TIKTOK_PIPELINES_SECRET_KEY"),
        "feed-token-in-query",
    ]
    return [v for v in values if v]


def test_no_secret_in_run_logs_metadata_or_cli(sandbox, registry, instance, resources, settings, caplog):
    fields = sandbox.demo_client_fields()
    fields["feed_url"] += "?token=feed-token-in-query"
    client = registry.add(build_client(**fields, tiktok_shop_cipher="ROW_secret_cipher"))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, [client.client_id, "nobody"])
    caplog.set_level(logging.DEBUG)
    ok = dg.materialize(
        [feed_xml, feed_products], partition_key="demo", instance=instance, resources=resources
    )
    bad = dg.materialize(
        [feed_xml], partition_key="nobody", instance=instance, resources=resources, raise_on_error=False
    )
    assert ok.success and not bad.success
    texts = [caplog.text]
    for run in (ok, bad):
        for event in instance.all_logs(run.run_id):
            texts.append(str(event.user_message))
            texts.append(str(event.dagster_event))
    cli = CliRunner()
    texts.append(cli.invoke(main, ["clients", "show", "demo"]).output)
    texts.append(cli.invoke(main, ["clients", "list", "--json"]).output)
    blob = "\n".join(texts)
    assert "feed_xml" in blob  # the logs were captured
    for secret in [*secrets_of(client, settings), "ROW_secret_cipher"]:
        assert secret not in blob, "a secret leaked into logs, metadata or CLI output"
