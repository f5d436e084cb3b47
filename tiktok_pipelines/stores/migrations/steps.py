"""Operations for the revisions that also run on a database of no version (stamped with the baseline
whatever it held): each looks before it acts, so it does nothing where its change is already there."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def _inspector() -> sa.Inspector:
    return sa.inspect(op.get_bind())


def has_table(name: str) -> bool:
    return _inspector().has_table(name)


def columns(table: str) -> list[str]:
    return [c["name"] for c in _inspector().get_columns(table)]


def indexes(table: str) -> set[str]:
    return {i["name"] for i in _inspector().get_indexes(table) if i.get("name")}


def create_table(name: str, *elements: sa.SchemaItem) -> None:
    if not has_table(name):
        op.create_table(name, *elements)


def create_index(name: str, table: str, names: list[str], **kw) -> None:
    if name not in indexes(table):
        op.create_index(name, table, names, **kw)


def drop_index(name: str, table: str) -> None:
    if name in indexes(table):
        op.drop_index(name, table_name=table)


def add_column(table: str, column: sa.Column) -> None:
    if column.name not in columns(table):
        with op.batch_alter_table(table) as batch:
            batch.add_column(column)


def replace_index(name: str, table: str, names: list[str], **kw) -> None:
    """The index `name` on exactly these columns (dropped first when it is on others, or absent)."""
    found = {i["name"]: i for i in _inspector().get_indexes(table) if i.get("name")}
    if name in found and list(found[name]["column_names"]) == list(names):
        return
    if name in found:
        op.drop_index(name, table_name=table)
    op.create_index(name, table, names, **kw)
