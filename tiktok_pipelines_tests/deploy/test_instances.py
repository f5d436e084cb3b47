"""Every Dagster instance file of deploy/ loads in Dagster against a real PostgreSQL (its storage
created and usable), its run launcher importable with a valid configuration; the ECS launcher launches a
run of the project's code location as a task on moto's ECS; the Helm values agree with the image."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines_tests.deploy.conftest import DEPLOY, ROOT

pytestmark = pytest.mark.e2e

INSTANCE_FILES = {
    "compose": (DEPLOY / "dagster.compose.yaml", "DefaultRunLauncher"),
    "k8s": (DEPLOY / "k8s" / "dagster.yaml", "K8sRunLauncher"),
    "ecs": (DEPLOY / "ecs" / "dagster.yaml", "EcsRunLauncher"),
}
IMAGE = "registry.example.com/tiktok-pipelines:0.1.0"


def _instance(path, loopback_env, monkeypatch, launcher_config=None) -> dg.DagsterInstance:
    """The instance of `path` as its processes would load it, with `loopback_env` as their environment
    (and `launcher_config` over its run launcher's configuration)."""
    for name, value in loopback_env.items():
        monkeypatch.setenv(name, value)
    data = yaml.safe_load(path.read_text())
    data["run_launcher"].setdefault("config", {}).update(launcher_config or {})
    home = loopback_env["DAGSTER_HOME"]
    (Path(home) / "dagster.yaml").write_text(yaml.safe_dump(data))
    return dg.DagsterInstance.from_config(home)


def _kubeconfig(folder: Path) -> Path:
    """A kubeconfig naming an API server on loopback (nothing listens: building the launcher calls none)."""
    path = folder / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


@pytest.mark.parametrize("kind", sorted(INSTANCE_FILES))
def test_each_instance_file_loads_on_postgres_with_its_run_launcher(
    kind, loopback_env, monkeypatch, tmp_path
):
    """Outside a cluster the K8s launcher cannot load the in-cluster configuration: it is given a
    kubeconfig on loopback instead, the rest of its configuration as the file says."""
    from dagster_postgres import PostgresRunStorage

    path, launcher = INSTANCE_FILES[kind]
    outside_cluster = (
        {"load_incluster_config": False, "kubeconfig_file": str(_kubeconfig(tmp_path))}
        if kind == "k8s"
        else {}
    )
    with _instance(path, loopback_env, monkeypatch, outside_cluster) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        run = instance.create_run_for_job(dg.GraphDefinition(name="noop").to_job())
        assert instance.get_run_by_id(run.run_id).job_name == "noop"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert limits[0]["key"] == "tiktok_pipelines/client_writes"
        assert type(instance.run_launcher).__name__ == launcher
        if kind == "k8s":
            assert instance.run_launcher.job_namespace == "tiktok-pipelines"
            assert instance.run_launcher.env_secrets == ["tiktok-pipelines"]
            assert instance.run_launcher.env_config_maps == ["tiktok-pipelines-env"]


def test_the_helm_values_run_the_image_as_the_code_location_with_the_instance_files_limits():
    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    instance = yaml.safe_load((DEPLOY / "k8s" / "dagster.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == "tiktok_pipelines.definitions"
    assert args[args.index("--location-name") + 1] == "tiktok_pipelines"
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert instance["run_launcher"]["class"] == "K8sRunLauncher"
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    runs = instance["concurrency"]["runs"]
    assert queued["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert queued["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    secrets = values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"]
    assert [s["name"] for s in secrets] == instance["run_launcher"]["config"]["env_secrets"]
    assert values["postgresql"]["enabled"] is False


@pytest.fixture
def ecs_task(moto_server, monkeypatch):
    """A cluster on moto's ECS with the daemon's task running (awsvpc, as on Fargate), and the task
    metadata endpoint ECS gives its containers, on loopback."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    ecs = boto3.client("ecs", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as Fargate needs
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="dagster", Description="dagster", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="tiktok-pipelines")["cluster"]["clusterArn"]
    ecs.register_task_definition(
        family="tiktok-pipelines-daemon",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[
            {
                "name": "tiktok-pipelines",
                "image": IMAGE,
                "command": ["daemon"],
                "essential": True,
                "cpu": 512,
                "memory": 1024,
            }
        ],
    )
    (task,) = ecs.run_task(
        cluster=cluster,
        taskDefinition="tiktok-pipelines-daemon",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
    )["tasks"]

    async def task_metadata(_):
        return JSONResponse({"Cluster": cluster, "TaskARN": task["taskArn"]})

    async def container_metadata(_):
        return JSONResponse({"Name": "tiktok-pipelines"})

    app = Starlette(routes=[Route("/v4/task", task_metadata), Route("/v4", container_metadata)])
    with ServerThread(app) as server:
        monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", f"{server.url}/v4")
        yield ecs, cluster


def test_the_ecs_launcher_starts_a_run_of_the_code_location_as_an_ecs_task(
    ecs_task, loopback_env, monkeypatch
):
    from dagster._core.test_utils import in_process_test_workspace
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    from tiktok_pipelines.definitions import defs

    ecs, cluster = ecs_task
    with _instance(INSTANCE_FILES["ecs"][0], loopback_env, monkeypatch) as instance:
        origin = LoadableTargetOrigin(module_name="tiktok_pipelines.definitions", working_directory=str(ROOT))
        with in_process_test_workspace(instance, origin, container_image=IMAGE) as workspace:
            (location,) = workspace.code_locations
            repository = next(iter(location.get_repositories().values()))
            remote_job = repository.get_full_job("orders_job")
            instance.add_dynamic_partitions("clients", ["demo"])
            run = instance.create_run_for_job(
                job_def=defs.resolve_job_def("orders_job"),
                remote_job_origin=remote_job.get_remote_origin(),
                job_code_origin=remote_job.get_python_origin(),
                tags={"dagster/partition": "demo", "tiktok_pipelines/client_writes": "demo:orders"},
            )
            instance.launch_run(run.run_id, workspace)

    arns = ecs.list_tasks(cluster=cluster)["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns, include=["TAGS"])["tasks"]
    (launched,) = [t for t in tasks if t["overrides"].get("containerOverrides")]
    (override,) = launched["overrides"]["containerOverrides"]
    assert override["command"][:3] == ["dagster", "api", "execute_run"]
    assert run.run_id in " ".join(override["command"])
    tags = {t["key"]: t["value"] for t in launched["tags"]}
    assert tags["dagster/run_id"] == run.run_id
    assert tags["dagster/job_name"] == "orders_job"
    assert tags["app"] == "tiktok-pipelines"
    definition = ecs.describe_task_definition(taskDefinition=launched["taskDefinitionArn"])["taskDefinition"]
    containers = {c["name"]: c for c in definition["containerDefinitions"]}
    assert containers[override["name"]]["image"] == IMAGE  # the code location's image runs the run
    with dg.DagsterInstance.from_config(loopback_env["DAGSTER_HOME"]) as instance:
        assert instance.get_run_by_id(run.run_id).tags["ecs/task_arn"] == launched["taskArn"]
