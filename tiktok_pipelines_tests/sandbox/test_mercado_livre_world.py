"""The Mercado Livre emulator in the sandbox world: served with the others, its demo seller consenting to
the receiver's callback."""

import httpx

from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID


def test_the_sandbox_world_serves_the_demo_seller_and_consents_to_the_receiver(sandbox):
    from tiktok_pipelines.sandbox.world import DEMO_ML_SELLER, ML_OAUTH_CALLBACK_PATH

    base = sandbox.urls()["mercado_livre"]
    assert httpx.get(f"{base}/health").json()["sellers"] == [DEMO_ML_SELLER]
    callback = sandbox.urls()["receiver"] + ML_OAUTH_CALLBACK_PATH
    consent = httpx.get(
        f"{base}/authorization",
        params={"response_type": "code", "client_id": SANDBOX_APP_ID, "redirect_uri": callback, "state": "x"},
        follow_redirects=False,
    )
    assert consent.status_code == 302 and consent.headers["location"].startswith(callback + "?code=TG-")
