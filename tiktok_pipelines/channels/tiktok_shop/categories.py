"""TikTok's category tree as `GET /product/202309/categories` answers it (flat, with parent ids), read
into the channel's neutral nodes with their paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tiktok_pipelines.core.models.categories import CategoryNode


def category_nodes(categories: Iterable[Mapping[str, Any]]) -> list[CategoryNode]:
    """Every category of the answer (the last one of an id repeated), with its path from the top
    ("Roupas Masculinas > Camisetas e Polos > Camisetas"). A category the shop may list in is one whose
    `permission_statuses` (when given) include AVAILABLE."""
    nodes = {str(c["id"]): c for c in categories}

    def path(cid: str) -> str:
        names, seen = [], set()
        while cid in nodes and cid not in seen:
            seen.add(cid)
            names.append(str(nodes[cid].get("local_name") or cid))
            cid = str(nodes[cid].get("parent_id") or "0")
        return " > ".join(reversed(names))

    return [
        CategoryNode(
            category_id=cid,
            parent_id=str(c.get("parent_id") or "0"),
            local_name=str(c.get("local_name") or ""),
            is_leaf=bool(c.get("is_leaf")),
            permitted="AVAILABLE" in (c.get("permission_statuses") or ["AVAILABLE"]),
            path=path(cid),
        )
        for cid, c in nodes.items()
    ]
