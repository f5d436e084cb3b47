import json

import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main

ADD = [
    "clients",
    "add",
    "loja-1",
    "--feed-url",
    "https://www.loja.com.br/feed.xml",
    "--vtex-account",
    "loja",
    "--vtex-app-key",
    "vtexappkey-loja-XYZ",
    "--vtex-app-token",
    "cli-secret-token",
    "--vtex-warehouse",
    "1_1",
    "--vtex-trade-policy",
    "1",
    "--tiktok-shop-code",
    "BRLOJA01",
]


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def test_add_list_show_set_remove(cli):
    result = cli(*ADD, "--option", "stock_buffer=2", "--option", "currency=BRL")
    assert result.exit_code == 0, result.output
    assert "added client loja-1" in result.output

    listed = cli("clients", "list", "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert rows[0]["client_id"] == "loja-1"
    assert rows[0]["options"] == {"currency": "BRL", "stock_buffer": 2}

    shown = cli("clients", "show", "loja-1")
    assert shown.exit_code == 0
    assert "vtex_app_token: <set>" in shown.output
    assert "cli-secret-token" not in shown.output + listed.output

    changed = cli("clients", "set", "loja-1", "--vtex-trade-policy", "3", "--unset-option", "currency")
    assert changed.exit_code == 0, changed.output
    data = json.loads(cli("clients", "show", "loja-1", "--json").output)
    assert data["vtex_trade_policy"] == "3"
    assert data["options"] == {"stock_buffer": 2}

    assert cli("clients", "remove", "loja-1", "--yes").exit_code == 0
    assert cli("clients", "show", "loja-1").exit_code == 3


def test_duplicate_exits_4(cli):
    assert cli(*ADD).exit_code == 0
    result = cli(*ADD)
    assert result.exit_code == 4
    assert "already registered" in result.output


@pytest.mark.parametrize(
    ("replace", "value", "message"),
    [
        ("loja-1", "Loja_Um!", "not a slug"),
        ("https://www.loja.com.br/feed.xml", "www.loja.com.br/feed.xml", "feed_url must be an http(s) URL"),
        ("1_1", " ", "vtex_warehouse_ids"),
    ],
)
def test_invalid_input_exits_2(cli, replace, value, message):
    args = [value if a == replace else a for a in ADD]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_missing_field_exits_2(cli):
    args = ADD[:3] + ADD[5:]  # no --feed-url
    result = cli(*args)
    assert result.exit_code == 2
    assert "feed_url: is required" in result.output


def test_missing_secret_without_a_terminal_exits_2(cli):
    args = [a for a in ADD if a not in ("--vtex-app-token", "cli-secret-token")]
    result = cli(*args)
    assert result.exit_code == 2
    assert "vtex_app_token is required" in result.output


def test_secret_from_stdin(cli):
    args = ["-" if a == "cli-secret-token" else a for a in ADD]
    assert cli(*args, input="token-from-stdin\n").exit_code == 0
    from tiktok_pipelines.settings import Settings
    from tiktok_pipelines.stores.db import open_state_db
    from tiktok_pipelines.stores.registry import ClientRegistry

    client = ClientRegistry(open_state_db(Settings.load())).get("loja-1")
    assert client.vtex_app_token.get_secret_value() == "token-from-stdin"


def test_not_found_exits_3(cli):
    assert cli("clients", "remove", "nobody", "--yes").exit_code == 3
    assert cli("clients", "set", "nobody", "--vtex-trade-policy", "2").exit_code == 3


def test_set_without_changes_exits_2(cli):
    cli(*ADD)
    result = cli("clients", "set", "loja-1")
    assert result.exit_code == 2
    assert "nothing to change" in result.output


def test_a_client_is_paused_and_resumed_and_the_former_status_is_refused_saying_why(cli):
    cli(*ADD)
    assert cli("clients", "set", "loja-1", "--status", "paused").exit_code == 0
    assert json.loads(cli("clients", "show", "loja-1", "--json").output)["status"] == "paused"
    former = cli("clients", "set", "loja-1", "--status", "needs_reauthorization")
    assert former.exit_code == 2
    assert "no longer a client status" in former.output and "oauth status" in former.output
    assert cli("clients", "set", "loja-1", "--status", "stopped").exit_code == 2
    assert json.loads(cli("clients", "show", "loja-1", "--json").output)["status"] == "paused"
    assert cli("clients", "set", "loja-1", "--status", "active").exit_code == 0
    assert json.loads(cli("clients", "show", "loja-1", "--json").output)["status"] == "active"


def test_bad_option_syntax_exits_2(cli):
    result = cli(*ADD, "--option", "no-equals-sign")
    assert result.exit_code == 2


def test_production_without_key_exits_5(cli, monkeypatch):
    monkeypatch.setenv("TIKTOK_PIPELINES_ENV", "production")
    monkeypatch.delenv("TIKTOK_PIPELINES_SECRET_KEY")
    result = cli("clients", "list")
    assert result.exit_code == 5
    assert "TIKTOK_PIPELINES_SECRET_KEY is not set" in result.output


def test_generate_key_prints_a_usable_key(cli):
    from tiktok_pipelines.stores.crypto import SecretBox

    key = cli("secrets", "generate-key").output.strip()
    assert SecretBox([key]).decrypt(SecretBox([key]).encrypt("x")) == "x"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "feed_max_rejectd_share=0.1",
            "unknown option 'feed_max_rejectd_share' (did you mean feed_max_rejected_share?)",
        ),
        (
            "feed_max_rejected_share=7",
            "feed_max_rejected_share: Input should be less than or equal to 1 (got 7)",
        ),
        ("currency=XYZ", "currency: Input should be 'BRL', 'EUR'"),
        ("stock_buffer=-1", "stock_buffer: Input should be greater than or equal to 0 (got -1)"),
        ("tiktok_handover_method=drone", "tiktok_handover_method: Input should be 'DROP_OFF' or 'PICKUP'"),
    ],
)
def test_a_bad_option_exits_2_naming_it_and_changes_nothing(cli, option, message):
    refused = cli(*ADD, "--option", option)
    assert refused.exit_code == 2, refused.output
    assert message in refused.output
    assert cli("clients", "show", "loja-1").exit_code == 3  # not registered

    assert cli(*ADD, "--option", "stock_buffer=2").exit_code == 0
    refused = cli("clients", "set", "loja-1", "--option", option)
    assert refused.exit_code == 2, refused.output
    assert message in refused.output
    assert json.loads(cli("clients", "show", "loja-1", "--json").output)["options"] == {"stock_buffer": 2}
