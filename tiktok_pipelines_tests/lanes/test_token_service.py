"""The token service over any channel's `AuthApi`: a grant is exchanged, matched to its client by shop
code and renewed; a refusal needs the seller, a transient failure does not."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from pydantic import SecretStr

from tiktok_pipelines.channels.base.errors import ChannelAuthError, ChannelRetryableError
from tiktok_pipelines.core.models.auth import AuthorizedShop, Grant
from tiktok_pipelines.lanes.tokens import TokenManager
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines.stores.registry import build_client
from tiktok_pipelines.stores.tiktok_auth import TikTokAuthStore
from tiktok_pipelines_tests.stores.test_registry import FIELDS


def grant(n: int, refresh_days: float = 30) -> Grant:
    now = datetime.now(UTC)
    return Grant(
        access_token=SecretStr(f"access-{n}"),
        access_token_expires_at=now + timedelta(days=7),
        refresh_token=SecretStr(f"refresh-{n}"),
        refresh_token_expires_at=now + timedelta(days=refresh_days),
        seller_name="Loja",
    )


class AcmeAuth:
    """Another marketplace's authorization: one shop per grant, a refresh that can be refused."""

    capabilities = SimpleNamespace(display_name="Acme", name="acme")

    def __init__(self):
        self.refresh_error: Exception | None = None
        self.issued = 0

    def exchange_code(self, code: str) -> Grant:
        self.issued += 1
        return grant(self.issued)

    def check_refreshable(self, tokens: Grant) -> None:
        if tokens.refresh_token_expires_at <= datetime.now(UTC):
            raise ChannelAuthError("expired")

    def refresh_grant(self, tokens: Grant) -> Grant:
        if self.refresh_error:
            raise self.refresh_error
        self.issued += 1
        return grant(self.issued)

    def authorized_shops(self, tokens: Grant) -> list[AuthorizedShop]:
        return [AuthorizedShop("shop-9", code="BRLOJA01", name="Loja", secret="shop-secret")]

    def shop_warehouses(self, tokens: Grant, shop: AuthorizedShop) -> list[str]:
        return ["W1"]


def test_a_grant_of_any_channel_is_exchanged_associated_and_renewed(registry, state_db):
    registry.add(build_client(**{**FIELDS, "client_id": "loja"}))
    vault, channel = TikTokAuthStore(state_db, channel="acme"), AcmeAuth()
    vault.record_auth_code("loja", "code-1")
    manager = TokenManager(vault, registry, channel)
    report = manager.run()
    assert report.codes_exchanged == ["loja"] and report.associated == ["loja"] and report.failures == 0
    client = registry.get("loja")
    assert client.tiktok_shop_id == "shop-9" and client.tiktok_shop_cipher.get_secret_value() == "shop-secret"
    assert client.tiktok_warehouse_ids == ("W1",)
    assert vault.get_tokens("loja").access_token.get_secret_value() == "access-1"

    later = datetime.now(UTC) + timedelta(days=6)
    channel.refresh_error = ChannelRetryableError("the token host did not answer")
    assert manager.run(now=later).renewal_failed and registry.get("loja").status == "active"
    channel.refresh_error = None
    assert manager.run(now=later).renewed == ["loja"]
    assert vault.get_tokens("loja").access_token.get_secret_value() == "access-2"

    channel.refresh_error = ChannelAuthError("refresh token revoked")
    report = manager.run(now=later)
    assert report.needs_authorization == ["loja"] and registry.get("loja").status == "active"
    assert "refresh token revoked" in vault.status("loja").needs_authorization_reason
    assert [(e.step, e.outcome) for e in vault.log_entries("loja")][-2:] == [
        ("refresh_token", "error"),
        ("needs_authorization", "error"),
    ]
    again = manager.run(now=later)  # not renewed again, still said, told once
    assert again.needs_authorization == ["loja"] and not again.renewal_failed
    [told] = NotificationOutbox(state_db).listing("loja")
    assert (told["kind"], told["channel"]) == ("authorization_lost", "acme")
