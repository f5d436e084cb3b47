"""Encryption of secrets at rest (Fernet, with key rotation through MultiFernet)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from tiktok_pipelines.settings import ConfigError, Settings

log = logging.getLogger(__name__)


class SecretDecryptionError(RuntimeError):
    """A stored secret cannot be decrypted with the configured keys (wrong or rotated-out key)."""


class SecretBox:
    """Encrypts and decrypts short secrets. The first key encrypts; every key decrypts."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise ConfigError("no encryption key given")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "TIKTOK_PIPELINES_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
                "generate one with `tiktok-pipelines secrets generate-key`"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretDecryptionError(
                "a stored secret cannot be decrypted with TIKTOK_PIPELINES_SECRET_KEY; "
                "was the key changed without keeping the old one for rotation?"
            ) from None

    def decrypt_row(self, row: Any) -> dict[str, Any]:
        """A state DB row's columns by name, each encrypted one (`<name>_enc`) decrypted as `<name>`, a
        `SecretStr` (None where the column is empty)."""
        values = {}
        for column, value in row._mapping.items():
            if column.endswith("_enc"):
                values[column.removesuffix("_enc")] = SecretStr(self.decrypt(value)) if value else None
            else:
                values[column] = value
        return values

    def rotate(self, token: str) -> str:
        """Re-encrypts a token under the first (newest) key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    @classmethod
    def from_key_string(cls, keys: str) -> SecretBox:
        return cls([k for k in keys.split(",") if k.strip()])

    @classmethod
    def from_settings(cls, settings: Settings, create_key: bool = False) -> SecretBox:
        """The configured key(s); in development without them, the data dir's development key, created
        only when `create_key` (`tiktok-pipelines init`, the demo): a command run from the wrong folder
        must not start a new key, and with it a new store its secrets go into."""
        configured = settings.get("TIKTOK_PIPELINES_SECRET_KEY")
        if configured:
            return cls.from_key_string(configured)
        if settings.is_production:
            raise ConfigError(
                "TIKTOK_PIPELINES_SECRET_KEY is not set and TIKTOK_PIPELINES_ENV is production: secrets "
                "cannot be encrypted. Generate a key with `tiktok-pipelines secrets generate-key` and keep "
                "it in your secret manager."
            )
        path = settings.dev_key_path
        if path.exists():
            return cls.from_key_string(path.read_text().strip())
        if not create_key:
            raise ConfigError(
                f"no development key at {path} (data dir: {settings.data_dir_origin()}): run from the "
                "project's folder or set TIKTOK_PIPELINES_DATA_DIR; `tiktok-pipelines init` creates a "
                "new data dir and key; or set TIKTOK_PIPELINES_SECRET_KEY"
            )
        return cls.from_key_string(load_or_create_dev_key(path))


def load_or_create_dev_key(path: Path) -> str:
    """The development key: read from `path`, created (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SecretBox.generate_key()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # atomic and exclusive: a concurrent creator wins, and we read its key
    except FileExistsError:
        return path.read_text().strip()
    finally:
        tmp.unlink()
    log.warning("generated a development encryption key at %s (not for production)", path)
    return key
