"""Fulfilment: packages, the NF-e uploaded for a package, shipping a package and its tracking."""

from __future__ import annotations

from abc import ABC


class FulfilmentApi(ABC):  # noqa: B024
    """Fulfilment: packages, the NF-e uploaded for a package, shipping a package and its tracking."""
