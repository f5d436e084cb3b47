"""The command line as scripts and people call it: every command with its arguments and options, through
the console script's entry point and `python -m tiktok_pipelines.cli`."""

import subprocess
import sys
from importlib.metadata import entry_points

import click

from tiktok_pipelines.cli.main import main

CLIENT_FIELDS = (
    "--display-name --feed-url --vtex-account --vtex-environment --vtex-app-key --vtex-app-token "
    "--vtex-warehouse --vtex-trade-policy --vtex-affiliate-id --tiktok-shop-code --tiktok-shop-id "
    "--tiktok-shop-cipher --tiktok-warehouse --option"
)
SANDBOX = (
    "--host --feeds-port --tiktok-port --vtex-port --creator-port --llm-port --mercado-livre-port "
    "--shopee-port --receiver-port --sinks-port --smtp-port "
    "--products --seed"
)

COMMANDS = {
    "attributes list": "CLIENT_ID",
    "attributes set": "CLIENT_ID ATTRIBUTE SOURCE --category",
    "attributes unset": "CLIENT_ID ATTRIBUTE --category",
    "brands list": "CLIENT_ID --failed",
    "brands set": "CLIENT_ID BRAND_NAME TIKTOK_BRAND_ID",
    "catalog confirm-shrink": "CLIENT_ID --snapshot --yes",
    "catalog status": "CLIENT_ID --paused",
    "catalog unpause": "CLIENT_ID PRODUCT_KEYS... --all",
    "categories accept": "CLIENT_ID KIND VALUE --all",
    "categories list": "CLIENT_ID --status --json",
    "categories reject": "CLIENT_ID KIND VALUE",
    "categories set": "CLIENT_ID KIND VALUE TIKTOK_CATEGORY_ID",
    "categories tree": "CLIENT_ID --search",
    "categories unset": "CLIENT_ID KIND VALUE",
    "clients add": f"CLIENT_ID {CLIENT_FIELDS}",
    "creators add": "CREATOR_ID --client --timezone",
    "creators audit": "--json",
    "creators connect": "CREATOR_ID",
    "creators delete": "CREATOR_ID --yes --no-rebuild",
    "creators disconnect": "CREATOR_ID",
    "creators list": "--json",
    "creators show": "CREATOR_ID --json",
    "creators status": "CREATOR_ID --json",
    "creators sync": "CREATOR_ID",
    "clients list": "--json",
    "clients remove": "CLIENT_ID --yes",
    "clients set": f"CLIENT_ID {CLIENT_FIELDS} --unset-option --status",
    "clients show": "CLIENT_ID --json",
    "posts attach": "POST_ID VIDEO",
    "posts cancel": "POST_ID",
    "posts list": "CREATOR_ID --status --json",
    "posts retry": "POST_ID",
    "posts schedule": "CREATOR_ID VIDEO --caption --privacy --at --mode",
    "posts show": "POST_ID --json",
    "dashboard hash-password": "--stdin",
    "dashboard serve": "--host --port --database",
    "demo run": f"{SANDBOX} --dagster-port --dashboard-port --walk-seconds",
    "demo setup": SANDBOX,
    "events list": "--client --status --type --limit --json",
    "fulfilment resolve": "CLIENT_ID LETTER_ID",
    "fulfilment status": "CLIENT_ID --json",
    "init": "",
    "notifications destinations add": "CLIENT_ID NAME URL --kinds --quiet --timezone --replace",
    "notifications destinations list": "CLIENT_ID --json",
    "notifications destinations remove": "CLIENT_ID NAME",
    "notifications disable": "CLIENT_ID NAME",
    "notifications enable": "CLIENT_ID NAME",
    "notifications list": "CLIENT_ID --state --limit --json",
    "notifications retry": "CLIENT_ID",
    "notifications test": "CLIENT_ID NAME",
    "oauth exchange": "",
    "oauth status": "CLIENT_ID --log --json --channel",
    "oauth url": "CLIENT_ID --channel",
    "orders list": "CLIENT_ID --failed --state --json",
    "orders reprocess": "CLIENT_ID ORDER_IDS... --all-failed",
    "orders show": "CLIENT_ID ORDER_ID --json",
    "sandbox up": SANDBOX,
    "secrets generate-key": "",
    "state migrate": "",
    "state revision": "MESSAGE",
    "state version": "",
    "sql": "QUERY -f/--file --csv --json --max-rows --database",
    "stock-price confirm-price": "CLIENT_ID SELLER_SKUS... --channel --all --yes",
    "stock-price dead-letter": "CLIENT_ID --channel --kind",
    "stock-price held": "CLIENT_ID --channel",
    "stock-price options": "CLIENT_ID",
    "stock-price retry": "CLIENT_ID SELLER_SKUS... --channel --all --kind",
    "stock-price skus": "CLIENT_ID SELLER_SKUS... --channel --pending --kind --limit",
    "stock-price status": "CLIENT_ID --channel --json",
    "vtex hook": "CLIENT_ID --receiver-url",
    "webhooks dead-letter discard": "LETTER_IDS... --all --client --yes",
    "webhooks dead-letter list": "--client --status --json",
    "webhooks dead-letter retry": "LETTER_IDS... --all --client",
    "webhooks dead-letter show": "LETTER_ID --json",
    "webhooks serve": "--host --port",
    "where": "",
}


def usage(command: click.Command) -> str:
    return " ".join(
        p.name.upper() + ("..." if p.nargs == -1 else "")
        if isinstance(p, click.Argument)
        else "/".join(p.opts)
        for p in command.params
    )


def leaves(command: click.Command, path: tuple[str, ...] = ()):
    if not isinstance(command, click.Group):
        yield " ".join(path), command
        return
    for name in command.list_commands(click.Context(command)):
        yield from leaves(command.get_command(click.Context(command), name), (*path, name))


def test_every_command_keeps_its_arguments_and_options():
    assert {path: usage(command) for path, command in leaves(main)} == COMMANDS


def test_the_console_script_runs_the_same_command_line():
    [script] = entry_points(group="console_scripts", name="tiktok-pipelines")
    assert script.load() is main


def test_python_m_lists_every_group_and_exits_0():
    result = subprocess.run(
        [sys.executable, "-m", "tiktok_pipelines.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    commands = result.stdout.split("Commands:")[1].splitlines()
    listed = {line.split()[0] for line in commands if line.startswith("  ") and line[2] != " "}
    assert listed == {path.split()[0] for path in COMMANDS}
