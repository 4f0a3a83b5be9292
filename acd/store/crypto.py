"""Secrets at rest: agents' login passwords (argon2id hashes) and SIP secrets (Fernet ciphertext).

Two different problems, two tools:

- A login password is only ever *checked*, so it is hashed with argon2id (argon2-cffi's defaults,
  which follow RFC 9106's recommendations). Hashing costs ~0.2 s of CPU on purpose, so it runs in
  a worker thread (``asyncio.to_thread``) and never stalls the event loop that routes calls.
  :func:`needs_rehash` tells a login path to upgrade a hash made with older parameters.
- A SIP secret must be *given back* (to Asterisk's PJSIP config and to the agent's browser), so
  it cannot be hashed: it is encrypted with Fernet (AES-128-CBC + HMAC-SHA256, authenticated)
  under ``database.secret_key``. A database dump alone then does not reveal any SIP secret.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken

from acd.config import DatabaseSettings

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SecretBox",
    "SecretKeyError",
    "generate_secret_key",
    "generate_sip_secret",
    "hash_password",
    "needs_rehash",
    "secret_box",
    "verify_password",
]

#: Shortest login password ``acd agent add`` / ``set-password`` accept.
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (argon2-cffi's RFC 9106 "low memory" profile)


class SecretKeyError(RuntimeError):
    """``database.secret_key`` is missing, malformed, or not the key the secrets were made with."""


# ---------------------------------------------------------------- login passwords


async def hash_password(password: str) -> str:
    """The argon2id encoded hash of ``password`` (``$argon2id$v=19$m=...``), off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch, a malformed hash or no hash at all."""
    if not password_hash:
        # Still spend the time of a verification, so a missing account is not faster to probe.
        await asyncio.to_thread(_hasher.hash, password)
        return False
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: re-hash at next login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# ---------------------------------------------------------------- SIP secrets


def generate_secret_key() -> str:
    """A new Fernet key (url-safe base64 of 32 random bytes) for ``ACD_DATABASE__SECRET_KEY``."""
    return Fernet.generate_key().decode("ascii")


def generate_sip_secret() -> str:
    """A random SIP digest secret: 24 url-safe characters (144 bits), nothing to escape in PJSIP."""
    return secrets.token_urlsafe(18)


class SecretBox:
    """Encrypts and decrypts SIP secrets with one Fernet key."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise SecretKeyError(
                "database.secret_key is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with `acd db gen-key`"
            ) from exc

    def encrypt(self, plaintext: str) -> bytes:
        """The Fernet token of ``plaintext`` (ASCII bytes, stored as ``bytea``)."""
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken as exc:
            raise SecretKeyError(
                "cannot decrypt a SIP secret: database.secret_key is not the key it was encrypted with"
            ) from exc


def secret_box(settings: DatabaseSettings) -> SecretBox:
    """The box for ``settings.secret_key``, or a clear error saying how to set one."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value().strip():
        raise SecretKeyError(
            "database.secret_key is not set: it encrypts agents' SIP secrets. Generate one with "
            "`acd db gen-key` and set ACD_DATABASE__SECRET_KEY (keep it out of the repository)"
        )
    return SecretBox(settings.secret_key.get_secret_value().strip())
