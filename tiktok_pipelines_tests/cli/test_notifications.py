"""`tiktok-pipelines notifications`: destinations kept secret, a test message, what was sent."""

import pytest
from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.core.notifications import Notice
from tiktok_pipelines.sandbox.notification_sinks import Inbox, create_chat_sink_app
from tiktok_pipelines.sandbox.server import ServerThread
from tiktok_pipelines.stores.notifications import NotificationOutbox
from tiktok_pipelines_tests.lanes.notifications.conftest import register_client

SECRET = "xoxb-s3cr3t-0123456789"


@pytest.fixture
def cli(registry):
    register_client(registry)

    def run(*args, input=None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run


@pytest.fixture
def chat():
    inbox = Inbox()
    with ServerThread(create_chat_sink_app(inbox)) as server:
        server.inbox = inbox
        yield server


def test_a_destination_is_added_listed_tested_toggled_and_removed_without_its_url_ever_printed(
    cli, chat, state_db
):
    url = f"json://bot:{SECRET}@127.0.0.1:{chat.port}/hooks/ops?token={SECRET}"
    outputs = []

    def run(*args, input=None, code=0):
        result = cli(*args, input=input)
        outputs.append(result.output)
        assert result.exit_code == code, result.output
        return result.output

    added = run(
        "notifications",
        "destinations",
        "add",
        "loja",
        "ops",
        "-",
        "--kinds",
        "order_placed,run_failed",
        "--quiet",
        "22:00-07:00",
        input=url + "\n",
    )
    assert f"json://127.0.0.1:{chat.port}" in added
    listed = run("notifications", "destinations", "list", "loja")
    assert "ops" in listed and "order_placed,run_failed" in listed and "22:00-07:00" in listed
    run("notifications", "destinations", "list", "--json")
    assert "delivered" in run("notifications", "test", "loja", "ops")
    assert chat.inbox.chat[0]["payload"]["title"] == "[loja] Mensagem de teste"

    NotificationOutbox(state_db).record(
        [Notice("loja", "order_placed", "order_placed:tiktok_shop:1", {"order_id": "1"}, "tiktok_shop")]
    )
    assert "pending" in run("notifications", "list", "loja")
    run("notifications", "disable", "loja", "ops")
    assert "skipped" in run("notifications", "list", "loja", "--json")
    run("notifications", "enable", "loja", "ops")
    run("notifications", "destinations", "add", "loja", "ops", url, code=4)  # exists: --replace
    run("notifications", "destinations", "remove", "loja", "ops")
    run("notifications", "destinations", "remove", "loja", "ops", code=3)

    assert all(SECRET not in out for out in outputs)


def test_what_cannot_be_a_destination_is_refused_with_its_exit_code(cli):
    assert cli("notifications", "destinations", "add", "nobody", "x", "json://127.0.0.1/h").exit_code == 3
    assert cli("notifications", "destinations", "add", "loja", "x", "nosuchscheme://whatever").exit_code == 2
    assert (
        cli(
            "notifications", "destinations", "add", "loja", "x", "json://h.example", "--kinds", "bogus"
        ).exit_code
        == 2
    )
    assert (
        cli(
            "notifications", "destinations", "add", "loja", "x", "json://h.example", "--quiet", "25:00-01:00"
        ).exit_code
        == 2
    )
    assert cli("notifications", "test", "loja", "missing").exit_code == 3


def test_a_test_message_to_a_destination_that_is_down_says_so_without_its_secret(cli, chat):
    chat.inbox.chat_down = True
    cli("notifications", "destinations", "add", "loja", "ops", f"json://127.0.0.1:{chat.port}/hooks/{SECRET}")
    result = cli("notifications", "test", "loja", "ops")
    assert result.exit_code == 1
    assert "503" in result.output and SECRET not in result.output
