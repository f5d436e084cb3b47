"""Columns built from numpy arrays: money in cents, UTC timestamps, ids, codes picked from a list, and a
table of a lake schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tiktok_pipelines.core.tables import MONEY, UTC_TS


def money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """DECIMAL(14,2) from integer cents, built from the 128-bit words directly (exact and fast)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    array = pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])
    if mask is not None:
        array = pc.if_else(pa.array(mask), pa.nulls(len(cents), MONEY), array)
    return array


def timestamps(micros: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(micros, dtype=np.int64), type=pa.int64(), mask=mask).cast(UTC_TS)


def ids(base: int, index: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(base + np.asarray(index, dtype=np.int64)), pa.string())


def pick(values: tuple | list, codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """values[codes] as a string array (NULL where `mask`)."""
    taken = pc.take(pa.array(list(values), type=pa.string()), pa.array(np.asarray(codes, dtype=np.int64)))
    if mask is not None:
        taken = pc.if_else(pa.array(mask), pa.nulls(len(taken), pa.string()), taken)
    return taken


def build_table(schema: pa.Schema, columns: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    n = len(next(iter(columns.values())))
    arrays = []
    for f in schema:
        value = columns.get(f.name)
        if value is None:
            arrays.append(pa.nulls(n, f.type))
        elif isinstance(value, pa.Array | pa.ChunkedArray):
            arrays.append(value.cast(f.type))
        else:
            arrays.append(pa.array(value, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
