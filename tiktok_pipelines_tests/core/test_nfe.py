import pytest

from tiktok_pipelines.core.nfe import (
    access_key_check_digit,
    build_access_key,
    cnpj_with_check_digits,
    cpf_with_check_digits,
    is_valid_access_key,
    is_valid_cnpj,
    is_valid_cpf,
    parse_access_key,
)


@pytest.mark.parametrize(
    ("body", "digit"),
    [
        # The worked example of the Manual de Orientação do Contribuinte (sum of weights 644, rest 6).
        ("5206043300991100250655012000000780026730161", 5),
        # Published examples of an NFC-e key (model 65) and an NF-e key from Rio Grande do Sul.
        ("1318101792142700012565001000000030988725117", 0),
        ("4317120736461700013555000000012014100012014", 6),
    ],
)
def test_check_digit_matches_published_keys(body, digit):
    assert access_key_check_digit(body) == digit
    assert is_valid_access_key(body + str(digit))


def test_remainders_zero_and_one_give_zero():
    # Find bodies whose weighted sum leaves 0 and 1: both must yield 0, never 11 or 10.
    seen = set()
    for n in range(10_000):
        body = f"35{n:041d}"
        total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(body)))
        if total % 11 in (0, 1):
            assert access_key_check_digit(body) == 0
            seen.add(total % 11)
    assert seen == {0, 1}


def test_build_and_parse_access_key():
    key = build_access_key(
        uf_code="35", year_month="2406", cnpj="11222333000181", series=1, number=1234, numeric_code=98765432
    )
    assert len(key) == 44 and is_valid_access_key(key)
    parts = parse_access_key(key)
    assert (parts.uf_code, parts.year_month, parts.cnpj, parts.model) == (
        "35",
        "2406",
        "11222333000181",
        "55",
    )
    assert (parts.series, parts.number, parts.emission_type, parts.numeric_code) == (
        "001",
        "000001234",
        "1",
        "98765432",
    )
    assert parts.key == key


def test_build_access_key_rejects_bad_fields():
    with pytest.raises(ValueError, match="cnpj"):
        build_access_key(uf_code="35", year_month="2406", cnpj="123", series=1, number=1, numeric_code=1)
    with pytest.raises(ValueError, match="number"):
        build_access_key(
            uf_code="35", year_month="2406", cnpj="11222333000181", series=1, number=10**9, numeric_code=1
        )


@pytest.mark.parametrize(
    "key",
    [
        "52060433009911002506550120000007800267301616",  # wrong check digit
        "5206043300991100250655012000000780026730161",  # 43 digits
        "520604330099110025065501200000078002673016155",  # 45 digits
        "52060433009911002506550120000007800267301a15",  # a letter
        "99060433009911002506550120000007800267301615",  # no such federative unit
        "",
    ],
)
def test_invalid_access_keys(key):
    assert not is_valid_access_key(key)


def test_every_single_digit_change_of_a_key_is_caught_or_maps_to_zero_remainders():
    key = build_access_key(
        uf_code="35", year_month="2406", cnpj="11222333000181", series=1, number=42, numeric_code=7
    )
    caught = 0
    for position in range(2, 43):
        for digit in "0123456789":
            if digit == key[position]:
                continue
            altered = key[:position] + digit + key[position + 1 :]
            caught += not is_valid_access_key(altered)
    # Modulo 11 folds remainders 0 and 1 into one digit, so a few changes slip through; most do not.
    assert caught / (41 * 9) > 0.85


def test_cnpj_and_cpf_check_digits():
    assert cnpj_with_check_digits("112223330001") == "11222333000181"
    assert cpf_with_check_digits("529982247") == "52998224725"
    assert is_valid_cnpj("11.222.333/0001-81") and not is_valid_cnpj("11.222.333/0001-82")
    assert is_valid_cpf("529.982.247-25") and not is_valid_cpf("529.982.247-24")
    assert not is_valid_cpf("111.111.111-11")  # repeated digits check but are not issued
    assert not is_valid_cnpj("") and not is_valid_cpf(None)
