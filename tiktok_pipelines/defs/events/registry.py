"""Keeps the `clients` dynamic partitions in step with the client registry."""

import dagster as dg

from tiktok_pipelines.defs.automation import sensor
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CLIENTS_PARTITION


@sensor(
    name="client_registry_sensor",
    minimum_interval_seconds=30,
)
def client_registry_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Adds a `clients` partition for every client in the registry and deletes the partitions of removed
    clients. Runs every 30 seconds; a tick with nothing to change is skipped."""
    registered = set(state.registry.ids())
    existing = set(context.instance.get_dynamic_partitions(CLIENTS_PARTITION))
    to_add = sorted(registered - existing)
    to_delete = sorted(existing - registered)
    requests: list = []
    if to_add:
        requests.append(dg.AddDynamicPartitionsRequest(CLIENTS_PARTITION, to_add))
    if to_delete:
        requests.append(dg.DeleteDynamicPartitionsRequest(CLIENTS_PARTITION, to_delete))
    if not requests:
        return dg.SensorResult(skip_reason=f"{len(existing)} client partitions match the registry")
    context.log.info("partitions: adding %s, deleting %s", to_add or "none", to_delete or "none")
    return dg.SensorResult(dynamic_partitions_requests=requests)
