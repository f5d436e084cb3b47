import dagster as dg

from tiktok_pipelines import definitions


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(definitions.defs)


def test_every_job_sensor_and_schedule_resolves():
    """Names follow the conventions, every job selects assets and says what it does, and every schedule
    and sensor targets a job that exists."""
    repo = definitions.defs.get_repository_def()
    jobs = {job.name: job for job in repo.get_all_jobs() if not job.name.startswith("__")}
    for name, job in jobs.items():
        assert name.endswith("_job"), name
        assert job.description, f"{name} has no description"
        assert job.asset_layer.selected_asset_keys, f"{name} selects no asset"
    for sensor in repo.sensor_defs:
        assert sensor.name.endswith("_sensor"), sensor.name
        assert sensor.description, f"{sensor.name} has no description"
        assert {t.job_name for t in sensor.targets} <= set(jobs), sensor.name
    for schedule in repo.schedule_defs:
        assert schedule.name.endswith("_schedule"), schedule.name
        assert schedule.job_name in jobs, schedule.name


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


def test_every_channel_asset_says_what_it_does_on_its_channel():
    """The UI describes every asset, and a channel's asset (`<channel>/...`) by what it does on that
    channel: its description names the channel."""
    from tiktok_pipelines.defs.channel_registry import CHANNELS

    said_as = {channel.name.value: channel.events.said_as for channel in CHANNELS}
    described: dict[str, str] = {}
    for spec in definitions.defs.resolve_all_asset_specs():
        described[spec.key.to_user_string()] = (spec.description or "").strip()
    assert [key for key, text in described.items() if not text] == []
    channel_assets = {key: text for key, text in described.items() if key.split("/")[0] in said_as}
    assert {key.split("/")[0] for key in channel_assets} == set(said_as)
    assert [key for key, text in channel_assets.items() if said_as[key.split("/")[0]] not in text] == []


def test_every_declared_channel_has_a_resource_that_gives_what_the_areas_ask_of_it():
    """Each declared channel's resource, under the channel's name, has every method of `ChannelResource`
    with the same parameters: a channel added without one (say, `needs_authorization`) fails here, not in
    a run."""
    import inspect

    from tiktok_pipelines.defs.channel_registry import CHANNELS
    from tiktok_pipelines.defs.channels import ChannelResource

    resources = definitions.defs.resources
    asked = [name for name in vars(ChannelResource) if not name.startswith("_")]
    assert {"capabilities", "session", "shop_missing", "needs_authorization"} <= set(asked)
    for channel in CHANNELS:
        resource = type(resources[channel.resource_key])
        for name in asked:
            method = getattr(resource, name, None)
            assert callable(method), f"{resource.__name__} has no {name}"
            wanted = list(inspect.signature(getattr(ChannelResource, name)).parameters)
            assert list(inspect.signature(method).parameters) == wanted, f"{resource.__name__}.{name}"
