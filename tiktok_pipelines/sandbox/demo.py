"""The one-command demo: sandbox emulators, a demo client, and `dagster dev`, stopped together."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tiktok_pipelines.lanes.tokens import TokenRunReport
from tiktok_pipelines.sandbox.demo_catalog import (
    configure_demo_catalog,
    configure_demo_mercado_livre,
    configure_demo_shopee_catalog,
)
from tiktok_pipelines.sandbox.demo_creator import (
    DEMO_CREATOR_SCOPES,
    add_demo_product_when_watched,
    connect_demo_creator,
    schedule_demo_posts,
)
from tiktok_pipelines.sandbox.supervisor import (
    Supervisor,
    cancel_abandoned_runs,
    stop_dagster_runs,
)
from tiktok_pipelines.sandbox.world import (
    DEMO_ACCOUNT,
    DEMO_CLIENT_ID,
    DEMO_ML_AFFILIATE,
    DEMO_ML_SELLER,
    DEMO_SHOP_CODE,
    DEMO_SHOPEE_AFFILIATE,
    DEMO_SHOPEE_SHOP_ID,
    SandboxConfig,
    SandboxWorld,
)
from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import open_state_db
from tiktok_pipelines.stores.registry import ClientRegistry, build_client


def setup_demo_client(config: SandboxConfig) -> str:
    """Registers the demo client (or points it at this sandbox again), adds its partition, and sets its
    catalog mapping (categories, attribute values, certificates) for the sandbox store."""
    import dagster as dg

    from tiktok_pipelines.partitions import CLIENTS_PARTITION

    world = SandboxWorld(config)
    fields = world.demo_client_fields()
    # A rule of one channel alone: Shopee sells 10 % above VTEX's price, from its listings' first minute.
    fields["options"] = {**fields["options"], "channel_rules": {"shopee": {"price_markup_percent": 10}}}
    # The demo is asked to set everything up: its data dir, state DB and development key included.
    registry = ClientRegistry(open_state_db(Settings.load(), create=True))
    client_id = fields["client_id"]
    existing = registry.find(client_id)
    if existing is None:
        registry.add(build_client(**fields))
    else:
        registry.update(client_id, **{k: v for k, v in fields.items() if k != "client_id"})
    with dg.DagsterInstance.get() as instance:
        if not instance.has_dynamic_partition(CLIENTS_PARTITION, client_id):
            instance.add_dynamic_partitions(CLIENTS_PARTITION, [client_id])
    # The data engineer's one-time catalog review, done for the demo: category mapping accepted,
    # required attribute values and certificates set, so the catalog publishes from the first run.
    configure_demo_catalog(registry.db, client_id, world.urls()["feeds"])
    configure_demo_shopee_catalog(registry.db, client_id)
    return client_id


def connect_demo_mercado_livre(config: SandboxConfig) -> str:
    """Links the demo client to the demo seller DEMOSTORE as a real seller would (Mercado Livre's consent,
    then the receiver's callback, which stores the grant), sets its Mercado Livre catalog mapping, and
    starts the seller's buyers (a purchase every 30 s once its items have stock). Returns the seller id."""
    from tiktok_pipelines.defs.resources.mercado_livre import standalone_mercado_livre

    world = SandboxWorld(config)
    settings = Settings.load({**os.environ, **world.environment()})
    url = world.urls()["mercado_livre"]
    httpx.post(f"{url}/_sandbox/sellers/{DEMO_ML_SELLER}/consent", timeout=5.0).raise_for_status()
    resource = standalone_mercado_livre(settings)
    answer = httpx.get(resource.authorization_link(DEMO_CLIENT_ID), follow_redirects=True, timeout=10.0)
    if answer.status_code != 200:
        raise RuntimeError(f"the Mercado Livre consent ended with {answer.status_code}: {answer.text[:200]}")
    configure_demo_mercado_livre(resource.state.db, DEMO_CLIENT_ID)
    # The store's VTEX affiliate for Mercado Livre, which the client's option `vtex_affiliates` names.
    httpx.put(
        f"{world.urls()['vtex']}/_sandbox/vtex/accounts/{DEMO_ACCOUNT}/affiliates/{DEMO_ML_AFFILIATE}",
        json={"name": "Mercado Livre", "salesChannel": "1"},
        timeout=5.0,
    ).raise_for_status()
    httpx.post(
        f"{url}/_sandbox/autopilot", json={"nickname": DEMO_ML_SELLER, "interval_seconds": 30}, timeout=5.0
    ).raise_for_status()
    grant = resource.tokens.get_tokens(DEMO_CLIENT_ID)
    return grant.open_id if grant and grant.open_id else ""


def connect_demo_notifications(config: SandboxConfig) -> None:
    """Sends the demo client's notifications (every kind) to the sandbox's mailbox and chat sink."""
    from tiktok_pipelines.stores.notification_destinations import NotificationDestinations

    destinations = NotificationDestinations(open_state_db(Settings.load()))
    for name, url in SandboxWorld(config).demo_destinations().items():
        destinations.add(DEMO_CLIENT_ID, name, url, replace=True)


def connect_vtex_notifications(config: SandboxConfig) -> None:
    """Points the sandbox VTEX store's order hook and SKU broadcasts at the receiver."""
    from tiktok_pipelines.defs.resources.vtex import Vtex
    from tiktok_pipelines.lanes.onboarding import configure_vtex_order_hook
    from tiktok_pipelines.sandbox.vtex import VtexSandboxControl
    from tiktok_pipelines.sandbox.world import DEMO_VTEX_WEBHOOK_SECRET, VTEX_WEBHOOK_PATH

    world = SandboxWorld(config)
    settings = Settings.load({**os.environ, **world.environment()})
    receiver = world.urls()["receiver"]
    client = ClientRegistry(open_state_db(settings)).get(DEMO_CLIENT_ID)
    with Vtex.from_settings(settings).client_for(client) as api:
        configure_vtex_order_hook(api, receiver, settings.require("TIKTOK_PIPELINES_VTEX_WEBHOOK_SECRET"))
    with VtexSandboxControl(world.urls()["vtex"], DEMO_ACCOUNT) as control:
        control.notify_to(f"{receiver}{VTEX_WEBHOOK_PATH}?secret={DEMO_VTEX_WEBHOOK_SECRET}")


# The demo ERP: invoices an order this long after VTEX lets it be handled; about one NF-e in eight comes
# out broken (the fulfilment lane refuses it, or TikTok does) and is corrected this long after.
DEMO_INVOICE_DELAY_SECONDS = 20.0
DEMO_BROKEN_INVOICE_SHARE = 0.125
DEMO_CORRECTION_DELAY_SECONDS = 120.0


def automate_demo_erp(config: SandboxConfig) -> None:
    """Has the sandbox VTEX store's ERP invoice the demo's orders by itself, so that they flow through
    invoicing and shipping without manual steps (see docs/fulfilment.md)."""
    from tiktok_pipelines.sandbox.vtex import VtexSandboxControl

    with VtexSandboxControl(SandboxWorld(config).urls()["vtex"], DEMO_ACCOUNT) as control:
        control.auto_invoice(
            DEMO_INVOICE_DELAY_SECONDS,
            broken_share=DEMO_BROKEN_INVOICE_SHARE,
            correct_seconds=DEMO_CORRECTION_DELAY_SECONDS,
        )


def start_vtex_walk(config: SandboxConfig, interval_seconds: float, skus_per_step: int = 2) -> None:
    """Has the sandbox VTEX store move stock and prices of a few SKUs every `interval_seconds`, as a live
    store does; each change is broadcast to the receiver, and the stock and price sync carries it to
    every channel listing the SKU: TikTok Shop, Mercado Livre, Shopee (SKUs not listed yet are recorded
    and ignored)."""
    from tiktok_pipelines.sandbox.vtex import VtexSandboxControl

    world = SandboxWorld(config)
    with VtexSandboxControl(world.urls()["vtex"], DEMO_ACCOUNT) as control:
        control.start_walk(interval_seconds, skus_per_step=skus_per_step)


def authorize_demo_client(config: SandboxConfig) -> TokenRunReport:
    """Runs the sandbox's consent → the receiver's OAuth callback → the token exchange for the demo client,
    so it ends up with its shop id, cipher and tokens, as a real seller's authorization would leave it.

    Uses the receiver when one answers on the configured port, else serves one for the moment.
    """
    from tiktok_pipelines.defs.resources.tiktok_shop import standalone_tiktok_shop
    from tiktok_pipelines.receiver.app import create_app
    from tiktok_pipelines.sandbox.server import ServerThread

    world = SandboxWorld(config)
    settings = Settings.load({**os.environ, **world.environment()})
    tiktok = standalone_tiktok_shop(settings)
    link = tiktok.authorization_link(DEMO_CLIENT_ID)
    try:
        consent = httpx.get(link, timeout=10.0, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise RuntimeError(
            f"the sandbox TikTok Shop does not answer on {world.urls()['tiktok']} ({type(exc).__name__}); "
            "start it with `tiktok-pipelines sandbox up`"
        ) from None
    if consent.status_code != 302:
        raise RuntimeError(f"the sandbox consent page answered {consent.status_code}: {consent.text[:200]}")
    callback = consent.headers["location"]
    receiver = world.urls()["receiver"]
    temporary = None
    try:
        try:
            httpx.get(f"{receiver}/health", timeout=2.0)
        except httpx.HTTPError:
            temporary = ServerThread(
                create_app(settings), host=config.host, port=config.receiver_port
            ).start()
        answer = httpx.get(callback, timeout=10.0)
        if answer.status_code != 200:
            raise RuntimeError(f"the OAuth callback answered {answer.status_code}")
    finally:
        if temporary is not None:
            temporary.stop()
    with tiktok.token_manager() as manager:
        return manager.run()


def connect_demo_shopee(config: SandboxConfig) -> str:
    """Connects the demo client's Shopee shop through the sandbox's consent page (the demo seller consents
    without a click) and the receiver's `/oauth/shopee/callback`, which exchanges the code at once (the
    receiver must be up), and has the demo store's VTEX take Shopee's orders under their own affiliate.
    Returns the shop id."""
    from tiktok_pipelines.defs.resources.shopee import Shopee
    from tiktok_pipelines.defs.resources.state import StateStore
    from tiktok_pipelines.sandbox.vtex import VtexSandboxControl

    world = SandboxWorld(config)
    with VtexSandboxControl(world.urls()["vtex"], DEMO_ACCOUNT) as control:
        control.set_affiliate(DEMO_SHOPEE_AFFILIATE, "Shopee")
    settings = Settings.load({**os.environ, **world.environment()})
    shopee = Shopee.from_settings(settings, StateStore.from_settings(settings), env_vars=False)
    answer = httpx.get(shopee.authorization_link(DEMO_CLIENT_ID), timeout=10.0, follow_redirects=True)
    if answer.status_code != 200:
        raise RuntimeError(f"the Shopee authorization callback answered {answer.status_code}")
    shop_id = shopee.shop_id(DEMO_CLIENT_ID)
    if shop_id is None:
        raise RuntimeError("the demo client has no Shopee shop after the callback")
    return shop_id


def _prepare_dagster_home(env: dict[str, str]) -> Path:
    home = Path(env.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    project_yaml = Path.cwd() / "dagster.yaml"
    if project_yaml.exists() and (
        not (home / "dagster.yaml").exists()
        or project_yaml.read_bytes() != (home / "dagster.yaml").read_bytes()
    ):
        shutil.copyfile(project_yaml, home / "dagster.yaml")
    env["DAGSTER_HOME"] = str(home)
    return home


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} will not answer: its process exited with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the sandbox did not answer on {url}")


DEMO_ANALYTICS_FRESH_MINUTES = 2  # analytics_freshness_sensor: a first build at once, then every 2 minutes
RUNS_STOP_SECONDS = 60.0  # Dagster's runs get this long to end before dagster dev is stopped


def _dagster_runs_first(supervisor: Supervisor) -> tuple[Callable[[], None], Callable[[], None]]:
    """What happens around stopping dagster dev: its runs stopped first (the emulators and the receiver
    still up), and any run it left behind recorded as cancelled once it is gone."""
    import dagster as dg

    def before() -> None:
        with dg.DagsterInstance.get() as instance:
            left = stop_dagster_runs(
                instance, RUNS_STOP_SECONDS, hurry=lambda: supervisor.hurry, echo=supervisor.echo
            )
        if left:
            supervisor.echo(f"{len(left)} Dagster run(s) still running: they stop with dagster dev")

    def after() -> None:
        with dg.DagsterInstance.get() as instance:
            cancelled = cancel_abandoned_runs(instance)
        if cancelled:
            supervisor.echo(f"recorded {len(cancelled)} run(s) stopped with dagster dev as cancelled")

    return before, after


def run_demo(
    config: SandboxConfig,
    dagster_port: int = 3000,
    walk_seconds: float = 20.0,
    dashboard_port: int | None = None,
) -> int:
    env = dict(os.environ)
    settings = Settings.load(env)
    env["TIKTOK_PIPELINES_DATA_DIR"] = str(settings.data_dir)
    # Numbers on the dashboard within two minutes, minutes old at most (docs/dashboard.md).
    env.setdefault("TIKTOK_PIPELINES_ANALYTICS_FRESH_MINUTES", str(DEMO_ANALYTICS_FRESH_MINUTES))
    open_state_db(settings, create=True)  # before the receiver, which only opens what exists
    _prepare_dagster_home(env)
    world = SandboxWorld(config)
    env.update(world.environment())
    # The demo creator posts too: the Content Posting scopes are asked at its consent.
    env.setdefault("TIKTOK_CREATOR_SCOPES", DEMO_CREATOR_SCOPES)
    # Notifications link to this UI's runs and assets.
    env.setdefault("TIKTOK_PIPELINES_DAGSTER_UI_URL", f"http://127.0.0.1:{dagster_port}")
    os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "TIKTOK_PIPELINES_DATA_DIR")})
    os.environ.update(world.environment())

    # The children run in sessions of their own: a Ctrl-C reaches this supervisor only, which stops
    # Dagster's runs, then dagster dev, then the receiver, then the emulators (see supervisor.py).
    supervisor = Supervisor()
    cli = [sys.executable, "-m", "tiktok_pipelines.cli"]

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)  # the terminal closed: the children would outlive it
    try:
        sandbox = supervisor.start(
            "the sandbox emulators",
            [
                *cli,
                "sandbox",
                "up",
                "--host",
                config.host,
                "--feeds-port",
                str(config.feeds_port),
                "--tiktok-port",
                str(config.tiktok_port),
                "--vtex-port",
                str(config.vtex_port),
                "--creator-port",
                str(config.creator_port),
                "--llm-port",
                str(config.llm_port),
                "--mercado-livre-port",
                str(config.mercado_livre_port),
                "--shopee-port",
                str(config.shopee_port),
                "--receiver-port",
                str(config.receiver_port),
                "--sinks-port",
                str(config.sinks_port),
                "--smtp-port",
                str(config.smtp_port),
                "--products",
                str(config.products),
                "--seed",
                str(config.seed),
            ],
            env,
        )
        _wait_healthy(f"{world.urls()['feeds']}/health", sandbox)
        _wait_healthy(f"{world.urls()['tiktok']}/health", sandbox)
        _wait_healthy(f"{world.urls()['creator']}/health", sandbox)
        _wait_healthy(f"{world.urls()['llm']}/health", sandbox)
        _wait_healthy(f"{world.urls()['mercado_livre']}/health", sandbox)
        _wait_healthy(f"{world.urls()['shopee']}/health", sandbox)
        receiver = supervisor.start(
            "the receiver",
            [*cli, "webhooks", "serve", "--host", config.host, "--port", str(config.receiver_port)],
            env,
        )
        _wait_healthy(f"{world.urls()['receiver']}/health", receiver)
        dashboard_port = dashboard_port or settings.int("TIKTOK_PIPELINES_DASHBOARD_PORT")
        dashboard_url = f"http://{config.host}:{dashboard_port}"
        dashboard = supervisor.start(
            "the dashboard",
            [*cli, "dashboard", "serve", "--host", config.host, "--port", str(dashboard_port)],
            env,
        )
        _wait_healthy(f"{dashboard_url}/health", dashboard)
        client_id = setup_demo_client(config)
        connect_demo_notifications(config)  # orders, failures... to the sandbox's mailbox and chat
        report = authorize_demo_client(config)
        if client_id not in report.associated:
            print(
                f"warning: the demo client's TikTok authorization failed: {report.codes_failed}", flush=True
            )
        # The same client sells on Mercado Livre: the demo seller connected, its buyers started.
        try:
            print(f"demo Mercado Livre seller: {connect_demo_mercado_livre(config)}", flush=True)
        except (RuntimeError, httpx.HTTPError) as exc:
            print(f"warning: the demo Mercado Livre seller could not connect: {exc}", flush=True)
        # Its Shopee shop, through Shopee's consent and the receiver's callback.
        try:
            print(f"demo Shopee shop: {connect_demo_shopee(config)}", flush=True)
        except (RuntimeError, httpx.HTTPError) as exc:
            print(f"warning: the demo client's Shopee shop could not connect: {exc}", flush=True)
        # A creator account beside the shop, connected through Login Kit's consent and the callback.
        try:
            print(f"demo creator: {connect_demo_creator(config)}", flush=True)
            # A post published within minutes; a new product becoming a draft once the catalog is out.
            print(f"demo post: {schedule_demo_posts(config)}", flush=True)
            add_demo_product_when_watched(config)
        except (RuntimeError, httpx.HTTPError) as exc:
            print(f"warning: the demo creator could not connect: {exc}", flush=True)
        # VTEX tells the receiver about order status changes (hook) and SKU changes (broadcasts).
        connect_vtex_notifications(config)
        # The merchant's ERP invoices orders in VTEX: the fulfilment lane takes it from there.
        automate_demo_erp(config)
        # A live store: stock and prices move gently, and every channel follows within seconds.
        if walk_seconds > 0:
            start_vtex_walk(config, walk_seconds)
        # Demo buyers: an order every 30 s once listings have stock, older orders moving along.
        httpx.post(
            f"{world.urls()['tiktok']}/_sandbox/autopilot",
            json={"shop_code": DEMO_SHOP_CODE, "interval_seconds": 30},
            timeout=5.0,
        )
        httpx.post(
            f"{world.urls()['shopee']}/_sandbox/autopilot",
            json={"shop_id": DEMO_SHOPEE_SHOP_ID, "interval_seconds": 30},
            timeout=5.0,
        )
        dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
        target = (
            ["-w", "workspace.yaml"]
            if Path("workspace.yaml").exists()
            else ["-m", "tiktok_pipelines.definitions"]
        )
        before, after = _dagster_runs_first(supervisor)
        supervisor.start(
            "dagster dev",
            [dagster, "dev", "-h", "127.0.0.1", "-p", str(dagster_port), *target],
            env,
            before_stop=before,
            after_stop=after,
        )
        print(
            f"\n  Dagster UI:      http://127.0.0.1:{dagster_port}\n"
            f"  dashboard:       {dashboard_url} (numbers once analytics_job has run: within 2 minutes)\n"
            f"  demo client:     {client_id} (partition of every asset)\n"
            + "".join(f"  sandbox {name:<8} {url}\n" for name, url in world.urls().items())
            + (f"  VTEX walk:       2 SKUs change every {walk_seconds:g} s\n" if walk_seconds > 0 else "")
            + "  Ctrl-C stops everything: Dagster's runs first, then dagster dev, the receiver, the sandbox.\n",
            flush=True,
        )
        return supervisor.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop()
