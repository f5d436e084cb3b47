"""The token manager as a Dagster asset: it onboards and renews, and no secret reaches logs or metadata."""

import logging

import dagster as dg
import httpx

from tiktok_pipelines.defs.resources import build_resources
from tiktok_pipelines.defs.tokens.assets import tiktok_tokens
from tiktok_pipelines.sandbox.tiktok_shop import SANDBOX_APP_SECRET
from tiktok_pipelines.settings import Settings


def test_token_asset_onboards_renews_and_never_reveals_a_secret(
    demo_client, receiver, tiktok, sandbox, instance, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    assert httpx.get(tiktok.authorization_link("demo"), follow_redirects=True).status_code == 200
    [code] = tiktok.auth_store.unused_codes()
    resources = build_resources(Settings.load())  # as definitions.py builds them (secrets as EnvVars)

    first = dg.materialize([tiktok_tokens], instance=instance, resources=resources)
    assert first.success
    meta = first.asset_materializations_for_node("tiktok_shop__tokens")[0].metadata
    assert (
        meta["codes_exchanged"].value == 1
        and meta["shops_associated"].value == 1
        and meta["failed"].value == 0
    )
    store = tiktok.auth_store
    old = store.get_tokens("demo")

    # a window wider than the token's life: the next run renews
    monkeypatch.setenv("TIKTOK_TOKEN_RENEW_BEFORE_HOURS", str(24 * 8))
    resources = build_resources(Settings.load())
    second = dg.materialize([tiktok_tokens], instance=instance, resources=resources)
    assert second.success
    assert (
        second.asset_materializations_for_node("tiktok_shop__tokens")[0].metadata["tokens_renewed"].value == 1
    )
    new = store.get_tokens("demo")
    assert new.access_token.get_secret_value() != old.access_token.get_secret_value()

    secrets = {
        "auth code": code.code.get_secret_value(),
        "access token": old.access_token.get_secret_value(),
        "refresh token": old.refresh_token.get_secret_value(),
        "new access token": new.access_token.get_secret_value(),
        "new refresh token": new.refresh_token.get_secret_value(),
        "app secret": SANDBOX_APP_SECRET,
        "shop cipher": sandbox.tiktok.shop_by_code("BRDEMO001").cipher,
    }
    texts = [caplog.text, *(r.getMessage() for r in caplog.records)]
    for result in (first, second):
        for record in instance.all_logs(result.run_id):
            texts.append(record.user_message or "")
            texts.append(str(record.dagster_event) if record.dagster_event else "")
        for mat in result.asset_materializations_for_node("tiktok_shop__tokens"):
            texts.extend(str(v.value) for v in mat.metadata.values())
    haystack = "\n".join(texts)
    assert "tiktok_shop__tokens" in haystack and "auth code exchanged" in haystack  # the logs were captured
    assert "/api/v2/token/get" in haystack  # httpx's request lines too, redacted
    leaked = [name for name, value in secrets.items() if value in haystack]
    assert not leaked, f"leaked: {leaked}"
