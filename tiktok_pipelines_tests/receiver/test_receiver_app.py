"""The receiver app: health, extensible routes, and access lines without the callback's secrets."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import tiktok_pipelines
from tiktok_pipelines.receiver.app import create_app
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.settings import Settings


def test_health_and_default_routes(state_db):
    with ServerThread(create_app(Settings.load(), db=state_db)) as server:
        assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
        answer = httpx.get(
            f"{server.url}/oauth/tiktok/callback", params={"code": "ROW_x", "state": "<script>"}
        )
    assert answer.status_code == 400 and "<script>" not in answer.text


def test_features_add_routes(state_db):
    def hello(ctx):
        assert ctx.db is state_db
        return [Route("/webhooks/hello", lambda request: PlainTextResponse("hi"), methods=["POST"])]

    with ServerThread(create_app(Settings.load(), db=state_db, features=[hello])) as server:
        assert httpx.post(f"{server.url}/webhooks/hello").text == "hi"
        assert httpx.get(f"{server.url}/oauth/tiktok/callback").status_code == 404  # only the features given


def test_access_log_lines_are_redacted(state_db, caplog):
    create_app(Settings.load(), db=state_db)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/oauth/tiktok/callback?code=ROW_secret&state=abc",
        "1.1",
        200,
    )
    assert "ROW_secret" not in caplog.text and "code=***" in caplog.text and "state=***" in caplog.text


def test_the_receiver_starts_without_loading_dagster(isolated_env):
    """The receiver answers webhooks within TikTok's 3 seconds from its first request: it must not pay
    for Dagster's import (seconds) at start-up, so nothing it imports may load Dagster."""
    program = (
        "import sys\n"
        "from tiktok_pipelines.receiver.app import create_app\n"
        "from tiktok_pipelines.settings import Settings\n"
        "app = create_app(Settings.load())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_aws')))\n"
    )
    env = {**os.environ, **isolated_env, "PYTHONPATH": str(Path(tiktok_pipelines.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
