"""deploy/compose.yaml, run here without Docker: Postgres and moto on loopback stand in for the
`postgres` and `minio` images, and each of the project's services is started with its own command
through the image's entrypoint (deploy/entrypoint.sh), in the environment of deploy/.env.example. Each
one reaches readiness (HTTP 200 on its port, the gRPC server answering Dagster's health check, the
daemon's heartbeats) and is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tiktok_pipelines.sandbox.server import free_port
from tiktok_pipelines_tests.deploy.conftest import DEPLOY, ROOT

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_wires_every_service_to_what_it_needs():
    services = compose()["services"]
    assert set(services) >= {"postgres", "minio", "init", "code-location", "webserver", "daemon", "receiver"}
    project = {name: s for name, s in services.items() if s.get("image", "").startswith("tiktok-pipelines")}
    for name, service in project.items():
        assert service["env_file"] == ".env", name
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
        assert "init" in service["depends_on"] or name == "init", name
    assert services["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("webserver", "daemon"):
        assert services[name]["depends_on"]["code-location"]["condition"] == "service_healthy"
    mounted = services["postgres"]["volumes"][1].split(":")[0]
    assert (DEPLOY / mounted).is_file()
    # The workspace the webserver and the daemon load points at the code-location service.
    env = dict(
        line.split("=", 1) for line in (DEPLOY / ".env.example").read_text().splitlines() if "=" in line
    )
    assert env["DAGSTER_GRPC_HOST"] == "code-location"


def _start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(DEPLOY / "entrypoint.sh"), role],
        env=env,
        cwd=env["DAGSTER_HOME"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _until(ready, what: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if ready():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} was not ready within {timeout} s:\n{log.read_text()[-3000:]}")


def _http_ok(url: str):
    def ready() -> bool:
        try:
            return httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    return ready


def _command_ok(*command: str, env: dict[str, str]):
    def ready() -> bool:
        return subprocess.run(command, env=env, capture_output=True, timeout=60).returncode == 0

    return ready


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_each_service_of_the_compose_file_starts_and_answers(loopback_env, tmp_path):
    from tiktok_pipelines.dashboard.auth import hash_password

    ports = {name: free_port() for name in ("grpc", "webserver", "receiver", "dashboard")}
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        **loopback_env,
        "TIKTOK_PIPELINES_DASHBOARD_PASSWORD_HASH": hash_password("a long enough password"),
        "DAGSTER_GRPC_HOST": "127.0.0.1",
        "DAGSTER_GRPC_LISTEN_HOST": "127.0.0.1",
        "DAGSTER_GRPC_PORT": str(ports["grpc"]),
        "DAGSTER_WEBSERVER_HOST": "127.0.0.1",
        "DAGSTER_WEBSERVER_PORT": str(ports["webserver"]),
        "TIKTOK_PIPELINES_RECEIVER_HOST": "127.0.0.1",
        "TIKTOK_PIPELINES_RECEIVER_PORT": str(ports["receiver"]),
        "TIKTOK_PIPELINES_DASHBOARD_HOST": "127.0.0.1",
        "TIKTOK_PIPELINES_DASHBOARD_PORT": str(ports["dashboard"]),
        "DAGSTER_WORKSPACE": str(DEPLOY / "workspace.yaml"),
    }
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text((DEPLOY / "dagster.compose.yaml").read_text())
    services = compose()["services"]
    logs = tmp_path / "logs"
    logs.mkdir()

    init = subprocess.run(
        [str(DEPLOY / "entrypoint.sh"), *services["init"]["command"]],
        env=env,
        cwd=env["DAGSTER_HOME"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert init.returncode == 0, init.stdout[-2000:] + init.stderr[-2000:]

    procs: list[subprocess.Popen] = []
    try:
        (role,) = services["code-location"]["command"]
        code = _start(role, env, logs / role)
        procs.append(code)
        grpc_check = ["dagster", "api", "grpc-health-check", "-p", str(ports["grpc"])]
        _until(_command_ok(*grpc_check, env=env), role, code, logs / role)

        checks = {
            "webserver": _http_ok(f"http://127.0.0.1:{ports['webserver']}/server_info"),
            "receiver": _http_ok(f"http://127.0.0.1:{ports['receiver']}/health"),
            "dashboard": _http_ok(f"http://127.0.0.1:{ports['dashboard']}/health"),
            "daemon": _command_ok(*services["daemon"]["healthcheck"]["test"][1:], env=env),
        }
        started = {}
        for name in checks:
            (role,) = services[name]["command"]
            started[name] = _start(role, env, logs / name)
            procs.append(started[name])
        for name, ready in checks.items():
            _until(ready, name, started[name], logs / name)
        # The webserver sees the code location through the workspace file, with its jobs.
        answer = httpx.post(
            f"http://127.0.0.1:{ports['webserver']}/graphql",
            json={
                "query": "{ workspaceOrError { ... on Workspace { locationEntries { name "
                "locationOrLoadError { __typename } } } } }"
            },
            timeout=30,
        ).json()
        (entry,) = answer["data"]["workspaceOrError"]["locationEntries"]
        assert entry["name"] == "tiktok_pipelines"
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"
    finally:
        _stop(procs)
    assert all(p.returncode is not None for p in procs)
