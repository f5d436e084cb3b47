from decimal import Decimal

import pytest

from tiktok_pipelines.core.models.offers import PriceTarget, PushResult, SkuRefusal, decode_target


def test_a_price_target_is_stored_as_canonical_json_and_read_back_unchanged():
    target = PriceTarget(Decimal("110.90"), Decimal("165.90"), "BRL")
    assert target.encode() == '{"currency":"BRL","list_price":"165.90","price":"110.90"}'
    assert PriceTarget.from_dict(decode_target(target.encode())) == target
    assert (
        str(PriceTarget.from_dict({"price": "59.9", "list_price": "60", "currency": "BRL"}).price) == "59.9"
    )
    with pytest.raises(KeyError):
        PriceTarget.from_dict({"price": "59.90", "currency": "BRL"})


def test_a_push_result_says_which_skus_were_refused():
    refusal = SkuRefusal("702", "12019028", "missing warehouse", ("W9",))
    result = PushResult({"702": refusal})
    assert not result.ok and result.refusal("702") == refusal and result.refusal("701") is None
    assert PushResult().ok
