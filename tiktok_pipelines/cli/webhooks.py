"""`webhooks`: the HTTP receiver and the events' dead letter."""

from __future__ import annotations

import json

import click

from tiktok_pipelines.cli.common import EXIT_INVALID, EXIT_NOT_FOUND, fail, print_table, state_db
from tiktok_pipelines.settings import Settings


@click.group()
def webhooks() -> None:
    """The HTTP receiver (platform webhooks, the OAuth callback) and the events' dead letter."""


@webhooks.command("serve")
@click.option("--host", default=None, help="Default TIKTOK_PIPELINES_RECEIVER_HOST.")
@click.option("--port", type=int, default=None, help="Default TIKTOK_PIPELINES_RECEIVER_PORT.")
def webhooks_serve(host: str | None, port: int | None) -> None:
    """Serve the receiver until Ctrl-C."""
    import uvicorn

    from tiktok_pipelines.receiver.app import create_app, tune_receiver_process

    settings = Settings.load()
    tune_receiver_process()
    host = host or settings.require("TIKTOK_PIPELINES_RECEIVER_HOST")
    port = port or settings.int("TIKTOK_PIPELINES_RECEIVER_PORT")
    click.echo(f"receiver on http://{host}:{port} (OAuth callback: /oauth/tiktok/callback)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)


@webhooks.group("dead-letter")
def webhooks_dead_letter() -> None:
    """Events the queue sensor failed to handle on every attempt, with the reason: list and show them,
    put them back on the queue (`retry`, once the cause is fixed) or `discard` them."""


def _dead_letters(ids: tuple[int, ...], every: bool, client_id: str | None):
    """The open letters named (all of them, or all of a client's, with --all); exits 3 on an id that is
    not an open letter."""
    from tiktok_pipelines.stores.events import EventDeadLetter

    dead = EventDeadLetter(state_db())
    if every == bool(ids):
        fail("give letter ids, or --all", EXIT_INVALID)
    if every:
        return dead, dead.list("open", client_id=client_id)
    letters = []
    for letter_id in ids:
        letter = dead.get(letter_id)
        if letter is None or letter.status != "open":
            state = f"is {letter.status}" if letter else "does not exist"
            fail(f"dead letter #{letter_id} {state}", EXIT_NOT_FOUND)
        letters.append(letter)
    return dead, letters


def _letter_row(letter) -> dict:
    return {
        "id": letter.id,
        "failed_at": f"{letter.failed_at:%Y-%m-%d %H:%M:%S}",
        "event": f"{letter.source}:{letter.event_type}",
        "event_id": letter.event_id,
        "client_id": letter.client_id or "-",
        "attempts": letter.attempts,
        "status": letter.status,
        "error": letter.error,
    }


@webhooks_dead_letter.command("list")
@click.option("--client", "client_id", help="Only this client's events.")
@click.option(
    "--status",
    type=click.Choice(["open", "retried", "discarded", "all"]),
    default="open",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True)
def webhooks_dead_letter_list(client_id: str | None, status: str, as_json: bool) -> None:
    """Letters, oldest first (bodies are shown by `show`)."""
    from tiktok_pipelines.stores.events import EventDeadLetter

    letters = EventDeadLetter(state_db()).list(None if status == "all" else status, client_id=client_id)
    if as_json:
        click.echo(json.dumps([_letter_row(letter) for letter in letters], indent=2))
    elif not letters:
        click.echo("the webhook dead letter is empty" if status == "open" else "no letters")
    else:
        print_table(
            [_letter_row(letter) for letter in letters],
            ("id", "failed_at", "event", "event_id", "client_id", "attempts", "status", "error"),
            80,
        )


_SECRET_FIELDS = {"key", "appkey", "apptoken", "token", "secret", "password"}


def _shown_body(body: str) -> str:
    """An event body with secret-looking values masked (a VTEX hook's `Origin.Key` is the app key)."""

    def mask(value):
        if isinstance(value, dict):
            return {k: "***" if k.lower() in _SECRET_FIELDS else mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    try:
        return json.dumps(mask(json.loads(body.removeprefix("\ufeff"))), ensure_ascii=False)
    except ValueError:
        return body


@webhooks_dead_letter.command("show")
@click.argument("letter_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def webhooks_dead_letter_show(letter_id: int, as_json: bool) -> None:
    """One letter: the event, why it failed and where, and its body."""
    from tiktok_pipelines.stores.events import EventDeadLetter

    letter = EventDeadLetter(state_db()).get(letter_id)
    if letter is None:
        fail(f"dead letter #{letter_id} does not exist", EXIT_NOT_FOUND)
    if as_json:
        click.echo(json.dumps({**vars(letter), "body": _shown_body(letter.body)}, indent=2, default=str))
        return
    for name in ("id", "status", "source", "event_type", "event_id", "routing_key", "client_id", "attempts"):
        click.echo(f"{name}: {getattr(letter, name)}")
    for name in ("received_at", "sent_at", "failed_at", "resolved_at"):
        click.echo(f"{name}: {getattr(letter, name) or '-'}")
    click.echo(f"error: {letter.error}")
    if letter.trace:
        click.echo("trace:\n" + letter.trace.rstrip())
    click.echo("body:\n" + _shown_body(letter.body))


@webhooks_dead_letter.command("retry")
@click.argument("letter_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every open letter (of --client).")
@click.option("--client", "client_id", help="With --all: only this client's letters.")
def webhooks_dead_letter_retry(letter_ids: tuple[int, ...], every: bool, client_id: str | None) -> None:
    """Put events back on the event queue (TIKTOK_PIPELINES_QUEUE): the sensor handles them again within
    a tick, and one that fails again on every attempt comes back here."""
    from tiktok_pipelines.defs.resources.queue import event_queue_from_settings

    dead, letters = _dead_letters(letter_ids, every, client_id)
    if letters:
        event_queue_from_settings(Settings.load()).requeue([letter.event() for letter in letters])
        dead.resolve([letter.id for letter in letters], "retried")
    click.echo(f"{len(letters)} event(s) back on the queue")


@webhooks_dead_letter.command("discard")
@click.argument("letter_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every open letter (of --client).")
@click.option("--client", "client_id", help="With --all: only this client's letters.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def webhooks_dead_letter_discard(
    letter_ids: tuple[int, ...], every: bool, client_id: str | None, yes: bool
) -> None:
    """Give up on events: the letters are closed (and kept, as `discarded`)."""
    dead, letters = _dead_letters(letter_ids, every, client_id)
    if letters and not yes and not click.confirm(f"discard {len(letters)} event(s)?"):
        fail("not confirmed", EXIT_INVALID)
    dead.resolve([letter.id for letter in letters], "discarded")
    click.echo(f"{len(letters)} event(s) discarded")
