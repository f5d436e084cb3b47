"""`sandbox`: the local emulators; its options are the demo's too."""

from __future__ import annotations

from typing import Any

import click

from tiktok_pipelines.cli.common import options


@click.group()
def sandbox() -> None:
    """Local emulators of the feed server, TikTok Shop, VTEX, TikTok for Developers (creators), Mercado
    Livre and Shopee, and a chat-completions endpoint."""


# Where the sandbox serves and what it seeds, as options of `sandbox up` and of the demo commands.
sandbox_options = options(
    click.option("--host", default="127.0.0.1", show_default=True),
    click.option("--feeds-port", default=8701, show_default=True),
    click.option("--tiktok-port", default=8702, show_default=True),
    click.option("--vtex-port", default=8703, show_default=True),
    click.option(
        "--creator-port", default=8705, show_default=True, help="Port of TikTok for Developers (creators)."
    ),
    click.option(
        "--llm-port", default=8709, show_default=True, help="Port of the chat-completions emulator."
    ),
    click.option("--mercado-livre-port", default=8707, show_default=True, help="Port of Mercado Livre."),
    click.option("--shopee-port", default=8708, show_default=True, help="Port of the Shopee emulator."),
    click.option("--receiver-port", default=8700, show_default=True, help="Port of the project's receiver."),
    click.option("--sinks-port", default=8704, show_default=True, help="Port of the chat-webhook sink."),
    click.option("--smtp-port", default=8725, show_default=True, help="Port of the local mailbox."),
    click.option("--products", default=120, show_default=True, help="Products in the demo catalog."),
    click.option("--seed", default=42, show_default=True, help="Seed of the generated catalog."),
)


def sandbox_config(**kw: Any):
    """The sandbox's configuration from the values of `sandbox_options`, one for each of its fields."""
    from dataclasses import fields

    from tiktok_pipelines.sandbox.world import SandboxConfig

    return SandboxConfig(**{f.name: kw[f.name] for f in fields(SandboxConfig)})


@sandbox.command("up")
@sandbox_options
def sandbox_up(**kw: Any) -> None:
    """Serve the sandbox emulators on loopback until Ctrl-C."""
    from tiktok_pipelines.sandbox.notification_sinks import Inbox, MailSink, create_chat_sink_app
    from tiktok_pipelines.sandbox.server import Served, run_servers
    from tiktok_pipelines.sandbox.world import SandboxWorld

    world = SandboxWorld(sandbox_config(**kw))
    inbox = Inbox()
    apps = [*world.apps(), Served("notifications", create_chat_sink_app(inbox), world.config.sinks_port)]
    for served in apps:
        click.echo(f"sandbox {served.name}: {world.config.url(served.port)}")
    click.echo(f"demo feed: {world.demo_client_fields()['feed_url']}")
    click.echo(f"TikTok consent redirects to {world.urls()['receiver']}/oauth/tiktok/callback")
    mailbox = MailSink(inbox, kw["host"], world.config.smtp_port).start()
    click.echo(
        f"sandbox mailbox: smtp://{kw['host']}:{world.config.smtp_port}, listed at {world.urls()['mailbox']}"
    )
    try:
        run_servers(apps, host=kw["host"], log_level="warning")
    finally:
        mailbox.stop()
