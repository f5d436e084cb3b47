"""What every route of the receiver may use, and the shape of a feature (a factory of routes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute

from tiktok_pipelines.settings import Settings
from tiktok_pipelines.stores.db import StateDB


@dataclass(frozen=True)
class ReceiverContext:
    """What every route of the receiver may use."""

    settings: Settings
    db: StateDB


RouteFactory = Callable[[ReceiverContext], Sequence[BaseRoute]]
