"""What a handler of the API receives (`Call`: the emulator, the token, its creator, the query and JSON
body, with the readings of `fields` and integer parameters the endpoints share), and how an endpoint is
declared (`Endpoint`: method, path, handler, the scopes it needs, a per-token limit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tiktok_pipelines.sandbox.tiktok_creator.errors import invalid_params
from tiktok_pipelines.sandbox.tiktok_creator.simulation import SimulatedCreator
from tiktok_pipelines.sandbox.tiktok_creator.state import Token

if TYPE_CHECKING:
    from tiktok_pipelines.sandbox.tiktok_creator.emulator import TikTokCreatorEmulator

MAX_COUNT = 20


@dataclass
class Call:
    """What a Display API handler receives: the emulator, the token's authorization, the query and body."""

    emulator: TikTokCreatorEmulator
    token: Token
    creator: SimulatedCreator  # whose token it is
    query: dict[str, str]
    body: dict[str, Any]

    def fields(self, known: tuple[str, ...]) -> list[str]:
        raw = self.query.get("fields")
        if not raw:
            raise invalid_params("fields is required")
        fields = [f.strip() for f in raw.split(",") if f.strip()]
        unknown = [f for f in fields if f not in known]
        if unknown or not fields:
            raise invalid_params(f"Invalid fields: {','.join(unknown)}")
        return fields

    def int_param(self, name: str, low: int, high: int | None = None) -> int | None:
        value = self.body.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_params(f"{name} must be an integer")
        if value < low or (high is not None and value > high):
            raise invalid_params(
                f"{name} must be between {low} and {high}" if high else f"{name} must be ≥ {low}"
            )
        return value


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Any
    scopes: tuple[str, ...] = ()  # beyond a valid token, one of these scopes (none: any token)
    per_token_limit: int | None = None  # calls a window per access token, beside the endpoint's limit

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"
