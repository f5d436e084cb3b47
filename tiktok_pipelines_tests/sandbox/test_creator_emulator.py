"""The TikTok for Developers emulator refuses what Login Kit, the token endpoint and the Display API refuse,
with their errors, and answers the rest as the reference describes; driven with plain httpx."""

import base64
import hashlib
import secrets
from urllib.parse import quote

import httpx
import pytest

from tiktok_pipelines.sandbox.tiktok_creator import (
    SANDBOX_CLIENT_KEY,
    SANDBOX_CLIENT_SECRET,
    CreatorApp,
    EmulatorConfig,
    TikTokCreatorEmulator,
)
from tiktok_pipelines_tests.sandbox.creator_support import (
    ALL_SCOPES,
    WEB_REDIRECT,
    authorize,
    callback_params,
    exchange,
    served,
    token,
)

DESKTOP_KEY = "sbawdesktopapp000001"
DESKTOP_SECRET = "desktop-secret"
DESKTOP_REDIRECT = "http://127.0.0.1:8700/oauth/tiktok-creator/callback"
USER_FIELDS = "open_id,union_id,display_name,username,follower_count,following_count,likes_count,video_count"
VIDEO_FIELDS = (
    "id,create_time,title,video_description,duration,view_count,like_count,comment_count,share_count"
)


@pytest.fixture
def emu():
    emulator = TikTokCreatorEmulator(
        EmulatorConfig(seed=5),
        apps=(
            CreatorApp(redirect_uris=(WEB_REDIRECT,)),
            CreatorApp(
                client_key=DESKTOP_KEY,
                client_secret=DESKTOP_SECRET,
                app_type="desktop",
                redirect_uris=(DESKTOP_REDIRECT, "http://localhost:*/cb"),
            ),
        ),
    )
    emulator.add_creator("ana.cria", "Ana Cria")
    emulator.add_creator("bruno.faz", "Bruno Faz", seed=9)
    with served(emulator):
        yield emulator


def consent(emu, answer, creator="ana.cria", scopes=None, decision="allow"):
    form = {"session": answer.json()["session"], "creator": creator, "decision": decision}
    if scopes is not None:
        form["scopes"] = scopes
    back = emu.test_http.post("/v2/auth/authorize/consent/", data=form)
    assert back.status_code == 302
    return back.headers["location"]


def desktop_connect(emu, verifier, challenge, redirect_uri=DESKTOP_REDIRECT):
    """Consent on the desktop app (PKCE) and the exchange with `verifier`; the token answer."""
    answer = authorize(
        emu,
        client_key=DESKTOP_KEY,
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    code = callback_params(consent(emu, answer))["code"]
    extra = {"code_verifier": verifier} if verifier else {}
    return exchange(emu, code, redirect_uri, app=(DESKTOP_KEY, DESKTOP_SECRET), **extra).json()


def connect(emu, creator="ana.cria", scope=ALL_SCOPES, scopes=None):
    location = consent(emu, authorize(emu, scope), creator, scopes)
    return exchange(emu, callback_params(location)["code"]).json()


def refresh(emu, refresh_token):
    return token(
        emu,
        client_key=SANDBOX_CLIENT_KEY,
        client_secret=SANDBOX_CLIENT_SECRET,
        grant_type="refresh_token",
        refresh_token=refresh_token,
    )


def api(emu, method, path, access_token, fields, json=None):
    return emu.test_http.request(
        method,
        path,
        params={"fields": fields},
        json=json,
        headers={"Authorization": f"Bearer {access_token}"},
    )


def user_info(emu, access_token, fields=USER_FIELDS):
    return api(emu, "GET", "/v2/user/info/", access_token, fields)


def video_list(emu, access_token, fields=VIDEO_FIELDS, **body):
    return api(emu, "POST", "/v2/video/list/", access_token, fields, json=body)


def pkce_pair(encoding="base64url"):
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = digest.hex() if encoding == "hex" else base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return verifier, challenge


# ---------------------------------------------------------------- Login Kit and the code exchange


def test_consent_redirects_to_the_exact_redirect_uri_and_the_code_buys_tokens(emu):
    page = emu.test_http.get(
        "/v2/auth/authorize/",
        params={
            "client_key": SANDBOX_CLIENT_KEY,
            "scope": "user.info.basic",
            "response_type": "code",
            "redirect_uri": WEB_REDIRECT,
            "state": "s",
        },
    )
    assert page.status_code == 200 and "/v2/auth/authorize/consent/" in page.text  # a page a person answers
    location = consent(emu, authorize(emu))
    assert location.startswith(WEB_REDIRECT + "?")
    params = callback_params(location)
    assert params["state"] == "st-123" and params["scopes"] == ALL_SCOPES
    answer = exchange(emu, params["code"])
    assert answer.status_code == 200
    tokens = answer.json()
    assert tokens["access_token"].startswith("act.") and tokens["refresh_token"].startswith("rft.")
    assert tokens["expires_in"] == 86400 and tokens["refresh_expires_in"] == 31536000
    assert tokens["scope"] == ALL_SCOPES and tokens["token_type"] == "Bearer"
    user = user_info(emu, tokens["access_token"]).json()
    assert user["error"]["code"] == "ok" and user["error"]["log_id"]
    assert user["data"]["user"]["open_id"] == tokens["open_id"]
    assert user["data"]["user"]["username"] == "ana.cria"


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(emu):
    for uri in (WEB_REDIRECT + "/", WEB_REDIRECT + "?x=1", "https://evil.example.com/tiktok/callback"):
        answer = authorize(emu, redirect_uri=uri)
        assert answer.status_code == 400 and "location" not in answer.headers
        assert answer.json()["error"] == "invalid_request"
    answer = authorize(emu, client_key="nobody")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


def test_errors_after_the_redirect_uri_is_trusted_go_back_to_the_app(emu):
    bad_scope = authorize(emu, scope="user.info.basic video.list")  # space-separated: not a scope
    assert bad_scope.status_code == 302
    assert callback_params(bad_scope.headers["location"]) | {"error_description": ""} == {
        "error": "invalid_scope",
        "error_description": "",
        "state": "st-123",
    }
    wrong_type = authorize(emu, response_type="token")
    assert callback_params(wrong_type.headers["location"])["error"] == "unsupported_response_type"
    denied = consent(emu, authorize(emu), decision="deny")
    assert callback_params(denied)["error"] == "access_denied"
    assert "code" not in callback_params(denied)


def test_the_code_is_single_use_short_lived_bound_to_its_redirect_uri_and_must_be_url_decoded(emu):
    code = callback_params(consent(emu, authorize(emu)))["code"]
    assert quote(code, safe="") != code  # it carries characters a URL escapes
    still_encoded = exchange(emu, quote(code, safe="")).json()
    assert still_encoded["error"] == "invalid_grant" and still_encoded["log_id"]
    assert exchange(emu, code, redirect_uri=WEB_REDIRECT + "/").json()["error"] == "invalid_grant"
    assert "access_token" in exchange(emu, code).json()
    used = exchange(emu, code).json()
    assert used["error"] == "invalid_grant" and "access_token" not in used
    late = callback_params(consent(emu, authorize(emu)))["code"]
    emu.advance_clock(301)
    assert exchange(emu, late).json()["error"] == "invalid_grant"


def test_a_desktop_app_proves_its_code_with_pkce_in_either_encoding(emu):
    no_challenge = authorize(emu, client_key=DESKTOP_KEY, redirect_uri=DESKTOP_REDIRECT)
    assert callback_params(no_challenge.headers["location"])["error"] == "invalid_request"
    plain = authorize(
        emu,
        client_key=DESKTOP_KEY,
        redirect_uri=DESKTOP_REDIRECT,
        code_challenge="x" * 43,
        code_challenge_method="plain",
    )
    assert callback_params(plain.headers["location"])["error"] == "invalid_request"

    verifier, challenge = pkce_pair()
    assert desktop_connect(emu, None, challenge)["error"] == "invalid_request"  # no verifier
    other, _ = pkce_pair()
    assert desktop_connect(emu, other, challenge)["error"] == "invalid_grant"
    assert desktop_connect(emu, "short", challenge)["error"] == "invalid_request"
    assert "access_token" in desktop_connect(emu, verifier, challenge)
    verifier, challenge = pkce_pair("hex")
    assert "access_token" in desktop_connect(emu, verifier, challenge)
    # A redirect URI registered with the wildcard port matches any port, and the exchange repeats it exactly.
    verifier, challenge = pkce_pair()
    assert "access_token" in desktop_connect(emu, verifier, challenge, "http://localhost:51234/cb")


def test_the_redirect_uri_rules_of_each_app_type_hold_at_registration():
    for app_type, uri in (
        ("web", "http://app.example.com/cb"),
        ("web", "https://app.example.com/cb?x=1"),
        ("web", "https://app.example.com/cb#top"),
        ("desktop", "http://127.0.0.1/cb"),
        ("desktop", "http://example.com:8700/cb"),
    ):
        with pytest.raises(ValueError):
            CreatorApp(app_type=app_type, redirect_uris=(uri,))
    with pytest.raises(ValueError):
        CreatorApp(redirect_uris=tuple(f"https://a.example.com/{i}" for i in range(11)))


def test_token_endpoint_errors_have_the_oauth_shape(emu):
    malformed = token(emu, client_key=SANDBOX_CLIENT_KEY, client_secret=SANDBOX_CLIENT_SECRET).json()
    assert malformed["error"] == "invalid_request"
    assert malformed["error_description"] == "The request parameters are malformed."
    wrong_secret = token(emu, client_key=SANDBOX_CLIENT_KEY, client_secret="nope", grant_type="refresh_token")
    assert wrong_secret.json()["error"] == "invalid_client"
    unknown = token(
        emu, client_key=SANDBOX_CLIENT_KEY, client_secret=SANDBOX_CLIENT_SECRET, grant_type="password"
    )
    assert unknown.json()["error"] == "unsupported_grant_type"
    as_json = emu.test_http.post(
        "/v2/oauth/token/",
        json={
            "client_key": SANDBOX_CLIENT_KEY,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "grant_type": "client_credentials",
        },
    )
    assert as_json.json()["error"] == "invalid_request"  # the body is a form, not JSON
    emu.config.oauth_error_http_status = 400
    assert token(emu, client_key=SANDBOX_CLIENT_KEY).status_code == 400


def test_client_credentials_give_a_client_token_that_opens_no_user_data(emu):
    answer = token(
        emu,
        client_key=SANDBOX_CLIENT_KEY,
        client_secret=SANDBOX_CLIENT_SECRET,
        grant_type="client_credentials",
    ).json()
    assert answer["access_token"].startswith("clt.") and answer["expires_in"] == 7200
    assert "refresh_token" not in answer and "open_id" not in answer
    refused = user_info(emu, answer["access_token"], "open_id")
    assert refused.status_code == 401 and refused.json()["data"] == {}


# ---------------------------------------------------------------- scopes


def test_a_partial_grant_answers_only_the_fields_its_scopes_cover(emu):
    tokens = connect(emu, scopes="user.info.basic")
    assert tokens["scope"] == "user.info.basic"
    basic = user_info(emu, tokens["access_token"], "open_id,display_name,avatar_url").json()
    assert set(basic["data"]["user"]) == {"open_id", "display_name", "avatar_url"}
    stats = user_info(emu, tokens["access_token"], "open_id,follower_count")
    assert stats.status_code == 401
    assert stats.json() | {"error": None} == {"data": {}, "error": None}
    assert stats.json()["error"]["code"] == "scope_permission_missed"
    videos = video_list(emu, tokens["access_token"])
    assert videos.status_code == 401 and videos.json()["error"]["code"] == "scope_not_authorized"


def test_fields_are_required_and_known(emu):
    access = connect(emu)["access_token"]
    for fields in ("", "open_id,shoe_size"):
        answer = user_info(emu, access, fields)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_params"
    assert video_list(emu, access, fields="id,plays").json()["error"]["code"] == "invalid_params"


# ---------------------------------------------------------------- refresh, revoke, expiry


def test_refresh_rotates_the_refresh_token_and_refuses_the_previous_one(emu):
    first = connect(emu)
    emu.advance_clock(3600)
    second = refresh(emu, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # The refresh lifetime runs from the first issue: a refresh never extends it.
    assert second["refresh_expires_in"] == first["refresh_expires_in"] - 3600
    assert second["scope"] == first["scope"] and second["open_id"] == first["open_id"]
    reused = refresh(emu, first["refresh_token"]).json()
    assert reused["error"] == "invalid_grant" and "access_token" not in reused
    assert user_info(emu, second["access_token"]).json()["error"]["code"] == "ok"
    assert "access_token" in refresh(emu, second["refresh_token"]).json()


def test_without_rotation_the_refresh_token_stays_the_same(emu):
    emu.apps[SANDBOX_CLIENT_KEY].rotate_refresh = False
    first = connect(emu)
    second = refresh(emu, first["refresh_token"]).json()
    assert second["refresh_token"] == first["refresh_token"]
    assert "access_token" in refresh(emu, first["refresh_token"]).json()


def test_expired_tokens_are_refused(emu):
    tokens = connect(emu)
    emu.advance_clock(86400)
    expired = user_info(emu, tokens["access_token"])
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "access_token_invalid"
    renewed = refresh(emu, tokens["refresh_token"]).json()
    assert user_info(emu, renewed["access_token"]).json()["error"]["code"] == "ok"
    assert emu.test_http.post(
        "/_sandbox/tokens/expire", json={"creator": "ana.cria", "kind": "refresh"}
    ).json()["expired"]
    assert refresh(emu, renewed["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke_ends_every_token_of_the_authorization(emu):
    tokens = connect(emu)
    form = {"client_key": SANDBOX_CLIENT_KEY, "client_secret": SANDBOX_CLIENT_SECRET}
    assert emu.test_http.post("/v2/oauth/revoke/", data={**form, "token": "act.unknown"}).json()["error"]
    answer = emu.test_http.post("/v2/oauth/revoke/", data={**form, "token": tokens["access_token"]})
    assert answer.status_code == 200 and answer.json() == {}
    assert user_info(emu, tokens["access_token"]).json()["error"]["code"] == "access_token_invalid"
    assert refresh(emu, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert emu.test_http.get("/_sandbox/creators/ana.cria").json()["connected_apps"] == []


def test_the_creator_removing_the_app_ends_its_tokens(emu):
    tokens = connect(emu)
    assert emu.test_http.get("/_sandbox/creators/ana.cria").json()["connected_apps"][0]["client_key"] == (
        SANDBOX_CLIENT_KEY
    )
    assert emu.test_http.post("/_sandbox/tokens/revoke", json={"creator": "ana.cria"}).json() == {
        "revoked": 1
    }
    assert user_info(emu, tokens["access_token"]).status_code == 401
    assert refresh(emu, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_open_id_is_per_app_and_the_union_id_is_not(emu):
    web = connect(emu)
    desktop = desktop_connect(emu, *pkce_pair())
    assert web["open_id"] != desktop["open_id"]
    union = [
        user_info(emu, t["access_token"], "union_id").json()["data"]["user"]["union_id"]
        for t in (web, desktop)
    ]
    assert union[0] == union[1]


# ---------------------------------------------------------------- videos


def test_video_list_pages_every_public_video_newest_first_with_a_millisecond_cursor(emu):
    access = connect(emu)["access_token"]
    published = emu.test_http.get("/_sandbox/creators/ana.cria/videos").json()["videos"]
    public = [v["id"] for v in published if v["public"]]
    assert len(public) > 40 and len(public) < len(published)  # some videos are private
    seen, cursor, pages = [], None, 0
    while True:
        body = {"max_count": 20} | ({"cursor": cursor} if cursor is not None else {})
        data = video_list(emu, access, **body).json()["data"]
        assert len(data["videos"]) <= 20
        seen += data["videos"]
        pages += 1
        if not data["has_more"]:
            break
        assert data["cursor"] == data["videos"][-1]["create_time"] * 1000
        cursor = data["cursor"]
    assert [v["id"] for v in seen] == public
    times = [v["create_time"] for v in seen]
    assert times == sorted(times, reverse=True)
    assert pages == -(-len(public) // 20)
    assert len(video_list(emu, access).json()["data"]["videos"]) == 10  # max_count defaults to 10
    user = user_info(emu, access, "video_count").json()["data"]["user"]
    assert user["video_count"] == len(public)


def test_video_list_refuses_more_than_20_and_a_cursor_that_is_not_a_number(emu):
    access = connect(emu)["access_token"]
    for body in ({"max_count": 21}, {"max_count": 0}, {"cursor": "1700000000000"}, {"max_count": True}):
        answer = video_list(emu, access, **body)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_params", body
    not_json = emu.test_http.post(
        "/v2/video/list/",
        params={"fields": "id"},
        content=b"max_count=5",
        headers={"Authorization": f"Bearer {access}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.json()["error"]["code"] == "invalid_params"


def test_video_query_answers_only_the_creators_own_public_videos_at_most_20_ids(emu):
    access = connect(emu)["access_token"]
    own = emu.test_http.get("/_sandbox/creators/ana.cria/videos").json()["videos"]
    others = emu.test_http.get("/_sandbox/creators/bruno.faz/videos").json()["videos"]
    public = [v["id"] for v in own if v["public"]][:3]
    private = [v["id"] for v in own if not v["public"]][:1]
    ids = public + private + [others[0]["id"]]
    data = api(
        emu,
        "POST",
        "/v2/video/query/",
        access,
        "id,view_count,cover_image_url",
        json={"filters": {"video_ids": ids}},
    ).json()["data"]
    assert [v["id"] for v in data["videos"]] == public
    cover = httpx.get(data["videos"][0]["cover_image_url"])
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"
    emu.advance_clock(6 * 3600 + 1)  # cover links expire after 6 h
    assert httpx.get(data["videos"][0]["cover_image_url"]).status_code == 403
    too_many = api(
        emu,
        "POST",
        "/v2/video/query/",
        access,
        "id",
        json={"filters": {"video_ids": [str(i) for i in range(21)]}},
    )
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "invalid_params"


def test_videos_gain_views_over_time_and_the_history_repeats_from_its_seed(emu):
    access = connect(emu)["access_token"]
    before = {v["id"]: v for v in video_list(emu, access, max_count=5).json()["data"]["videos"]}
    profile_before = user_info(emu, access, "follower_count,likes_count").json()["data"]["user"]
    emu.advance_clock(6 * 3600)
    after = {v["id"]: v for v in video_list(emu, access, max_count=20).json()["data"]["videos"]}
    for video_id, video in before.items():
        assert after[video_id]["view_count"] > video["view_count"]
        assert after[video_id]["like_count"] >= video["like_count"]
    profile_after = user_info(emu, access, "follower_count,likes_count").json()["data"]["user"]
    assert profile_after["follower_count"] > profile_before["follower_count"]
    assert profile_after["likes_count"] > profile_before["likes_count"]
    twin = TikTokCreatorEmulator(EmulatorConfig(seed=5))
    twin.anchor = emu.anchor
    again = twin.add_creator("ana.cria", "Ana Cria")
    assert [v.id for v in again.videos] == [v.id for v in emu.creator("ana.cria").videos]
    now = emu.now()
    assert again.stats(now) == emu.creator("ana.cria").stats(now)


# ---------------------------------------------------------------- rate limit and faults


def test_the_sliding_window_refuses_the_601st_call_of_a_minute_per_endpoint(emu):
    access = connect(emu)["access_token"]
    now = [1000.0]  # the rate limit's clock stands still unless the test moves it
    emu.monotonic = lambda: now[0]
    emu.test_http.post("/_sandbox/limits", json={"rate_limit": 5, "rate_window_s": 1.0})
    answers = [user_info(emu, access, "open_id") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    refused = answers[-1].json()
    assert refused["error"]["code"] == "rate_limit_exceeded" and refused["data"] == {}
    assert video_list(emu, access, fields="id").status_code == 200  # another endpoint, another window
    now[0] += 0.5
    assert user_info(emu, access, "open_id").status_code == 429  # the 5 calls are still in the window
    now[0] += 0.5
    assert user_info(emu, access, "open_id").status_code == 200  # the window slid past them
    assert emu.stats()["http_429"] == 2
    assert emu.test_http.get("/_sandbox/limits").json()["rate_limit"] == 5


def test_default_limit_is_600_calls_a_minute():
    assert EmulatorConfig().rate_limit == 600 and EmulatorConfig().rate_window_s == 60.0


def test_fault_switches_answer_429_storms_and_500s(emu):
    access = connect(emu)["access_token"]
    emu.test_http.post("/_sandbox/switches", json={"burst_429": 3})
    assert [user_info(emu, access, "open_id").status_code for _ in range(4)] == [429, 429, 429, 200]
    emu.test_http.post("/_sandbox/switches", json={"error_rate": 1.0})
    failed = user_info(emu, access, "open_id")
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "internal_error"
    emu.test_http.post("/_sandbox/switches", json={"error_rate": 0.0, "token_endpoint_errors": 1})
    assert refresh(emu, "rft.any").status_code == 500
    assert emu.test_http.post("/_sandbox/switches", json={"nonsense": 1}).status_code == 400


def test_unknown_paths_and_methods_answer_in_the_envelope(emu):
    access = connect(emu)["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert emu.test_http.get("/v2/user/info", headers=headers).status_code == 404  # no trailing slash
    wrong = emu.test_http.get("/v2/video/list/", params={"fields": "id"}, headers=headers)
    assert wrong.status_code == 405 and wrong.json()["data"] == {}


def test_auto_approve_consents_at_once_with_the_chosen_scopes(emu):
    emu.test_http.post(
        f"/_sandbox/apps/{SANDBOX_CLIENT_KEY}",
        json={"auto_approve": True, "auto_creator": "bruno.faz", "auto_scopes": ["user.info.basic"]},
    )
    answer = authorize(emu)
    assert answer.status_code == 302
    params = callback_params(answer.headers["location"])
    assert params["scopes"] == "user.info.basic"
    tokens = exchange(emu, params["code"]).json()
    assert (
        user_info(emu, tokens["access_token"], "display_name").json()["data"]["user"]["display_name"]
        == "Bruno Faz"
    )
    refused = emu.test_http.post(
        f"/_sandbox/apps/{SANDBOX_CLIENT_KEY}", json={"redirect_uris": ["http://x/cb"]}
    )
    assert refused.status_code == 400
    assert emu.apps[SANDBOX_CLIENT_KEY].redirect_uris == (WEB_REDIRECT,)


def test_the_default_window_takes_600_calls_a_minute_and_refuses_the_601st(emu):
    access = connect(emu)["access_token"]
    codes = [user_info(emu, access, "open_id").status_code for _ in range(601)]
    assert codes == [200] * 600 + [429]
    assert video_list(emu, access, fields="id").status_code == 200


def test_a_window_per_token_leaves_another_creators_token_its_own_calls(emu):
    emu.test_http.post("/_sandbox/limits", json={"rate_limit": 2, "rate_limit_key": "token"})
    ana, bruno = connect(emu)["access_token"], connect(emu, "bruno.faz")["access_token"]
    assert [user_info(emu, ana, "open_id").status_code for _ in range(3)] == [200, 200, 429]
    assert user_info(emu, bruno, "open_id").status_code == 200
    assert emu.test_http.post("/_sandbox/limits", json={"rate_limt": 1}).status_code == 400


@pytest.mark.e2e
def test_the_sandbox_world_connects_its_demo_creator_through_consent_to_the_receivers_callback(sandbox):
    """`make run`'s world: the creator emulator on its port, the app the environment names (a desktop app:
    PKCE), its redirect URI the receiver's, and the demo creator's profile and videos behind the tokens."""
    env = sandbox.environment()
    http = httpx.Client(timeout=10)
    assert http.get(sandbox.urls()["creator"] + "/health").json()["creators"] == ["demo.creator"]
    verifier, challenge = pkce_pair()
    answer = http.get(
        env["TIKTOK_CREATOR_AUTHORIZE_URL"],
        params={
            "client_key": env["TIKTOK_CREATOR_CLIENT_KEY"],
            "scope": ALL_SCOPES,
            "response_type": "code",
            "redirect_uri": env["TIKTOK_CREATOR_REDIRECT_URI"],
            "state": "demo-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        headers={"Accept": "application/json"},
    )
    back = http.post(
        sandbox.urls()["creator"] + "/v2/auth/authorize/consent/", data={"session": answer.json()["session"]}
    )
    assert back.headers["location"].startswith(sandbox.urls()["receiver"] + "/oauth/tiktok-creator/callback?")
    params = callback_params(back.headers["location"])
    tokens = http.post(
        env["TIKTOK_CREATOR_API_BASE_URL"] + "/v2/oauth/token/",
        data={
            "client_key": env["TIKTOK_CREATOR_CLIENT_KEY"],
            "client_secret": env["TIKTOK_CREATOR_CLIENT_SECRET"],
            "code": params["code"],
            "grant_type": "authorization_code",
            "redirect_uri": env["TIKTOK_CREATOR_REDIRECT_URI"],
            "code_verifier": verifier,
        },
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    user = http.get(
        env["TIKTOK_CREATOR_API_BASE_URL"] + "/v2/user/info/",
        params={"fields": "username,follower_count,video_count"},
        headers=headers,
    ).json()["data"]["user"]
    assert user["username"] == "demo.creator" and user["follower_count"] > 0 and user["video_count"] > 20
    videos = http.post(
        env["TIKTOK_CREATOR_API_BASE_URL"] + "/v2/video/list/",
        params={"fields": "id,view_count"},
        json={},
        headers=headers,
    ).json()["data"]["videos"]
    assert len(videos) == 10 and all(v["view_count"] > 0 for v in videos)
    http.close()
