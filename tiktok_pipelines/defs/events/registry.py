"""Keeps the `clients` dynamic partitions in step with the client registry."""

import dagster as dg

from tiktok_pipelines.defs.automation import match_partitions, sensor
from tiktok_pipelines.defs.resources.state import StateStore
from tiktok_pipelines.partitions import CLIENTS_PARTITION


@sensor(
    name="client_registry_sensor",
    minimum_interval_seconds=30,
)
def client_registry_sensor(context: dg.SensorEvaluationContext, state: StateStore) -> dg.SensorResult:
    """Adds a `clients` partition for every client in the registry and deletes the partitions of removed
    clients. Runs every 30 seconds; a tick with nothing to change is skipped."""
    return match_partitions(context, CLIENTS_PARTITION, state.registry.ids(), "client")
