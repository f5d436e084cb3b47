"""`webhooks dead-letter show` prints an event's body without the secrets a sender put in it."""

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from tiktok_pipelines.cli.main import main
from tiktok_pipelines.core.events import InboundEvent
from tiktok_pipelines.stores.events import EventDeadLetter

APP_KEY = "vtexappkey-loja-XYZ"


def letter(state_db, event_id: str, body: str) -> int:
    event = InboundEvent("vtex", event_id, "vtex:order_hook", "loja", datetime(2025, 3, 1, tzinfo=UTC), body)
    return EventDeadLetter(state_db).add(event, "loja", 3, "KeyError: 'OrderId'")


def test_a_vtex_hooks_app_key_is_masked_and_the_rest_of_the_body_shown(state_db):
    body = {
        "Domain": "Marketplace",
        "OrderId": "v940532-01",
        "Origin": {"Account": "loja", "Key": APP_KEY},
        "Items": [{"sku": "7", "Token": "abc-123", "Password": None}],
    }
    letter_id = letter(state_db, "hook-1", "\ufeff" + json.dumps(body))
    cli = CliRunner()

    shown = cli.invoke(main, ["webhooks", "dead-letter", "show", str(letter_id)])
    assert shown.exit_code == 0, shown.output
    assert APP_KEY not in shown.output and "abc-123" not in shown.output
    printed = json.loads(shown.output.split("body:\n", 1)[1])
    assert printed == {
        "Domain": "Marketplace",
        "OrderId": "v940532-01",
        "Origin": {"Account": "loja", "Key": "***"},
        "Items": [{"sku": "7", "Token": "***", "Password": "***"}],
    }

    as_json = cli.invoke(main, ["webhooks", "dead-letter", "show", str(letter_id), "--json"])
    assert as_json.exit_code == 0 and APP_KEY not in as_json.output
    assert json.loads(json.loads(as_json.output)["body"])["Origin"] == {"Account": "loja", "Key": "***"}


def test_a_body_that_is_not_json_is_shown_as_it_came(state_db):
    letter_id = letter(state_db, "hook-2", "OrderId=v1&State=invoiced")
    shown = CliRunner().invoke(main, ["webhooks", "dead-letter", "show", str(letter_id)])
    assert shown.exit_code == 0 and shown.output.endswith("body:\nOrderId=v1&State=invoiced\n")
