import dagster as dg

from tiktok_pipelines.defs.creators.automation import creator_registry_sensor
from tiktok_pipelines.defs.events.registry import client_registry_sensor
from tiktok_pipelines.partitions import CLIENTS_PARTITION, CREATORS_PARTITION
from tiktok_pipelines.stores.creators import CreatorRegistry, creators_table
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def run_sensor(instance, resources, sensor=client_registry_sensor):
    context = dg.build_sensor_context(instance=instance, resources={"state": resources["state"]})
    result = sensor(context)
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


def test_creator_sensor_adds_and_deletes_partitions(instance, resources):
    creators = CreatorRegistry(resources["state"].db)
    for creator_id in ("ana", "bia"):
        creators.add(creator_id, timezone="America/Sao_Paulo")
    run_sensor(instance, resources, creator_registry_sensor)
    assert sorted(instance.get_dynamic_partitions(CREATORS_PARTITION)) == ["ana", "bia"]
    assert instance.get_dynamic_partitions(CLIENTS_PARTITION) == []

    result = run_sensor(instance, resources, creator_registry_sensor)
    assert result.skip_reason.skip_message == "2 creator partitions match the registry"

    with creators.db.begin() as conn:
        conn.execute(creators_table.delete().where(creators_table.c.creator_id == "ana"))
    run_sensor(instance, resources, creator_registry_sensor)
    assert instance.get_dynamic_partitions(CREATORS_PARTITION) == ["bia"]
