"""What the emulators' records (dataclasses) answer with: their fields under the names the wire gives them."""

from __future__ import annotations

from typing import Any


def field_view(record: Any, *names: str, **wire_names: str) -> dict[str, Any]:
    """The fields `names` of `record`, each under its own name, then each field `wire_names` maps a wire
    name to (`shop_name="name"`); list and tuple values are copied as lists, so the view does not
    change with the record."""
    view = {name: getattr(record, name) for name in names}
    view |= {wire: getattr(record, name) for wire, name in wire_names.items()}
    return {k: list(v) if isinstance(v, list | tuple) else v for k, v in view.items()}
