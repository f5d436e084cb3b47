import dagster as dg

from tiktok_pipelines.defs.events.registry import client_registry_sensor
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def run_sensor(instance, resources):
    context = dg.build_sensor_context(instance=instance, resources={"state": resources["state"]})
    result = client_registry_sensor(context)
    # The daemon applies partition requests; do the same here.
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
    return result


def test_sensor_adds_and_deletes_partitions(instance, resources, registry):
    registry.add(build_client(**FIELDS))
    registry.add(build_client(**{**FIELDS, "client_id": "loja-2"}))
    run_sensor(instance, resources)
    assert sorted(instance.get_dynamic_partitions(CLIENTS_PARTITION)) == ["loja-1", "loja-2"]

    result = run_sensor(instance, resources)
    assert result.skip_reason is not None  # nothing to change

    registry.remove("loja-1")
    run_sensor(instance, resources)
    assert instance.get_dynamic_partitions(CLIENTS_PARTITION) == ["loja-2"]
