"""The channel asset wrapper turns a failed run green only when the channel refused the client's grant."""

import logging
from types import SimpleNamespace

import dagster as dg
import pytest

from tiktok_pipelines.channels.base.errors import ChannelAuthError
from tiktok_pipelines.defs.channels import on_the_channel_shop
from tiktok_pipelines.lanes.tokens import NotAuthorizedError


class Shop:
    """A channel resource whose grant the run itself ends (as a refused refresh marks it)."""

    def __init__(self):
        self.ended = False

    def shop_missing(self, client_id):
        return None

    def needs_authorization(self, client_id):
        return "the seller must authorize again" if self.ended else None


def _context():
    return SimpleNamespace(
        partition_key="acme", log=logging.getLogger("test"), assets_def=SimpleNamespace(check_specs=[])
    )


def _run(shop, failure):
    def lane(context, shop):
        shop.ended = True
        raise failure

    return on_the_channel_shop("shop")(lane)(_context(), shop=shop)


@pytest.mark.parametrize(
    "cause", [NotAuthorizedError("refresh refused"), ChannelAuthError("36004004 invalid refresh token")]
)
def test_a_run_stopped_by_the_grant_it_ended_is_green(cause):
    def reported():
        try:
            raise cause
        except Exception:
            raise dg.Failure(description=str(cause)) from None

    try:
        reported()
    except dg.Failure as failure:
        result = _run(Shop(), failure)
    assert result.metadata["needs_authorization"] == "the seller must authorize again"


def test_a_failure_of_its_own_stays_a_failure_though_the_grant_ended_meanwhile():
    with pytest.raises(dg.Failure, match="VTEX answered 503"):
        _run(Shop(), dg.Failure(description="VTEX answered 503"))
