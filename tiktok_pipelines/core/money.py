"""Money in Brazilian reais: integer cents where an API counts cents, `Decimal` where it counts reais.

VTEX's OMS and fulfillment APIs carry amounts as integer cents (an invoice value as a string of cents);
its Pricing API and the product feed carry decimal reais. These two functions are the only conversion
between the two, so rounding happens in one place: half up, to the cent, as a cash register rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | str | float) -> int:
    """Reais to integer cents: `Decimal("19.90")` → 1990. More than two decimals round half up.

    A float is read through its shortest text form (19.9 → "19.9"), never through its binary value.
    """
    if isinstance(amount, bool):
        raise TypeError("a bool is not an amount of money")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount of money: {amount!r}")
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))


def from_cents(cents: int) -> Decimal:
    """Integer cents to reais with two decimals: 1990 → `Decimal("19.90")`."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be an int, got {type(cents).__name__} {cents!r}")
    return Decimal(cents).scaleb(-2).quantize(CENT)


@dataclass(frozen=True)
class Money:
    """An amount in a currency: Decimal, never float."""

    amount: Decimal
    currency: str = "BRL"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
