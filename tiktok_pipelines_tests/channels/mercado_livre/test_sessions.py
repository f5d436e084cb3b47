"""A session's access token against the strict emulator: renewed ahead of its expiry and after a 401
through the serialized renewal, the newest pair kept; a refused renewal means authorizing again."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from tiktok_pipelines.channels.base import ShopAccess
from tiktok_pipelines.channels.mercado_livre.channel import MercadoLivreChannel
from tiktok_pipelines.lanes.renewal import RenewingTokens
from tiktok_pipelines.lanes.tokens import NotAuthorizedError
from tiktok_pipelines.stores.channel_tokens import ChannelTokenStore
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines_tests.channels.mercado_livre.test_auth import connect, works
from tiktok_pipelines_tests.sandbox.mercado_livre_support import SELLER, start_sandbox, stop_sandbox
from tiktok_pipelines_tests.stores.test_registry import FIELDS

CLIENT = FIELDS["client_id"]


@pytest.fixture(autouse=True)
def client(registry):
    registry.add(build_client(**FIELDS))


@pytest.fixture
def ml():
    sandbox = start_sandbox(products=3)
    yield sandbox
    stop_sandbox(sandbox)


@pytest.fixture
def channel(ml):
    from tiktok_pipelines.channels.mercado_livre.client import MercadoLivreApp
    from tiktok_pipelines.sandbox.mercado_livre import SANDBOX_APP_ID, SANDBOX_CLIENT_SECRET
    from tiktok_pipelines_tests.sandbox.mercado_livre_support import REDIRECT_URI

    app = MercadoLivreApp(
        SANDBOX_APP_ID,
        SANDBOX_CLIENT_SECRET,
        REDIRECT_URI,
        authorize_url=f"{ml.url}/authorization",
        api_base_url=ml.url,
        retry_attempts=2,
    )
    return MercadoLivreChannel(app)


def provider(state_db, channel) -> RenewingTokens:
    store = ChannelTokenStore(state_db, "mercado_livre")
    return RenewingTokens(store, channel, CLIENT, window=timedelta(minutes=60))


def test_a_token_close_to_expiry_is_renewed_before_use_and_the_new_pair_kept(ml, channel, state_db):
    store = ChannelTokenStore(state_db, "mercado_livre")
    grant = connect(channel)
    store.save_tokens(
        CLIENT, replace(grant, access_token_expires_at=datetime.now(UTC) + timedelta(minutes=5))
    )
    token = provider(state_db, channel).access_token()
    kept = store.get_tokens(CLIENT)
    assert token != grant.access_token.get_secret_value()
    assert kept.access_token.get_secret_value() == token and works(ml, kept)


def test_a_token_the_platform_rejects_is_renewed_once_and_the_session_goes_on(ml, channel, state_db):
    store = ChannelTokenStore(state_db, "mercado_livre")
    grant = connect(channel)
    store.save_tokens(CLIENT, replace(grant, access_token=SecretStr("APP_USR-revoked-1")))
    access = ShopAccess(str(ml.emulator.seller(SELLER).id), provider(state_db, channel), {})
    with channel.session(access) as session:
        listed = list(session.listed_offers())
        assert session.call_counts()["token_refresh"] == 1
    assert len(listed) == 3 and works(ml, store.get_tokens(CLIENT))


def test_a_refused_renewal_asks_for_authorization_again(ml, channel, state_db):
    store = ChannelTokenStore(state_db, "mercado_livre")
    grant = connect(channel)
    store.save_tokens(CLIENT, replace(grant, access_token_expires_at=datetime.now(UTC)))
    channel.refresh_grant(grant)  # the stored refresh token is spent elsewhere
    with pytest.raises(NotAuthorizedError, match="must authorize mercado_livre again"):
        provider(state_db, channel).access_token()
