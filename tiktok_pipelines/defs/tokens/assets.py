"""TikTok Shop authorization: the token lifecycle of every client, run hourly."""

import dagster as dg

from tiktok_pipelines.core.names import Lane
from tiktok_pipelines.defs.keys import tiktok_shop_key
from tiktok_pipelines.defs.reporting import markdown_table, md
from tiktok_pipelines.defs.resources.tiktok_shop import TikTokShop


@dg.asset(key=tiktok_shop_key("tokens"), group_name=Lane.TOKENS.value, kinds={"tiktok"}, code_version="1")
def tiktok_tokens(context: dg.AssetExecutionContext, tiktok_shop: TikTokShop) -> dg.MaterializeResult:
    """Every client's TikTok Shop authorization, kept valid: auth codes received by the OAuth callback are
    exchanged for tokens, each grant is associated with its client by shop code (shop id and cipher stored
    encrypted in the registry), and access tokens close to expiry are refreshed. A refused refresh marks
    the client `needs_reauthorization`. Each step is in the token log (no secret ever is)."""
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
            "needs_reauthorization": md(", ".join(sorted(set(report.needs_reauthorization))) or "_none_"),
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
