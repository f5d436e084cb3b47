"""The base of the emulators' refusals (`ApiError` of each): a dataclass of the fields the platform's error
carries, raised where the refusal is found and answered in the platform's envelope by the app."""

from __future__ import annotations


class Refusal(Exception):
    """A subclass is declared `@dataclass(eq=False)` (compared and hashed as an exception is) with the
    fields of its platform's error, among them `message`, the exception's text."""

    message: str

    def __post_init__(self) -> None:
        super().__init__(self.message)
