"""Shared fixtures: an isolated configuration per test, the state DB, a Dagster instance, the sandbox."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.http import RetryPolicy
from tiktok_pipelines.partitions import CLIENTS_PARTITION
from tiktok_pipelines.sandbox.postgres import create_database, postgres_installed, throwaway_postgres
from tiktok_pipelines.sandbox.server import PORTS_VARIABLE, ServerThread, port_share, sandbox_ports
from tiktok_pipelines.sandbox.vtex import VtexSandboxControl
from tiktok_pipelines.sandbox.world import (
    DEMO_ACCOUNT,
    DEMO_VTEX_APP_KEY,
    DEMO_VTEX_APP_TOKEN,
    DEMO_WAREHOUSE,
    SandboxConfig,
    SandboxWorld,
)
from tiktok_pipelines.settings import VARIABLES, Settings
from tiktok_pipelines.stores.crypto import SecretBox
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.registry import Client, ClientRegistry, build_client
from tiktok_pipelines.vtex.client import VtexAccount, VtexClient, VtexOptions
from tiktok_pipelines_tests.production_stack import (
    AWS,
    BACKENDS,
    fresh_moto,
    postgres_instance_overrides,
    production_environment,
    production_stack,  # noqa: F401  (a fixture)
)

TEST_SECRET_KEY = SecretBox.generate_key()


# pytest-xdist's workers for the suite or a folder of it (`--numprocesses=auto` in pyproject's addopts): the
# suite mostly waits on the servers it starts, so four workers overlap on two cores (README, Development).
WORKERS = 4


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: WORKERS for the suite or a folder; a run that names only test files or tests runs in this
    process, which starts sooner than workers do. PYTEST_XDIST_AUTO_NUM_WORKERS, or `-n N`, decides."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    named = [Path(arg.split("::")[0]) for arg in config.args]
    return 0 if named and all(path.is_file() for path in named) else WORKERS


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """With pytest-xdist turned off (`-p no:xdist`), the options pyproject's addopts gives it are taken and
    left unused: the tests run in this one process."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist", "pytest-xdist is off (-p no:xdist): the tests run in this process")
    group.addoption("--numprocesses", dest="numprocesses", help="unused while pytest-xdist is off")
    group.addoption("--dist", dest="dist", default="no", help="unused while pytest-xdist is off")


def pytest_configure(config: pytest.Config) -> None:
    """A pytest-xdist worker picks the sandbox's ports from a share of the span of its own, and so do the
    processes it starts (they inherit the variable): two workers never start servers on the same port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        index, count = int(worker.removeprefix("gw")), int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
        share = port_share(sandbox_ports(), index, count)
        os.environ[PORTS_VARIABLE] = f"{share.start}-{share.stop - 1}"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every test gets its own data dir and key; no configuration leaks in from the machine."""
    for var in VARIABLES:
        monkeypatch.delenv(var.name, raising=False)
    env = {
        "TIKTOK_PIPELINES_DATA_DIR": str(tmp_path / "data"),
        "TIKTOK_PIPELINES_SECRET_KEY": TEST_SECRET_KEY,
        "TIKTOK_PIPELINES_ENV": "development",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    (tmp_path / "data").mkdir()  # the project's data dir exists (`tiktok-pipelines init`)
    yield env


DATABASES = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `backends` runs on each backend: `local` and `production` (tests/production_stack.py);
    one marked `each_database` on each kind of state DB."""
    if metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)
    if metafunc.definition.get_closest_marker("each_database") and "database" in metafunc.fixturenames:
        named = [m.args[0] for m in metafunc.definition.iter_markers("parametrize")]
        chosen = {
            n.strip() for names in named for n in (names.split(",") if isinstance(names, str) else names)
        }
        if "database" not in chosen:  # a test may pick one database itself
            metafunc.parametrize("database", DATABASES, indirect=True)


@pytest.fixture(autouse=True)
def backend(
    request: pytest.FixtureRequest, isolated_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """`local` (SQLite, folders, the state DB's queue), or, for tests marked `backends`, also `production`:
    Postgres, S3 and SQS (the session's production stack), each test with its own database, prefix, queue."""
    name = getattr(request, "param", "local")
    if name == "production":
        for key, value in production_environment(request.getfixturevalue("production_stack")).items():
            monkeypatch.setenv(key, value)
    return name


@pytest.fixture
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend's state DB, or, for tests marked `each_database`, each of SQLite and Postgres (the
    session's cluster, each test with its own database)."""
    name = getattr(request, "param", "sqlite")
    if name == "postgres":
        monkeypatch.setenv("TIKTOK_PIPELINES_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return name


@pytest.fixture
def settings(isolated_env: dict[str, str], backend: str, database: str) -> Settings:
    return Settings.load()


@pytest.fixture
def state_db(settings: Settings) -> Iterator[StateDB]:
    db = StateDB(settings.database_url, SecretBox.from_settings(settings))
    yield db
    db.dispose()


@pytest.fixture
def registry(state_db: StateDB) -> ClientRegistry:
    return ClientRegistry(state_db)


@pytest.fixture
def resources(settings: Settings) -> dict:
    """The resources of `definitions.py`, built from this test's configuration."""
    return build_resources(settings)


@pytest.fixture
def instance(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[dg.DagsterInstance]:
    """A Dagster instance of its own: SQLite in a folder, or on the production backend a Postgres database
    (dagster-postgres)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    overrides = None
    if backend == "production":
        overrides = postgres_instance_overrides(request.getfixturevalue("production_stack"))
    with dg.instance_for_test(temp_dir=str(home), overrides=overrides) as inst:
        yield inst


@pytest.fixture
def sandbox_world() -> SandboxWorld:
    """A small sandbox world on free ports (not yet served)."""
    cfg = SandboxConfig.on_free_ports(products=40)
    return SandboxWorld(cfg)


@pytest.fixture
def sandbox(sandbox_world: SandboxWorld) -> Iterator[SandboxWorld]:
    """The sandbox world served on loopback for the duration of the test."""
    servers = [
        ServerThread(s.app, host=sandbox_world.config.host, port=s.port).start() for s in sandbox_world.apps()
    ]
    old = {k: os.environ.get(k) for k in sandbox_world.environment()}
    os.environ.update(sandbox_world.environment())
    try:
        yield sandbox_world
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for server in servers:  # all asked first, then awaited: they stop in parallel
            server.server.should_exit = True
        for server in servers:
            server.stop()
        if sandbox_world.tiktok is not None:
            sandbox_world.tiktok.webhooks.stop()
        if sandbox_world.mercado_livre is not None:
            sandbox_world.mercado_livre.close()


@pytest.fixture
def demo_client(sandbox: SandboxWorld, registry: ClientRegistry, instance: dg.DagsterInstance) -> Client:
    """The sandbox's demo client, registered, with its partition."""
    client = registry.add(build_client(**sandbox.demo_client_fields()))
    instance.add_dynamic_partitions(CLIENTS_PARTITION, [client.client_id])
    return client


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port (skipped where PostgreSQL or psycopg2 is
    not installed); yields the SQLAlchemy URL of its server, without a database name."""
    pytest.importorskip("psycopg2")
    if not postgres_installed():
        pytest.skip(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: the Postgres and production "
            "backend tests need them (.ci/run installs them)"
        )
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database on the throwaway server, for one test."""
    return create_database(postgres_server, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def moto_server(monkeypatch):
    """moto's server (S3, SQS...) on a free loopback port, with an empty S3 bucket `ttp-test`; nothing an
    earlier test made on moto is left (production_stack.fresh_moto)."""
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    with fresh_moto() as endpoint:
        yield endpoint


class Recorder:
    """A loopback HTTP server that records every request it gets (a notification target in tests).

    `status` is what it answers; `requests` holds (method, path, headers, JSON body) in arrival order.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200

        async def record(request: Request) -> Response:
            raw = await request.body()
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "headers": dict(request.headers),
                    "json": json.loads(raw) if raw else None,
                }
            )
            return JSONResponse({"ok": self.status < 300}, status_code=self.status)

        app = Starlette(routes=[Route("/{path:path}", record, methods=["GET", "POST", "PUT"])])
        self.server = ServerThread(app)

    @property
    def url(self) -> str:
        return self.server.url

    def bodies(self, path_prefix: str = "/") -> list:
        return [r["json"] for r in self.requests if r["path"].startswith(path_prefix)]

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.requests):
                return True
            time.sleep(0.02)
        return predicate(self.requests)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A loopback server that records what is posted to it."""
    rec = Recorder()
    rec.server.start()
    yield rec
    rec.server.stop()


@pytest.fixture
def vtex_control(sandbox: SandboxWorld) -> Iterator[VtexSandboxControl]:
    """The VTEX emulator's switches, for the demo account."""
    with VtexSandboxControl(sandbox.urls()["vtex"], DEMO_ACCOUNT) as control:
        yield control


@pytest.fixture
def vtex_api(sandbox: SandboxWorld) -> Iterator[VtexClient]:
    """A VTEX client of the demo account on the emulator, with short retry waits."""
    env = sandbox.environment()
    options = VtexOptions(
        base_url=env["VTEX_BASE_URL"],
        pricing_base_url=env["VTEX_PRICING_BASE_URL"],
        logistics_base_url=env["VTEX_LOGISTICS_BASE_URL"],
        rate_limit_per_second=2000,
        timeout_seconds=5,
        retry=RetryPolicy(attempts=4, initial=0.05, maximum=0.5),
    )
    account = VtexAccount(
        DEMO_ACCOUNT,
        DEMO_VTEX_APP_KEY,
        DEMO_VTEX_APP_TOKEN,
        affiliate_id="TTS",
        warehouse_ids=(DEMO_WAREHOUSE,),
    )
    with VtexClient(account, options) as client:
        yield client


@pytest.fixture
def receiver(sandbox: SandboxWorld, state_db: StateDB) -> Iterator[ServerThread]:
    """The project's receiver (OAuth callback...) on the port the sandbox's consent redirects to."""
    from tiktok_pipelines.receiver.app import create_app

    server = ServerThread(
        create_app(Settings.load(), db=state_db), host=sandbox.config.host, port=sandbox.config.receiver_port
    ).start()
    yield server
    server.stop()


@pytest.fixture
def tiktok(sandbox: SandboxWorld, settings: Settings):
    """The TikTokShop resource pointed at the sandbox emulator (usable outside Dagster)."""
    from tiktok_pipelines.defs.resources.tiktok_shop import standalone_tiktok_shop

    return standalone_tiktok_shop(Settings.load())


def authorize_through_sandbox(tiktok, client_id: str) -> Client:
    """Consent on the sandbox → the receiver's OAuth callback → token exchange; returns the client."""
    import httpx

    link = tiktok.authorization_link(client_id)
    answer = httpx.get(link, follow_redirects=True, timeout=10)
    assert answer.status_code == 200, answer.text
    with tiktok.token_manager() as manager:
        report = manager.run()
    assert report.associated == [client_id], report
    return tiktok.state.registry.get(client_id)


@pytest.fixture
def tiktok_client(demo_client: Client, receiver: ServerThread, tiktok, sandbox: SandboxWorld) -> Client:
    """The demo client (with its partition), authorized through consent → OAuth callback → token
    exchange: shop id, cipher and tokens stored."""
    return authorize_through_sandbox(tiktok, demo_client.client_id)


@pytest.fixture
def shop_api(tiktok_client: Client, tiktok):
    """A TikTok Shop client bound to the authorized demo client's sandbox shop."""
    with tiktok.shop(tiktok_client.client_id) as api:
        yield api


@pytest.fixture
def shop(tiktok_client, sandbox, receiver):
    """The TikTok emulator with the demo shop's products listed and its webhooks pointed at the receiver
    (retries compressed: 2 min → 0.24 s)."""
    from tiktok_pipelines.sandbox.world import DEMO_SHOP_CODE

    emulator = sandbox.tiktok
    emulator.config.webhook_url = f"{receiver.url}/webhooks/tiktok"
    emulator.config.webhook_time_factor = 0.002
    emulator.seed_products(emulator.shop_by_code(DEMO_SHOP_CODE), sandbox.demo_catalog, count=12)
    return emulator
