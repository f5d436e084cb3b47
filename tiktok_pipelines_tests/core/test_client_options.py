"""Every client option is declared once (name, type, default, allowed values, meaning), every option the
code reads is declared, and each lane's document shows the declared table."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from tiktok_pipelines.core.client_options import (
    LANE_DOCS,
    ClientOptions,
    ClientOptionsError,
    check_options,
    option_value,
    options_markdown,
)

ROOT = Path(__file__).resolve().parents[2]


def _reads() -> list[tuple[str, str, object]]:
    """(where, option, default or ...) for every `<x>.option("name"[, default])` and
    `options.get("name"[, default])` in the package (the emulators have no client options)."""
    found = []
    for path in sorted((ROOT / "tiktok_pipelines").rglob("*.py")):
        if "sandbox" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            receiver = node.func.value
            is_option = node.func.attr == "option" and not (
                isinstance(receiver, ast.Name) and receiver.id == "click"
            )
            is_get = node.func.attr == "get" and isinstance(receiver, ast.Name) and receiver.id == "options"
            if is_option or is_get:
                default = node.args[1] if len(node.args) > 1 else None
                literal = default.value if isinstance(default, ast.Constant) else ...
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", first.value, literal))
    return found


def test_every_option_the_code_reads_is_declared_with_the_default_it_assumes():
    reads = _reads()
    assert len(reads) > 20  # the scan sees the readers
    declared = ClientOptions.model_fields
    undeclared = [(where, name) for where, name, _ in reads if name not in declared]
    assert not undeclared, f"options read but not declared in domain/client_options.py: {undeclared}"
    disagreeing = [
        (where, name, default)
        for where, name, default in reads
        if default is not ... and default != declared[name].get_default(call_default_factory=True)
    ]
    assert not disagreeing, f"a reader assumes another default than the declaration: {disagreeing}"


def test_every_declared_option_is_read_somewhere_and_documented_for_a_lane():
    read = {name for _, name, _ in _reads()} | set(ClientOptions.lane_fields("stock_price"))
    for name, field in ClientOptions.model_fields.items():
        assert name in read, f"option {name} is declared but nothing reads it"
        assert field.description, f"option {name} has no meaning"
        lanes = field.json_schema_extra["lanes"]
        assert lanes and set(lanes) <= set(LANE_DOCS), f"option {name} has no documented lane"


@pytest.mark.parametrize("lane", sorted(LANE_DOCS))
def test_each_lanes_document_shows_its_declared_options(lane):
    text = (ROOT / LANE_DOCS[lane]).read_text()
    start, end = f"<!-- options:{lane}:start -->\n", f"\n<!-- options:{lane}:end -->"
    assert start in text and end in text, f"{LANE_DOCS[lane]} has no table of the {lane} options"
    block = text[text.index(start) + len(start) : text.index(end)]
    assert block == options_markdown(lane), (
        f"{LANE_DOCS[lane]}'s table of options is out of date: regenerate it with "
        "`python -m tiktok_pipelines.core.client_options`"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"feed_max_rejectd_share": 0.1},
            "unknown option 'feed_max_rejectd_share' (did you mean feed_max_rejected_share?)",
        ),
        (
            {"feed_max_rejected_share": 7},
            "feed_max_rejected_share: Input should be less than or equal to 1 (got 7)",
        ),
        ({"currency": "XYZ"}, "currency: Input should be 'BRL'"),
        ({"max_main_images": 21}, "max_main_images: Input should be less than or equal to 20 (got 21)"),
        ({"sku_images": "sometimes"}, "sku_images: Input should be a valid boolean"),
        ({"vtex_weight_unit": "ton"}, "vtex_weight_unit: Input should be 'g', 'kg', 'lb' or 'oz'"),
        ({"default_package": {"weight": 1}}, "default_package: Value error, knows only weight_kg"),
        ({"default_package": {"weight_kg": 0}}, "greater than 0"),
        ({"certifications": {"7000001": "ftp://x/y.png"}}, "is not an http(s) URL"),
        (
            {"tiktok_handover_method": "drone"},
            "tiktok_handover_method: Input should be 'DROP_OFF' or 'PICKUP'",
        ),
        ({"tiktok_shipping_provider_id": "DHL"}, "tiktok_shipping_provider_id: String should match pattern"),
        ({"nfe_issuer_cnpj": "123"}, "nfe_issuer_cnpj: Value error, must be a CNPJ"),
        ({"order_max_attempts": 0}, "order_max_attempts: Input should be greater than or equal to 1 (got 0)"),
        ({"sandbox_client_id": "Loja Sandbox"}, "sandbox_client_id: String should match pattern"),
    ],
)
def test_an_unknown_name_or_a_value_out_of_range_is_refused_naming_it(options, message):
    with pytest.raises(ClientOptionsError) as caught:
        check_options(options)
    assert message.replace("Value error, ", "") in str(caught.value)


def test_values_read_are_validated_and_unset_ones_are_the_declared_defaults():
    options = {
        "currency": "brl",
        "tiktok_handover_method": "pickup",
        "tiktok_shipping_provider_id": 6617675021119438849,
        "certifications": {"7000001": "https://x/a.png"},
        "default_package": {"weight_kg": 0.5},
    }
    check_options(options)
    assert option_value(options, "currency") == "BRL"
    assert option_value(options, "tiktok_handover_method") == "PICKUP"
    assert option_value(options, "tiktok_shipping_provider_id") == "6617675021119438849"
    assert option_value(options, "certifications") == {"7000001": ["https://x/a.png"]}
    assert option_value(options, "default_package") == {"weight_kg": Decimal("0.5")}
    assert option_value(options, "feed_max_rejected_share") == 0.2
    assert option_value(options, "warehouse_map") is None
    with pytest.raises(ClientOptionsError, match="unknown option 'colour'"):
        option_value(options, "colour")
