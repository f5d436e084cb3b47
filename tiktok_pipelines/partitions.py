"""The partitionings of the project: one partition per client (merchant), and one per TikTok creator
account for the creator assets."""

from __future__ import annotations

import dagster as dg

CLIENTS_PARTITION = "clients"
clients_partitions = dg.DynamicPartitionsDefinition(name=CLIENTS_PARTITION)

CREATORS_PARTITION = "creators"
creators_partitions = dg.DynamicPartitionsDefinition(name=CREATORS_PARTITION)

# Runs that write to a client's shop carry this tag; dagster.yaml allows one run per value at a time.
CLIENT_WRITES_TAG = "tiktok_pipelines/client_writes"


def client_write_tags(client_id: str, lane: str) -> dict[str, str]:
    """Run tags that serialize a client's write runs within one lane (catalog, stock_price, orders...)."""
    return {CLIENT_WRITES_TAG: f"{client_id}/{lane}", "tiktok_pipelines/client_id": client_id}


# A run that has not started yet, and one that has not finished.
WAITING = (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED)
IN_FLIGHT = (*WAITING, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED)


def lane_runs(
    instance: dg.DagsterInstance, client_id: str, lane: str, statuses: tuple = IN_FLIGHT, limit: int = 20
) -> list[dg.RunRecord]:
    """The client's write runs of a lane in one of `statuses` (by default queued or running), newest first."""
    tag = client_write_tags(client_id, lane)[CLIENT_WRITES_TAG]
    return list(
        instance.get_run_records(
            filters=dg.RunsFilter(statuses=list(statuses), tags={CLIENT_WRITES_TAG: tag}), limit=limit
        )
    )


def lane_has_run(
    instance: dg.DagsterInstance, client_id: str, lane: str, statuses: tuple = IN_FLIGHT
) -> bool:
    """Whether a write run of the client's lane is in one of `statuses` (by default queued or running)."""
    return bool(lane_runs(instance, client_id, lane, statuses, limit=1))
