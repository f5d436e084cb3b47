"""Authorization of a client's shop: the consent link, the code exchange, token renewal, and the shops an authorization covers. Token persistence is the caller's (a `TokenVault` handed in), so a channel never touches the state DB."""

from __future__ import annotations

from abc import ABC


class AuthApi(ABC):  # noqa: B024
    """Authorization of a client's shop: the consent link, the code exchange, token renewal, and the shops an authorization covers. Token persistence is the caller's (a `TokenVault` handed in), so a channel never touches the state DB."""
