"""Deleting a creator leaves nothing behind (proved by the next analytics build), disconnecting revokes
the token, and the receiver's JSON API drives connect and sync without Dagster."""

from __future__ import annotations

import json

import dagster as dg
import httpx
import sqlalchemy as sa
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.defs.creators.automation import creator_sync_sensor
from tiktok_pipelines.sandbox.world import DEMO_CREATOR
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines.stores.db import metadata
from tiktok_pipelines_tests.creators.conftest import API_KEY, CREATOR_ID, consent, sync


def test_deleting_a_creator_leaves_nothing_and_proves_it(connected, sandbox, creator_resources, instance):
    assert sync(creator_resources, instance).success
    analytics = creator_resources["analytics"]
    analytics.refresh(creator_resources["lake"], connected.db)
    with analytics.connect() as con:
        assert con.execute("SELECT count(*) FROM creator_video_performance").fetchone()[0] > 0
    open_id = connected.registry.get(CREATOR_ID).open_id

    result = CliRunner().invoke(main, ["creators", "delete", CREATOR_ID, "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit receipt:" in result.output

    assert CreatorLake(creator_resources["lake"].objects).keys(CREATOR_ID) == []
    with connected.db.read() as conn:
        for table in metadata.sorted_tables:
            if "creator_id" in table.c:
                left = conn.execute(
                    sa.select(sa.func.count()).where(table.c.creator_id == CREATOR_ID)
                ).scalar()
                assert left == 0, table.name
        [audit] = conn.execute(sa.text("SELECT * FROM creator_audit")).mappings().all()
    assert CREATOR_ID not in json.dumps(dict(audit), default=str) and open_id not in json.dumps(
        dict(audit), default=str
    )
    assert json.loads(audit["detail"])["analytics_rows_left.creator_video_performance"] == 0
    with analytics.connect() as con:  # the build the deletion made
        for table in (
            "creator_growth_daily",
            "creator_video_performance",
            "creator_hashtags",
            "creator_formats",
        ):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    stats = httpx.get(f"{sandbox.urls()['creator']}/_sandbox/stats").json()
    assert stats["answers"]["POST /v2/oauth/revoke/"] == {"ok": 1}


def test_disconnect_revokes_the_token_and_stops_syncs(connected, sandbox, creator_resources, instance):
    result = CliRunner().invoke(main, ["creators", "disconnect", CREATOR_ID])
    assert result.exit_code == 0, result.output
    assert connected.registry.get(CREATOR_ID).status == "disconnected"
    assert connected.auth.get_tokens(CREATOR_ID) is None
    assert not sync(creator_resources, instance).success
    assert connected.auth.pending_sync(CREATOR_ID)  # the connection's first sync, dropped by the sensor
    context = dg.build_sensor_context(instance=instance, resources={"state": creator_resources["state"]})
    assert not creator_sync_sensor(context).run_requests
    assert not connected.auth.pending_sync(CREATOR_ID)


def test_the_json_api_connects_and_queues_a_sync_for_the_sensor(
    lane, sandbox, receiver, monkeypatch, instance
):
    from tiktok_pipelines.receiver.app import create_app
    from tiktok_pipelines.sandbox.server import ServerThread
    from tiktok_pipelines.settings import Settings

    monkeypatch.setenv("TIKTOK_PIPELINES_API_KEY", API_KEY)
    lane.registry.add(CREATOR_ID)
    with ServerThread(create_app(Settings.load(), db=lane.db)) as api:
        base = f"{api.url}/api/v1/creators/{CREATOR_ID}"
        auth = {"Authorization": f"Bearer {API_KEY}"}
        assert httpx.get(f"{base}/status").status_code == 401
        assert httpx.get(f"{base}/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{api.url}/api/v1/creators/nobody/status", headers=auth).status_code == 404
        init = httpx.post(f"{base}/auth/init", headers=auth)
        assert init.status_code == 200
        assert "code_challenge=" in init.json()["authorization_url"]  # a desktop app: PKCE
        assert consent(init.json()["authorization_url"], creator=DEMO_CREATOR).status_code == 200
        status = httpx.get(f"{base}/status", headers=auth).json()
        assert status["connected"] and status["sync_pending"]  # the connection asks for a first sync
        assert "token" not in json.dumps(status).lower()
        assert httpx.post(f"{base}/sync", headers=auth).json() == {"creator_id": CREATOR_ID, "queued": False}

    from tiktok_pipelines.defs.resources.state import StateStore

    state = StateStore.from_settings(Settings.load())
    context = dg.build_sensor_context(instance=instance, resources={"state": state})
    result = creator_sync_sensor(context)
    assert [r.partition_key for r in result.run_requests] == [CREATOR_ID]
    assert not creator_sync_sensor(
        dg.build_sensor_context(instance=instance, resources={"state": state})
    ).run_requests


def test_a_used_or_unknown_state_is_refused_by_the_callback(lane, receiver):
    answer = httpx.get(
        f"{receiver.url}/oauth/tiktok-creator/callback", params={"code": "x", "state": "forged"}
    )
    assert answer.status_code == 400
    assert "not issued here" in answer.text


def test_the_demo_connects_its_creator_through_consent_and_callback(sandbox, receiver, demo_client, state_db):
    from tiktok_pipelines.sandbox.demo_creator import DEMO_CREATOR_ID, connect_demo_creator
    from tiktok_pipelines.stores.creator_auth import CreatorAuthStore

    assert connect_demo_creator(sandbox.config) == "connected"
    assert CreatorAuthStore(state_db).pending_sync(DEMO_CREATOR_ID)
    assert connect_demo_creator(sandbox.config) == "connected"  # a second `make run` changes nothing
