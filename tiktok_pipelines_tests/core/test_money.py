from decimal import Decimal

import pytest

from tiktok_pipelines.core.money import from_cents, to_cents


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("19.90", 1990),
        (Decimal("666.66"), 66666),
        (5, 500),
        (19.9, 1990),  # read through its text, not its binary value (19.899999...)
        (0.29, 29),
        ("0.005", 1),  # half up
        ("0.0049", 0),
        ("-1.005", -101),  # half away from zero, as a refund rounds
        (" 12.5 ", 1250),
        (Decimal("1E+3"), 100000),
    ],
)
def test_to_cents(amount, cents):
    assert to_cents(amount) == cents
    assert isinstance(to_cents(amount), int)


@pytest.mark.parametrize("bad", ["abc", "", "1,50", "NaN", "Infinity", Decimal("NaN")])
def test_to_cents_rejects_what_is_not_money(bad):
    with pytest.raises(ValueError):
        to_cents(bad)


def test_to_cents_rejects_bool():
    with pytest.raises(TypeError):
        to_cents(True)


@pytest.mark.parametrize(("cents", "text"), [(1990, "19.90"), (0, "0.00"), (5, "0.05"), (-250, "-2.50")])
def test_from_cents(cents, text):
    value = from_cents(cents)
    assert isinstance(value, Decimal)
    assert str(value) == text


@pytest.mark.parametrize("bad", [19.9, "1990", Decimal("1990"), True, None])
def test_from_cents_takes_only_int(bad):
    with pytest.raises(TypeError):
        from_cents(bad)


def test_round_trip_every_cent_up_to_ten_thousand_reais():
    for cents in range(0, 1_000_000, 7):
        assert to_cents(from_cents(cents)) == cents
