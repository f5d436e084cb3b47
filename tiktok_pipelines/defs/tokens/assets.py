"""The channels' authorizations: the token lifecycle of every client on each channel, run hourly."""

import dagster as dg

from tiktok_pipelines.core.names import ChannelName, Lane
from tiktok_pipelines.defs.keys import channel_key, tiktok_shop_key
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.mercado_livre import MercadoLivre
from tiktok_pipelines.defs.resources.shopee import Shopee
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop
from tiktok_pipelines.lanes.renewal import RenewalReport, renew_due


@dg.asset(key=tiktok_shop_key("tokens"), group_name=Lane.TOKENS.value, kinds={"tiktok"}, code_version="1")
def tiktok_tokens(context: dg.AssetExecutionContext, tiktok_shop: TikTokShop) -> dg.MaterializeResult:
    """Every client's TikTok Shop authorization, kept valid: auth codes received by the OAuth callback are
    exchanged for tokens, each grant is associated with its client by shop code (shop id and cipher stored
    encrypted in the registry), and access tokens close to expiry are refreshed. A refused refresh (or a
    refresh token that expired) marks the client as needing authorization on TikTok Shop only, and tells
    it once; a new consent clears it. Each step is in the token log (no secret ever is)."""
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


@dg.asset(
    key=channel_key(ChannelName.MERCADO_LIVRE, "tokens"),
    group_name=Lane.TOKENS.value,
    kinds={"mercadolivre"},
    code_version="1",
)
def mercado_livre_tokens(
    context: dg.AssetExecutionContext, mercado_livre: MercadoLivre
) -> dg.MaterializeResult:
    """Every client's Mercado Livre grant kept valid: access tokens (6 hours) that end within
    MERCADO_LIVRE_TOKEN_RENEW_BEFORE_MINUTES are renewed through the serialized renewal (refresh tokens
    are single use; the newest pair is always the one kept). A renewal refused with `invalid_grant` marks
    the client as needing authorization on Mercado Livre only, and tells it once."""
    report = renew_due(
        mercado_livre.tokens, mercado_livre.channel(), mercado_livre.renewal_window, logger=context.log
    )
    return _renewal_result(report)


@dg.asset(
    key=channel_key(ChannelName.SHOPEE, "tokens"),
    group_name=Lane.TOKENS.value,
    kinds={"shopee"},
    code_version="1",
)
def shopee_tokens(context: dg.AssetExecutionContext, shopee: Shopee) -> dg.MaterializeResult:
    """Every client's Shopee grant kept valid: access tokens (4 hours) renewed within the channel's
    renewal window, so the 30-day single-use refresh token of an idle shop never lapses; the end of each
    seller's consent (at most 365 days, `get_shop_info`) kept and told once per date within 7 days. A
    renewal Shopee refuses (by its `error` string) marks the client as needing authorization on Shopee
    only, and tells it once."""
    channel = shopee.channel()
    report = renew_due(
        shopee.token_store,
        channel,
        shopee.renewal_window,
        expiry=channel.authorization_expiry,
        logger=context.log,
    )
    return _renewal_result(report)
