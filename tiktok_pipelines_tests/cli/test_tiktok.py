"""The `oauth` and `webhooks` commands."""

import json
import os
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.sandbox.server import free_port
from tiktok_pipelines.stores.registry import build_client


def test_oauth_url_exchange_and_status(sandbox, registry, receiver):
    registry.add(build_client(**sandbox.demo_client_fields()))
    runner = CliRunner()
    missing = runner.invoke(main, ["oauth", "url", "nobody"])
    assert missing.exit_code == 3
    result = runner.invoke(main, ["oauth", "url", "demo"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[0]
    assert "service_id=" in link and "state=" in link
    assert httpx.get(link, follow_redirects=True).status_code == 200

    exchanged = runner.invoke(main, ["oauth", "exchange"])
    assert exchanged.exit_code == 0, exchanged.output
    assert "codes exchanged: 1, shops associated: 1" in exchanged.stdout

    status = runner.invoke(main, ["oauth", "status", "demo", "--log", "10", "--json"])
    assert status.exit_code == 0
    [row] = json.loads(status.stdout)
    assert row["status"] == "active" and row["tiktok_shop_id"] and row["access_token_expires_at"]
    assert [e["step"] for e in row["log"]][-2:] == ["associate_shop", "fetch_warehouses"]
    assert "TTP_" not in status.stdout and "ROW_" not in status.stdout


def test_oauth_exchange_fails_loudly_on_a_refused_code(sandbox, registry, tiktok):
    registry.add(build_client(**sandbox.demo_client_fields()))
    tiktok.auth_store.record_auth_code("demo", "ROW_bogus")
    result = CliRunner().invoke(main, ["oauth", "exchange"])
    assert result.exit_code == 1
    assert "36004004" in result.output and "ROW_bogus" not in result.output


def test_oauth_url_needs_configuration(registry, sandbox_world):
    registry.add(build_client(**sandbox_world.demo_client_fields()))
    result = CliRunner().invoke(main, ["oauth", "url", "demo"])
    assert result.exit_code == 5 and "TIKTOK_SERVICE_ID" in result.output


def test_webhooks_serve_answers_health(isolated_env):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tiktok_pipelines.cli", "webhooks", "serve", "--port", str(port)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json() == {"status": "ok"}
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_resource_repr_shows_no_secret(sandbox, tiktok, isolated_env):
    from tiktok_pipelines.sandbox.tiktok_shop import SANDBOX_APP_SECRET

    text = repr(tiktok) + str(tiktok)
    assert SANDBOX_APP_SECRET not in text
    assert isolated_env["TIKTOK_PIPELINES_SECRET_KEY"] not in text
