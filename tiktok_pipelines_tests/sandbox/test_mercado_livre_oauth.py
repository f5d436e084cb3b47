"""The Mercado Livre emulator's authorization and tokens refuse what the platform refuses (reference §2),
with its error bodies, driven with plain httpx."""

import threading

import httpx
import pytest

from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET
from tiktok_pipelines_tests.sandbox.mercado_livre_support import (
    REDIRECT_URI,
    SELLER,
    s256,
    start_sandbox,
    stop_sandbox,
)

INVALID_GRANT = {
    "error_description": "Error validating grant. Your authorization code or refresh token may be expired "
    "or it was already used",
    "error": "invalid_grant",
    "status": 400,
    "cause": [],
}
VERIFIER = "v" * 20 + "-._~" + "A1" * 12


@pytest.fixture
def ml():
    sandbox = start_sandbox()
    yield sandbox
    stop_sandbox(sandbox)


def test_consent_echoes_state_and_the_code_gives_six_hour_tokens(ml):
    back = ml.authorize(state="csrf-123")
    assert back["state"] == ["csrf-123"]
    reply = ml.exchange(back["code"][0])
    assert reply.status_code == 200
    tokens = reply.json()
    seller = ml.emulator.seller(SELLER)
    assert tokens["expires_in"] == 21600
    assert tokens["token_type"] == "Bearer"
    assert tokens["user_id"] == seller.id
    assert tokens["access_token"].startswith(f"APP_USR-{SANDBOX_APP_ID}-")
    assert tokens["refresh_token"].startswith("TG-")
    assert set(tokens["scope"].split()) == {"offline_access", "read", "write"}
    me = ml.api(tokens["access_token"]).get("/users/me").json()
    assert (me["id"], me["nickname"], me["site_id"]) == (seller.id, SELLER, "MLB")


def test_a_code_is_single_use(ml):
    code = ml.authorize()["code"][0]
    assert ml.exchange(code).status_code == 200
    again = ml.exchange(code)
    assert again.status_code == 400
    assert again.json() == INVALID_GRANT


def test_the_redirect_uri_must_match_exactly(ml):
    other = httpx.get(
        f"{ml.url}/authorization",
        params={"response_type": "code", "client_id": SANDBOX_APP_ID, "redirect_uri": REDIRECT_URI + "/"},
        follow_redirects=False,
    )
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_request"
    code = ml.authorize()["code"][0]
    refused = ml.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI + "?x=1")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert ml.exchange(code).status_code == 200  # a refused attempt does not spend the code


def test_token_parameters_go_in_a_form_body_only(ml):
    code = ml.authorize()["code"][0]
    form = {
        "grant_type": "authorization_code",
        "client_id": SANDBOX_APP_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    in_query = httpx.post(f"{ml.url}/oauth/token", params=form)
    as_json = httpx.post(f"{ml.url}/oauth/token", json=form)
    for reply in (in_query, as_json):
        assert reply.status_code == 400
        assert reply.json()["error"] == "invalid_request"
        assert set(reply.json()) == {"error_description", "error", "status", "cause"}
    assert httpx.post(f"{ml.url}/oauth/token", data=form).status_code == 200


def test_wrong_secret_and_grant_type_are_refused(ml):
    code = ml.authorize()["code"][0]
    bad = ml.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, client_secret="nope"
    )
    assert (bad.status_code, bad.json()["error"]) == (401, "invalid_client")
    odd = ml.token(grant_type="client_credentials")
    assert (odd.status_code, odd.json()["error"]) == (400, "unsupported_grant_type")
    scope = ml.exchange(code, scope="read admin")
    assert scope.json()["error"] == "invalid_scope"


def test_pkce_s256_checks_the_verifier(ml):
    code = ml.authorize(code_challenge=s256(VERIFIER), code_challenge_method="S256")["code"][0]
    missing = ml.exchange(code)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    wrong = ml.exchange(code, code_verifier=VERIFIER[::-1])
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert ml.exchange(code, code_verifier=VERIFIER).status_code == 200


def test_pkce_plain_and_an_app_that_requires_pkce(ml):
    code = ml.authorize(code_challenge=VERIFIER, code_challenge_method="plain")["code"][0]
    assert ml.exchange(code, code_verifier=VERIFIER).status_code == 200
    httpx.post(f"{ml.url}/_sandbox/app", json={"pkce_required": True})
    without = httpx.get(
        f"{ml.url}/authorization",
        params={"response_type": "code", "client_id": SANDBOX_APP_ID, "redirect_uri": REDIRECT_URI},
        follow_redirects=False,
    )
    assert (without.status_code, without.json()["error"]) == (400, "invalid_request")
    odd = httpx.get(
        f"{ml.url}/authorization",
        params={
            "response_type": "code",
            "client_id": SANDBOX_APP_ID,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": s256(VERIFIER),
            "code_challenge_method": "S512",
        },
        follow_redirects=False,
    )
    assert odd.status_code == 400


def test_a_refresh_token_is_single_use_and_only_the_newest_works(ml):
    first = ml.connect()
    renewed = ml.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert renewed.status_code == 200
    newest = renewed.json()
    assert newest["refresh_token"] != first["refresh_token"]
    assert newest["access_token"] != first["access_token"]
    reused = ml.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (reused.status_code, reused.json()) == (400, INVALID_GRANT)
    assert ml.token(grant_type="refresh_token", refresh_token=newest["refresh_token"]).status_code == 200


def test_a_new_authorization_retires_the_older_refresh_token(ml):
    older = ml.connect()
    newer = ml.connect()
    retired = ml.token(grant_type="refresh_token", refresh_token=older["refresh_token"])
    assert (retired.status_code, retired.json()) == (400, INVALID_GRANT)
    assert ml.token(grant_type="refresh_token", refresh_token=newer["refresh_token"]).status_code == 200


def test_a_refresh_token_is_bound_to_its_application(ml):
    tokens = ml.connect()
    other = ml.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id="123")
    assert other.json()["error"] == "invalid_client"


def test_two_refreshes_at_once_one_gets_invalid_grant(ml):
    tokens = ml.connect()
    httpx.post(f"{ml.url}/_sandbox/switches", json={"token_latency_ms": 300})
    replies: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def renew() -> None:
        barrier.wait()
        replies.append(ml.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]))

    threads = [threading.Thread(target=renew) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in replies) == [200, 400]
    loser = next(r for r in replies if r.status_code == 400)
    assert loser.json() == INVALID_GRANT
    winner = next(r for r in replies if r.status_code == 200).json()
    again = ml.token(grant_type="refresh_token", refresh_token=winner["refresh_token"])
    assert again.status_code == 200


def test_tokens_in_the_query_expired_or_revoked_are_refused(ml):
    tokens = ml.connect()
    in_query = httpx.get(f"{ml.url}/users/me", params={"access_token": tokens["access_token"]})
    assert in_query.status_code == 401
    assert set(in_query.json()) == {"message", "error", "status", "cause"}
    assert ml.api().get("/users/me").status_code == 200
    httpx.post(f"{ml.url}/_sandbox/tokens/expire", json={"nickname": SELLER})
    assert ml.api().get("/users/me").status_code == 401
    refreshed = ml.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert ml.api(refreshed["access_token"]).get("/users/me").status_code == 200
    httpx.post(f"{ml.url}/_sandbox/tokens/revoke", json={"nickname": SELLER})
    assert ml.api(refreshed["access_token"]).get("/users/me").status_code == 401
    dead = ml.token(grant_type="refresh_token", refresh_token=refreshed["refresh_token"])
    assert dead.json() == INVALID_GRANT


def test_an_operator_user_cannot_grant(ml):
    httpx.post(f"{ml.url}/_sandbox/sellers", json={"nickname": "OPERADOR", "operator": True})
    httpx.post(f"{ml.url}/_sandbox/sellers/OPERADOR/consent")
    back = ml.authorize(state="s")
    assert back["error"] == ["invalid_operator_user_id"]
    assert back["state"] == ["s"]
    assert "code" not in back
