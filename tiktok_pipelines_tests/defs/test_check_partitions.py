"""Two clients, one check: the Dagster UI shows each client's state, not whichever client ran last.

Read through the webserver's own GraphQL schema, with the project's definitions loaded as `dagster dev`
loads them, from the instance the runs wrote to."""

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster_graphql.test.utils import execute_dagster_graphql

from tiktok_pipelines.defs.orders.assets import vtex_orders
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.defs.test_orders import run_orders, sensor
from tiktok_pipelines_tests.flows import wait_delivered

pytestmark = pytest.mark.e2e

CHECK_QUERY = """
query ($path: [String!]!, $check: String!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode {
      assetCheckOrError(checkName: $check) {
        ... on AssetCheck {
          partitionDefinition { type }
          partitionStatuses {
            ... on AssetCheckDefaultPartitionStatuses { succeededPartitions failedPartitions }
          }
        }
      }
    }
  }
}
"""


def ui_check_state(instance: dg.DagsterInstance, asset: str, check: str) -> dict:
    """What the UI's partition view of a check shows: the partitions whose latest result passed / failed."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="tiktok_pipelines.definitions", attribute="defs"),
        location_name="tiktok_pipelines",
    )
    with (
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace,
        workspace.create_request_context() as context,
    ):
        answer = execute_dagster_graphql(context, CHECK_QUERY, {"path": [asset], "check": check})
    node = answer.data["assetNodeOrError"]["assetCheckOrError"]
    statuses = node["partitionStatuses"] or {}
    return {
        "partitioned": node["partitionDefinition"] is not None,
        "passed": sorted(statuses.get("succeededPartitions") or []),
        "failed": sorted(statuses.get("failedPartitions") or []),
    }


def test_each_clients_failed_orders_check_is_kept_and_shown_for_its_partition(
    shop, sandbox, instance, resources, registry
):
    other = {**sandbox.demo_client_fields(), "client_id": "loja2", "tiktok_shop_code": "BRLOJA002"}
    registry.add(build_client(**other))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, ["loja2"])
    (rejected,) = shop.create_orders(DEMO_SHOP_CODE, 1, status="AWAITING_SHIPMENT")
    shop.shop_by_code(DEMO_SHOP_CODE).orders[rejected]["cpf"] = "123"
    wait_delivered(shop)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        sensor(context)
    run_orders(instance, resources)  # demo: an order VTEX cannot take
    assert dg.materialize(
        [vtex_orders], partition_key="loja2", instance=instance, resources=resources
    ).success

    # loja2 ran last and passed; demo's failure is still what the UI shows for demo.
    assert ui_check_state(instance, "vtex_orders", "failed_orders_empty") == {
        "partitioned": True,
        "passed": ["loja2"],
        "failed": ["demo"],
    }
