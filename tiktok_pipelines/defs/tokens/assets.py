"""The channels' authorizations: the token lifecycle of every client on each channel, run hourly."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.channel_registry import CHANNELS, TIKTOK_SHOP, DeclaredChannel
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.lanes.renewal import RenewalReport


def _tokens_asset(channel: DeclaredChannel, **kwargs: Any) -> Callable[[Callable], dg.AssetsDefinition]:
    """`dg.asset` of `<channel>/tokens`, in the tokens group and not partitioned: one run works through
    every client's grant on the channel."""
    return dg.asset(
        key=channel.key("tokens"),
        group_name=Lane.TOKENS.value,
        kinds={channel.kind},
        code_version="1",
        description=channel.description("tokens"),
        **kwargs,
    )


@_tokens_asset(TIKTOK_SHOP)
def tiktok_tokens(context: dg.AssetExecutionContext, tiktok_shop: TikTokShop) -> dg.MaterializeResult:
    """TikTok Shop's own token run: its OAuth onboarding (codes exchanged, shops associated with their
    clients by shop code) besides the renewals."""
    with tiktok_shop.token_manager(logger=context.log) as manager:
        report = manager.run()
        rows = manager.token_rows()
    failures = report.failure_rows()
    if failures:
        context.log.error(
            "%d token step(s) failed: see the `failures` metadata and the token log", len(failures)
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "codes_exchanged": len(report.codes_exchanged),
            "shops_associated": len(report.associated),
            "tokens_renewed": len(report.renewed),
            "failed": report.failures,
            "needs_authorization": md(", ".join(sorted(set(report.needs_authorization))) or "_none_"),
            "tokens": md(
                markdown_table(
                    rows,
                    ("client_id", "status", "shop_id", "access_expires_in_h", "refresh_expires"),
                    limit=50,
                )
            ),
            "failures": md(markdown_table(failures, ("client_id", "step", "reason"), limit=50)),
        }
    )


def _renewal_result(report: RenewalReport) -> dg.MaterializeResult:
    """A channel's token run as metadata: counts and a row per client (no secret)."""
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(report.rows),
            "tokens_renewed": report.count("renewed"),
            "failed": report.count("failed"),
            "needs_authorization": md(
                ", ".join(r["client_id"] for r in report.rows if r["outcome"] == "needs_authorization")
                or "_none_"
            ),
            "tokens": md(
                markdown_table(
                    report.rows,
                    (
                        "client_id",
                        "outcome",
                        "access_expires_in_h",
                        "refresh_expires",
                        "authorization_expires",
                        "reason",
                    ),
                    limit=50,
                )
            ),
        },
    )


def _renewal_asset(channel: DeclaredChannel) -> dg.AssetsDefinition:
    """`<channel>/tokens` of a channel whose grants are kept per channel: every client's renewed ahead
    of expiry by the channel's resource (`renew_grants`)."""

    @_tokens_asset(channel, required_resource_keys={channel.resource_key})
    def tokens(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return _renewal_result(channel.resource(context).renew_grants(logger=context.log))

    return tokens


# The token runs of the channels whose grants are kept per channel, by channel.
CHANNEL_TOKENS = {channel.name: _renewal_asset(channel) for channel in CHANNELS if channel.shared_renewal}
mercado_livre_tokens = CHANNEL_TOKENS[ChannelName.MERCADO_LIVRE]
shopee_tokens = CHANNEL_TOKENS[ChannelName.SHOPEE]

TOKENS_ASSETS = [tiktok_tokens, *CHANNEL_TOKENS.values()]
