import dagster as dg

from tiktok_pipelines import definitions


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(definitions.defs)


def test_every_job_sensor_and_schedule_resolves():
    repo = definitions.defs.get_repository_def()
    for job in repo.get_all_jobs():
        assert job.name
    for sensor in repo.sensor_defs:
        assert sensor.name.endswith("_sensor")
    for schedule in repo.schedule_defs:
        assert schedule.name.endswith("_schedule")
        repo.get_job(schedule.job_name)


def test_assets_are_partitioned_by_client_and_documented():
    for assets_def in definitions.defs.resolve_all_asset_specs():
        assert assets_def.description, f"{assets_def.key} has no description"
        assert assets_def.group_name != "default", f"{assets_def.key} has no group"


def test_every_check_of_a_client_asset_is_evaluated_per_client():
    """With several clients, each one's check state is kept (and shown) for its own partition."""
    from tiktok_pipelines.partitions import clients_partitions

    graph = definitions.defs.resolve_asset_graph()
    checks = [
        (spec.key.to_user_string(), spec.partitions_def)
        for assets_def in graph.assets_defs
        for spec in assets_def.check_specs
        if graph.get(spec.asset_key).partitions_def == clients_partitions
    ]
    assert [key for key, partitions in checks if partitions != clients_partitions] == []
    assert len(checks) >= 13
