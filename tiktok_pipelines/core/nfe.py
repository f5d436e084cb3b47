"""Brazilian fiscal identifiers: the NF-e access key (chave de acesso), CNPJ and CPF check digits.

The access key is 44 digits: cUF(2) AAMM(4) CNPJ(14) mod(2) serie(3) nNF(9) tpEmis(1) cNF(8) cDV(1);
its last digit is a modulo-11 check over the first 43 (weights 2..9 from the right; a remainder of 0
or 1 gives 0), as the Manual de Orientação do Contribuinte defines it. TikTok Shop rejects an invoice
whose key does not check, so the fulfilment path validates keys before uploading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCESS_KEY_PATTERN = re.compile(r"^\d{44}$")

# IBGE codes of the federative units, the cUF of an NF-e.
UF_CODES = {
    "RO": "11",
    "AC": "12",
    "AM": "13",
    "RR": "14",
    "PA": "15",
    "AP": "16",
    "TO": "17",
    "MA": "21",
    "PI": "22",
    "CE": "23",
    "RN": "24",
    "PB": "25",
    "PE": "26",
    "AL": "27",
    "SE": "28",
    "BA": "29",
    "MG": "31",
    "ES": "32",
    "RJ": "33",
    "SP": "35",
    "PR": "41",
    "SC": "42",
    "RS": "43",
    "MS": "50",
    "MT": "51",
    "GO": "52",
    "DF": "53",
}


def access_key_check_digit(first43: str) -> int:
    """The cDV of an access key from its first 43 digits."""
    if not re.fullmatch(r"\d{43}", first43):
        raise ValueError(f"an access key body is 43 digits, got {first43!r}")
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(first43)))
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


@dataclass(frozen=True)
class AccessKey:
    """The fields an NF-e access key is made of."""

    uf_code: str
    year_month: str  # AAMM
    cnpj: str
    model: str
    series: str
    number: str
    emission_type: str
    numeric_code: str
    check_digit: str

    @property
    def key(self) -> str:
        return (
            self.uf_code
            + self.year_month
            + self.cnpj
            + self.model
            + self.series
            + self.number
            + self.emission_type
            + self.numeric_code
            + self.check_digit
        )


def build_access_key(
    *,
    uf_code: str,
    year_month: str,
    cnpj: str,
    series: int,
    number: int,
    numeric_code: int,
    model: str = "55",
    emission_type: str = "1",
) -> str:
    """Assembles an access key and appends its check digit."""
    parts = [
        (uf_code, 2, "uf_code"),
        (year_month, 4, "year_month"),
        (cnpj, 14, "cnpj"),
        (model, 2, "model"),
        (f"{series:03d}", 3, "series"),
        (f"{number:09d}", 9, "number"),
        (emission_type, 1, "emission_type"),
        (f"{numeric_code:08d}", 8, "numeric_code"),
    ]
    for value, size, name in parts:
        if not (len(value) == size and value.isdigit()):
            raise ValueError(f"{name} must be {size} digits, got {value!r}")
    body = "".join(p[0] for p in parts)
    return body + str(access_key_check_digit(body))


def parse_access_key(key: str) -> AccessKey:
    """Splits a 44-digit key into its fields (without checking the digit: see `is_valid_access_key`)."""
    key = key.strip()
    if not ACCESS_KEY_PATTERN.match(key):
        raise ValueError(f"an access key is 44 digits, got {key!r}")
    return AccessKey(
        uf_code=key[0:2],
        year_month=key[2:6],
        cnpj=key[6:20],
        model=key[20:22],
        series=key[22:25],
        number=key[25:34],
        emission_type=key[34:35],
        numeric_code=key[35:43],
        check_digit=key[43],
    )


def is_valid_access_key(key: str) -> bool:
    """44 digits, a known federative unit, and a check digit that checks."""
    if not isinstance(key, str) or not ACCESS_KEY_PATTERN.match(key):
        return False
    if key[:2] not in UF_CODES.values():
        return False
    return access_key_check_digit(key[:43]) == int(key[43])


def _document_digits(body: str, weights: list[int]) -> int:
    remainder = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cnpj_with_check_digits(first12: str) -> str:
    """Completes a 12-digit CNPJ base (8-digit root + 4-digit branch) with its two check digits."""
    if not re.fullmatch(r"\d{12}", first12):
        raise ValueError(f"a CNPJ base is 12 digits, got {first12!r}")
    d1 = _document_digits(first12, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    d2 = _document_digits(first12 + str(d1), [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return f"{first12}{d1}{d2}"


def cpf_with_check_digits(first9: str) -> str:
    """Completes a 9-digit CPF base with its two check digits."""
    if not re.fullmatch(r"\d{9}", first9):
        raise ValueError(f"a CPF base is 9 digits, got {first9!r}")
    d1 = _document_digits(first9, list(range(10, 1, -1)))
    d2 = _document_digits(first9 + str(d1), list(range(11, 1, -1)))
    return f"{first9}{d1}{d2}"


def is_valid_cnpj(value: str) -> bool:
    digits = re.sub(r"\D", "", value or "")
    return len(digits) == 14 and len(set(digits)) > 1 and cnpj_with_check_digits(digits[:12]) == digits


def is_valid_cpf(value: str) -> bool:
    digits = re.sub(r"\D", "", value or "")
    return len(digits) == 11 and len(set(digits)) > 1 and cpf_with_check_digits(digits[:9]) == digits
