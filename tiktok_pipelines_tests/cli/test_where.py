"""The CLI says which data dir and state DB it uses, and creates neither (nor a key) unless asked."""

import json

import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines_tests.cli.test_clients import ADD


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A development shell in another folder than the project's: no data dir, no key in the environment."""
    monkeypatch.delenv("TIKTOK_PIPELINES_DATA_DIR")
    monkeypatch.delenv("TIKTOK_PIPELINES_SECRET_KEY")
    folder = tmp_path / "somewhere-else"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def cli(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_from_another_folder_nothing_is_created_and_the_cli_says_where_it_looked(elsewhere):
    for args in (
        ("clients", "list"),
        ("clients", "show", "loja-1"),
        ADD,
        ("stock-price", "status", "loja-1"),
    ):
        result = cli(*args)
        assert result.exit_code == 5, result.output
        assert f"the folder {elsewhere / '.data'} does not exist" in result.output
        assert f"sqlite:///{elsewhere / '.data' / 'state.db'}" in result.output
        assert f"in the current folder {elsewhere}" in result.output
        assert "tiktok-pipelines init" in result.output
    assert list(elsewhere.iterdir()) == []  # no .data, no key


def test_init_creates_the_data_dir_and_key_and_then_the_cli_says_which_state_db(elsewhere):
    where = cli("where")
    assert where.exit_code == 0
    assert f"data dir: {elsewhere / '.data'} (does not exist" in where.output
    assert not (elsewhere / ".data").exists()

    made = cli("init")
    assert made.exit_code == 0, made.output
    assert f"data dir: {elsewhere / '.data'} (created" in made.output
    assert f"development key {elsewhere / '.data' / 'dev-secret.key'} (created)" in made.output
    listed = cli("clients", "list")
    assert listed.exit_code == 0
    assert (
        f"no clients registered in the state DB sqlite:///{elsewhere / '.data' / 'state.db'}" in listed.output
    )
    assert cli(*ADD).exit_code == 0
    assert json.loads(cli("clients", "list", "--json").output)[0]["client_id"] == "loja-1"
    missing = cli("clients", "show", "nobody")
    assert (
        missing.exit_code == 3 and f"state DB sqlite:///{elsewhere / '.data' / 'state.db'}" in missing.output
    )
    again = cli("init")  # nothing new: the same key still reads the client's secrets
    assert again.exit_code == 0 and "(created" not in again.output and "clients registered: 1" in again.output


def test_a_lost_development_key_is_never_replaced(elsewhere):
    assert cli("init").exit_code == 0
    assert cli(*ADD).exit_code == 0
    key = elsewhere / ".data" / "dev-secret.key"
    key.unlink()
    for args in (("clients", "list"), ("init",)):
        result = cli(*args)
        assert result.exit_code == 5, result.output
        assert "holds 1 client(s)" in result.output and str(key) in result.output
    assert not key.exists()


def test_production_init_makes_the_data_dir_but_never_a_key(elsewhere, monkeypatch):
    monkeypatch.setenv("TIKTOK_PIPELINES_ENV", "production")
    result = cli("init")
    assert result.exit_code == 5
    assert "TIKTOK_PIPELINES_SECRET_KEY is not set" in result.output
    assert not (elsewhere / ".data" / "dev-secret.key").exists()
