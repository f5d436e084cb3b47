"""The creator emulator's Content Posting API: scopes, chunk rules, ordered uploads, the status of a
publish to its end, the post joining the creator's videos, per-token limits; driven with plain httpx."""

import httpx
import pytest

from tiktok_pipelines.sandbox.tiktok_creator import (
    SANDBOX_CLIENT_KEY,
    CreatorApp,
    EmulatorConfig,
    TikTokCreatorEmulator,
)
from tiktok_pipelines.sandbox.tiktok_creator.posting import MB, chunk_problem
from tiktok_pipelines_tests.sandbox.creator_support import (
    WEB_REDIRECT,
    authorize,
    callback_params,
    exchange,
    served,
)

POSTING = "user.info.basic,video.list,video.publish,video.upload"
MP4 = {"Content-Type": "video/mp4"}


@pytest.fixture
def emu():
    app = CreatorApp(
        redirect_uris=(WEB_REDIRECT,),
        scopes=("user.info.basic", "video.list", "video.publish", "video.upload"),
        auto_approve=True,
        verified_url_prefixes=("https://cdn.example.com/videos/",),
    )
    emulator = TikTokCreatorEmulator(EmulatorConfig(publish_processing_s=10, moderation_s=20), apps=(app,))
    emulator.add_creator("ana.cria", "Ana Cria")
    with served(emulator):
        yield emulator


def access_token(emu, scope=POSTING):
    """An access token of the auto-approving app, for the scopes asked."""
    location = authorize(emu, scope).headers["location"]
    return exchange(emu, callback_params(location)["code"]).json()["access_token"]


def post(emu, token, path, body=None):
    return emu.test_http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def direct_init(emu, token, privacy="PUBLIC_TO_EVERYONE", **source):
    body = {
        "post_info": {"title": "Meu primeiro post #fyp", "privacy_level": privacy},
        "source_info": {"source": "FILE_UPLOAD"} | source,
    }
    return post(emu, token, "/v2/post/publish/video/init/", body)


def status(emu, token, publish_id):
    return post(emu, token, "/v2/post/publish/status/fetch/", {"publish_id": publish_id}).json()["data"]


def test_the_chunk_rules_of_the_reference():
    assert chunk_problem(3 * MB, 3 * MB, 1) is None  # under 5 MB: whole
    assert chunk_problem(3 * MB, 1 * MB, 3)
    assert chunk_problem(50_000_123, 10_000_000, 5) is None  # the reference's example
    assert chunk_problem(50_000_123, 10_000_000, 6)  # the last chunk absorbs the trailing bytes
    assert chunk_problem(200 * MB, 100 * MB, 2)  # over 64 MB a chunk
    assert chunk_problem(10 * MB, 4 * MB, 2)  # under 5 MB a chunk
    assert chunk_problem(10 * MB, 5 * MB, True)


def test_a_chunked_upload_in_order_becomes_a_public_post_after_processing_and_moderation(emu):
    token = access_token(emu)
    emu.apps[SANDBOX_CLIENT_KEY].audited = True
    options = post(emu, token, "/v2/post/publish/creator_info/query/").json()["data"]
    assert options["creator_username"] == "ana.cria" and "SELF_ONLY" in options["privacy_level_options"]
    size, chunk = 12 * MB + 5, 5 * MB
    init = direct_init(emu, token, video_size=size, chunk_size=chunk, total_chunk_count=2).json()["data"]
    url = init["upload_url"]
    data = b"x" * size
    out_of_order = httpx.put(
        url, content=data[chunk:], headers=MP4 | {"Content-Range": f"bytes {chunk}-{size - 1}/{size}"}
    )
    assert out_of_order.status_code == 416
    first = httpx.put(
        url, content=data[:chunk], headers=MP4 | {"Content-Range": f"bytes 0-{chunk - 1}/{size}"}
    )
    assert first.status_code == 206
    assert status(emu, token, init["publish_id"])["status"] == "PROCESSING_UPLOAD"
    last = httpx.put(
        url, content=data[chunk:], headers=MP4 | {"Content-Range": f"bytes {chunk}-{size - 1}/{size}"}
    )
    assert last.status_code == 201
    assert status(emu, token, init["publish_id"])["uploaded_bytes"] == size
    emu.advance_clock(11)
    done = status(emu, token, init["publish_id"])
    assert done["status"] == "PUBLISH_COMPLETE" and done["publicaly_available_post_id"] == []  # moderation
    emu.advance_clock(20)
    post_id = status(emu, token, init["publish_id"])["publicaly_available_post_id"][0]
    emu.advance_clock(3600)  # an hour on the feed: a new post's first views
    listed = post(emu, token, "/v2/video/list/?fields=id,title,view_count", {"max_count": 1}).json()["data"][
        "videos"
    ]
    assert listed[0]["id"] == str(post_id) and listed[0]["title"] == "Meu primeiro post #fyp"
    assert listed[0]["view_count"] > 0


def test_an_unaudited_apps_post_stays_private(emu):
    token = access_token(emu)
    init = direct_init(emu, token, video_size=MB, chunk_size=MB, total_chunk_count=1).json()["data"]
    assert (
        httpx.put(
            init["upload_url"], content=b"y" * MB, headers=MP4 | {"Content-Range": f"bytes 0-{MB - 1}/{MB}"}
        ).status_code
        == 201
    )
    emu.advance_clock(60)
    done = status(emu, token, init["publish_id"])
    assert done["status"] == "PUBLISH_COMPLETE" and done["publicaly_available_post_id"] == []
    ids = [
        v["id"]
        for v in post(emu, token, "/v2/video/list/?fields=id", {"max_count": 20}).json()["data"]["videos"]
    ]
    private_post = emu.publishes[init["publish_id"]].video_id
    assert private_post and private_post not in ids


def test_init_refuses_bad_chunks_unknown_privacy_unverified_urls_and_missing_scopes(emu):
    token = access_token(emu)
    bad = direct_init(emu, token, video_size=10 * MB, chunk_size=4 * MB, total_chunk_count=2)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_params"
    privacy = direct_init(emu, token, privacy="EVERYONE", video_size=MB, chunk_size=MB, total_chunk_count=1)
    assert privacy.json()["error"]["code"] == "privacy_level_option_mismatch"
    pull = {"source_info": {"source": "PULL_FROM_URL", "video_url": "https://elsewhere.example.com/v.mp4"}}
    assert post(emu, token, "/v2/post/publish/inbox/video/init/", pull).json()["error"]["code"] == (
        "url_ownership_unverified"
    )
    pull["source_info"]["video_url"] = "https://cdn.example.com/videos/v.mp4"
    publish_id = post(emu, token, "/v2/post/publish/inbox/video/init/", pull).json()["data"]["publish_id"]
    emu.advance_clock(11)
    assert status(emu, token, publish_id)["status"] == "SEND_TO_USER_INBOX"
    reader = access_token(emu, "user.info.basic,video.list")
    refused = post(emu, reader, "/v2/post/publish/creator_info/query/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "scope_not_authorized"


def test_each_user_token_may_init_six_posts_a_minute(emu):
    token = access_token(emu)
    codes = [
        direct_init(emu, token, video_size=MB, chunk_size=MB, total_chunk_count=1).status_code
        for _ in range(7)
    ]
    assert codes == [200] * 6 + [429]
    assert post(emu, token, "/v2/post/publish/creator_info/query/").status_code == 200


def _upload_whole(url: str, data: bytes, content_type: str = "video/mp4") -> httpx.Response:
    size = len(data)
    headers = {"Content-Type": content_type, "Content-Range": f"bytes 0-{size - 1}/{size}"}
    return httpx.put(url, content=data, headers=headers)


def test_a_private_account_is_not_offered_public_posts_and_is_refused_them(emu):
    emu.creator("ana.cria").private_account = True
    token = access_token(emu)
    options = post(emu, token, "/v2/post/publish/creator_info/query/").json()["data"]
    assert "PUBLIC_TO_EVERYONE" not in options["privacy_level_options"]
    assert "SELF_ONLY" in options["privacy_level_options"]
    refused = direct_init(emu, token, video_size=MB, chunk_size=MB, total_chunk_count=1)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "privacy_level_option_mismatch"


def test_a_video_longer_than_the_creator_may_post_fails_its_publish(emu):
    from tiktok_pipelines.sandbox.tiktok_creator.media import sample_mp4

    emu.creator("ana.cria").max_video_post_duration_sec = 60
    token = access_token(emu)
    info = post(emu, token, "/v2/post/publish/creator_info/query/").json()["data"]
    assert info["max_video_post_duration_sec"] == 60
    results = {}
    for seconds in (45, 90):
        data = sample_mp4(seconds, MB)
        init = direct_init(
            emu, token, privacy="SELF_ONLY", video_size=MB, chunk_size=MB, total_chunk_count=1
        ).json()["data"]
        assert _upload_whole(init["upload_url"], data).status_code == 201
        results[seconds] = init["publish_id"]
    emu.advance_clock(11)
    assert status(emu, token, results[45])["status"] == "PUBLISH_COMPLETE"
    failed = status(emu, token, results[90])
    assert failed["status"] == "FAILED" and failed["fail_reason"] == "duration_check_failed"


def test_an_upload_chunk_must_say_it_is_a_video(emu):
    token = access_token(emu)
    init = direct_init(emu, token, privacy="SELF_ONLY", video_size=MB, chunk_size=MB, total_chunk_count=1)
    url = init.json()["data"]["upload_url"]
    assert _upload_whole(url, b"z" * MB, "application/octet-stream").status_code == 400
    assert _upload_whole(url, b"z" * MB).status_code == 201


def test_a_creators_posts_a_day_are_capped(emu):
    emu.config.posts_per_day = 3
    token = access_token(emu)
    pull = {"source_info": {"source": "PULL_FROM_URL", "video_url": "https://cdn.example.com/videos/v.mp4"}}
    codes = []
    for _ in range(4):
        answer = post(emu, token, "/v2/post/publish/inbox/video/init/", pull)
        codes.append(answer.json()["error"]["code"])
    assert codes == ["ok", "ok", "ok", "spam_risk_too_many_posts"]
    emu.advance_clock(86401)
    token = access_token(emu)  # the day's token has expired meanwhile
    assert post(emu, token, "/v2/post/publish/inbox/video/init/", pull).json()["error"]["code"] == "ok"
