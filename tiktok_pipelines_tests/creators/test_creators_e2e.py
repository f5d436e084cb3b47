"""A creator end to end against the emulator: consent → callback → tokens, sync into the lake, the
engagement tables; a partial grant, a rotated refresh token replayed, a revoked grant, 429 storms."""

from __future__ import annotations

import httpx
import pytest

from tiktok_pipelines.creator.errors import CreatorAuthError
from tiktok_pipelines.creator.oauth import CreatorOAuth
from tiktok_pipelines.creator.transport import Transport
from tiktok_pipelines.lanes.creators.access import NeedsReconnection, renew, valid_tokens
from tiktok_pipelines.sandbox.world import DEMO_CREATOR
from tiktok_pipelines.stores.creator_lake import CreatorLake
from tiktok_pipelines_tests.creators.conftest import CREATOR_ID, connect_creator, metadata, sync


def _public_videos(sandbox) -> list[dict]:
    videos = httpx.get(f"{sandbox.urls()['creator']}/_sandbox/creators/{DEMO_CREATOR}/videos").json()[
        "videos"
    ]
    return [v for v in videos if v.get("public", True)]


def test_a_connected_creator_is_synced_and_its_analytics_fill(
    connected, sandbox, creator_resources, instance
):
    creator = connected.registry.get(CREATOR_ID)
    assert creator.status == "connected"
    assert set(creator.granted_scopes) == {
        "user.info.basic",
        "user.info.profile",
        "user.info.stats",
        "video.list",
    }
    tokens = connected.auth.get_tokens(CREATOR_ID)
    assert tokens is not None and tokens.access_lifetime_seconds == 86400  # as the answer gave it

    result = sync(creator_resources, instance)
    assert result.success, result.all_events
    expected = _public_videos(sandbox)
    assert metadata(result, "videos")["dagster/row_count"] == len(expected)
    assert metadata(result, "video_metrics")["dagster/row_count"] == len(expected)
    profile = connected.registry.get(CREATOR_ID)
    assert profile.username == DEMO_CREATOR and profile.follower_count and profile.last_sync_at

    creator_resources["analytics"].refresh(creator_resources["lake"], connected.db)
    with creator_resources["analytics"].connect() as con:
        growth = con.execute(
            "SELECT followers FROM creator_growth_daily WHERE creator_id = ?", [CREATOR_ID]
        ).fetchall()
        assert growth == [(profile.follower_count,)]
        views = dict(
            con.execute(
                "SELECT video_id, views FROM creator_video_performance WHERE creator_id = ?", [CREATOR_ID]
            ).fetchall()
        )
        assert views == {v["id"]: v["view_count"] for v in expected} or set(views) == {
            v["id"] for v in expected
        }
        assert con.execute("SELECT count(*) FROM creator_hashtags").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM creator_posting_times WHERE rank = 1").fetchone()[0] == 1
        assert con.execute("SELECT sum(videos) FROM creator_formats").fetchone()[0] == len(expected)


def test_videos_gain_views_and_the_growth_since_the_last_snapshot_shows(
    connected, sandbox, creator_resources, instance
):
    assert sync(creator_resources, instance).success
    httpx.post(f"{sandbox.urls()['creator']}/_sandbox/clock", json={"advance_s": 6 * 3600})
    assert sync(creator_resources, instance).success
    creator_resources["analytics"].refresh(creator_resources["lake"], connected.db)
    with creator_resources["analytics"].connect() as con:
        grown = con.execute(
            "SELECT count(*) FROM creator_video_performance WHERE views_growth > 0 AND previous_snapshot_at IS NOT NULL"
        ).fetchone()[0]
    assert grown > 0


def test_a_partial_grant_asks_only_for_the_fields_granted(lane, sandbox, creator_resources, instance):
    answer = connect_creator(lane, scopes=("user.info.basic",))
    assert answer.status_code == 200, answer.text
    assert lane.registry.get(CREATOR_ID).granted_scopes == ("user.info.basic",)
    httpx.delete(f"{sandbox.urls()['creator']}/_sandbox/stats")
    result = sync(creator_resources, instance)
    assert result.success, result.all_events
    creator = lane.registry.get(CREATOR_ID)
    assert creator.display_name and creator.follower_count is None and creator.username is None
    assert "video.list" in metadata(result, "videos")["skipped"]
    stats = httpx.get(f"{sandbox.urls()['creator']}/_sandbox/stats").json()
    refused = {code for answers in stats["answers"].values() for code in answers if code != "ok"}
    assert not refused, stats  # no scope_permission_missed, no scope_not_authorized
    assert not any("video" in call for call in stats["calls"]), stats


def test_the_rotated_refresh_token_is_kept_and_the_old_one_is_refused(connected):
    before = connected.auth.get_tokens(CREATOR_ID)
    with connected.transport() as transport:
        after = renew(connected, transport, connected.registry.get(CREATOR_ID), before)
        assert after.refresh_token.get_secret_value() != before.refresh_token.get_secret_value()
        assert after.refreshes == 1
        with pytest.raises(CreatorAuthError) as refused:
            CreatorOAuth(connected.app, transport).refresh(before.refresh_token.get_secret_value())
        assert refused.value.code == "invalid_grant"
        # The stored (rotated) one still renews.
        again = valid_tokens(connected, transport, CREATOR_ID, force=True)
    assert again.refreshes == 2 and connected.registry.get(CREATOR_ID).status == "connected"


def test_a_replayed_refresh_token_marks_the_creator_for_reconnection(connected):
    old = connected.auth.get_tokens(CREATOR_ID)
    with connected.transport() as transport:
        renew(connected, transport, connected.registry.get(CREATOR_ID), old)
        with pytest.raises(NeedsReconnection):
            renew(
                connected, transport, connected.registry.get(CREATOR_ID), old
            )  # a store that lost the rotation
    creator = connected.registry.get(CREATOR_ID)
    assert creator.status == "needs_reconnection" and "invalid_grant" in creator.last_error


def test_a_revoked_grant_fails_the_sync_and_asks_for_reconnection(
    connected, sandbox, creator_resources, instance
):
    httpx.post(f"{sandbox.urls()['creator']}/_sandbox/tokens/revoke", json={"creator": DEMO_CREATOR})
    result = sync(creator_resources, instance)
    assert not result.success
    creator = connected.registry.get(CREATOR_ID)
    assert creator.status == "needs_reconnection"
    assert CreatorLake(creator_resources["lake"].objects).keys(CREATOR_ID) == []


def test_a_429_storm_is_waited_out(connected, sandbox, creator_resources, instance):
    httpx.post(f"{sandbox.urls()['creator']}/_sandbox/switches", json={"burst_429": 4})
    result = sync(creator_resources, instance)
    assert result.success, result.all_events
    assert metadata(result, "profile")["throttled_429"] == 4
    assert metadata(result, "videos")["dagster/row_count"] == len(_public_videos(sandbox))


def test_the_client_never_starts_more_calls_than_the_window_allows(connected, sandbox):
    httpx.post(f"{sandbox.urls()['creator']}/_sandbox/limits", json={"rate_limit": 5, "rate_window_s": 1.0})
    app = connected.app.__class__(**{**connected.app.__dict__, "rate_limit_per_minute": 5})
    limited = connected.__class__(connected.db, app, lambda a: Transport(a, limiters=_window(5, 1.0)))
    with limited.transport() as transport:
        tokens = valid_tokens(limited, transport, CREATOR_ID)
        from tiktok_pipelines.creator.display import DisplayApi

        api = DisplayApi(transport, tokens.access_token.get_secret_value(), ("user.info.basic",))
        for _ in range(12):
            api.user_info()
        assert transport.throttled == 0


def _window(limit: int, seconds: float):
    from tiktok_pipelines.creator.limits import SlidingWindowLimiters

    return SlidingWindowLimiters(limit, seconds)
