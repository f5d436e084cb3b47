import pytest
import sqlalchemy as sa

from tiktok_pipelines.settings import ConfigError, Settings
from tiktok_pipelines.stores.crypto import SecretBox, SecretDecryptionError
from tiktok_pipelines.stores.db import StateDB
from tiktok_pipelines.stores.registry import (
    ClientExistsError,
    ClientNotFoundError,
    ClientRegistry,
    InvalidClientError,
    build_client,
    clients_table,
    redact_url,
)

FIELDS = dict(
    client_id="loja-1",
    feed_url="https://www.loja.com.br/XMLData/google.xml?token=abc123",
    vtex_account="loja",
    vtex_app_key="vtexappkey-loja-XYZ",
    vtex_app_token="super-secret-token-value",
    vtex_warehouse_ids=["1_1", "2_1"],
    vtex_trade_policy="1",
    tiktok_shop_code="BRLOJA01",
)


def test_add_get_list_update_remove(registry: ClientRegistry):
    added = registry.add(build_client(**FIELDS))
    assert added.client_id == "loja-1"
    assert added.vtex_warehouse_ids == ("1_1", "2_1")
    assert added.vtex_app_token.get_secret_value() == "super-secret-token-value"
    assert registry.ids() == ["loja-1"]
    assert [c.client_id for c in registry.list()] == ["loja-1"]

    updated = registry.update("loja-1", options={"stock_buffer": 2}, vtex_trade_policy="2")
    assert updated.options == {"stock_buffer": 2}
    assert updated.vtex_trade_policy == "2"
    assert updated.vtex_app_token.get_secret_value() == "super-secret-token-value"
    assert registry.find_by(tiktok_shop_code="BRLOJA01").client_id == "loja-1"

    registry.remove("loja-1")
    assert registry.find("loja-1") is None
    with pytest.raises(ClientNotFoundError):
        registry.remove("loja-1")


def test_duplicate_is_refused(registry: ClientRegistry):
    registry.add(build_client(**FIELDS))
    with pytest.raises(ClientExistsError, match="already registered"):
        registry.add(build_client(**FIELDS))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "Loja 1"}, "not a slug"),
        ({"client_id": "-loja"}, "not a slug"),
        ({"feed_url": "ftp://loja/feed.xml"}, "http"),
        ({"feed_url": "not a url"}, "http"),
        ({"vtex_account": "Loja.com"}, "vtex_account"),
        ({"vtex_trade_policy": "one"}, "sales channel"),
        ({"vtex_warehouse_ids": []}, "vtex_warehouse_ids"),
        ({"vtex_app_token": "   "}, "vtex_app_token"),
    ],
)
def test_invalid_fields_are_refused_with_a_clear_message(change, message):
    with pytest.raises(InvalidClientError, match=message):
        build_client(**{**FIELDS, **change})


def test_missing_field_is_named():
    fields = dict(FIELDS)
    del fields["vtex_app_key"]
    with pytest.raises(InvalidClientError, match="vtex_app_key: is required"):
        build_client(**fields)


def test_secrets_are_encrypted_at_rest(registry: ClientRegistry, state_db: StateDB):
    registry.add(build_client(**FIELDS, tiktok_shop_cipher="ROW_cipher_value"))
    with state_db.read() as conn:
        row = conn.execute(sa.select(clients_table)).one()
    raw = " ".join(str(v) for v in row)
    for secret in ("super-secret-token-value", "vtexappkey-loja-XYZ", "ROW_cipher_value"):
        assert secret not in raw


def test_public_dict_and_repr_hide_secrets(registry: ClientRegistry):
    client = registry.add(build_client(**FIELDS))
    shown = str(client.public_dict()) + repr(client) + str(client)
    assert "super-secret-token-value" not in shown
    assert "vtexappkey-loja-XYZ" not in shown
    assert "abc123" not in shown  # the feed URL's query value
    assert client.public_dict()["vtex_app_token"] == "<set>"


def test_redact_url_hides_userinfo_and_query_values():
    assert (
        redact_url("https://user:pw@host.com/feed.xml?key=s3cret&x=1")
        == "https://host.com/feed.xml?key=***&x=***"
    )


def test_a_wrong_key_cannot_read_secrets(settings: Settings, registry: ClientRegistry):
    registry.add(build_client(**FIELDS))
    other = StateDB(settings.database_url, SecretBox([SecretBox.generate_key()]))
    with pytest.raises(SecretDecryptionError, match="cannot be decrypted"):
        ClientRegistry(other).get("loja-1")


def test_key_rotation_keeps_old_secrets_readable(settings: Settings, registry: ClientRegistry):
    registry.add(build_client(**FIELDS))
    old = settings.get("TIKTOK_PIPELINES_SECRET_KEY")
    rotated = StateDB(settings.database_url, SecretBox.from_key_string(f"{SecretBox.generate_key()},{old}"))
    assert (
        ClientRegistry(rotated).get("loja-1").vtex_app_token.get_secret_value() == "super-secret-token-value"
    )


def test_production_without_a_key_is_a_clear_error(tmp_path):
    settings = Settings.load(
        {"TIKTOK_PIPELINES_ENV": "production", "TIKTOK_PIPELINES_DATA_DIR": str(tmp_path)}
    )
    with pytest.raises(ConfigError, match="TIKTOK_PIPELINES_SECRET_KEY is not set"):
        SecretBox.from_settings(settings)


def test_development_generates_and_reuses_a_private_key(tmp_path):
    settings = Settings.load({"TIKTOK_PIPELINES_DATA_DIR": str(tmp_path)})
    box = SecretBox.from_settings(settings, create_key=True)
    token = box.encrypt("x")
    assert settings.dev_key_path.stat().st_mode & 0o777 == 0o600
    assert SecretBox.from_settings(settings).decrypt(token) == "x"


def test_invalid_key_is_a_config_error():
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        SecretBox(["not-a-key"])


def test_an_option_stored_before_it_was_refused_fails_where_it_is_read_and_blocks_nothing_else(registry):
    registry.add(build_client(**FIELDS, options={"stock_buffer": 2}))
    with registry.db.begin() as conn:  # written by a release that did not check options
        conn.execute(
            clients_table.update().values(options='{"feed_max_rejected_share": 7, "stock_buffer": 2}')
        )
    client = registry.get("loja-1")
    assert client.option("stock_buffer") == 2
    with pytest.raises(InvalidClientError, match=r"client loja-1: feed_max_rejected_share: .* \(got 7\)"):
        client.option("feed_max_rejected_share")
    # An unrelated change (onboarding storing the shop) is not held back by it.
    assert registry.update("loja-1", tiktok_shop_id="7000").tiktok_shop_id == "7000"
    with pytest.raises(InvalidClientError, match="feed_max_rejected_share"):
        registry.update("loja-1", options={**client.options, "stock_buffer": 3})
    assert registry.update("loja-1", options={"stock_buffer": 3}).options == {"stock_buffer": 3}


def test_development_makes_no_key_unless_asked(tmp_path):
    settings = Settings.load({"TIKTOK_PIPELINES_DATA_DIR": str(tmp_path / "elsewhere")})
    with pytest.raises(
        ConfigError, match=f"no development key at {tmp_path / 'elsewhere' / 'dev-secret.key'}"
    ):
        SecretBox.from_settings(settings)
    assert not (tmp_path / "elsewhere").exists()
