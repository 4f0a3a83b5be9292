"""What every admin command shares: the error contract, secrets typed by the operator, output.

A command is ``async def (args, settings) -> int``; :func:`command` turns the expected failures
(refusals by the data, a missing secret key, an unreachable or uninitialised database) into one
line on stderr, ``acd: <what is wrong>``, and exit code 1 (2 for bad input).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from acd.config import Settings
from acd.store import db
from acd.store.agents import InvalidInput, StoreError
from acd.store.crypto import MIN_PASSWORD_LENGTH, SecretKeyError, generate_sip_secret

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def fail(message: str, code: int = 1) -> int:
    print(f"acd: {message}", file=sys.stderr)
    return code


def command(func: Handler) -> Handler:
    """Turn the expected failures into one line on stderr and an exit code."""

    @functools.wraps(func)
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return await func(args, settings)
        except StoreError as exc:
            return fail(exc.message, exc.exit_code)
        except SecretKeyError as exc:
            return fail(str(exc))
        except asyncpg.InvalidCatalogNameError:
            return fail(
                f"database {db.database_name(settings.database.dsn)!r} does not exist: run `acd db init`"
            )
        except asyncpg.UndefinedTableError:
            return fail("the schema is not applied to this database: run `acd db init`")
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, TimeoutError) as exc:
            return fail(f"cannot reach PostgreSQL at {db.redact_dsn(settings.database.dsn)}: {exc}")

    return run


def connection(settings: Settings) -> Any:
    """One connection for one command (the CLI never needs a pool)."""
    return db.connection(settings.database.dsn)


# ---------------------------------------------------------------- secrets from the operator


def read_password(args: argparse.Namespace, who: str) -> str:
    """The login password: from stdin (``--password-stdin``) or asked twice on the terminal."""
    if getattr(args, "password_stdin", False):
        password = _stdin_line("password")
    else:
        if not sys.stdin.isatty():
            raise InvalidInput("no terminal to ask the password on: pipe it with --password-stdin")
        password = getpass.getpass(f"Password for {who}: ")
        if getpass.getpass("Again: ") != password:
            raise InvalidInput("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def read_sip_secret(args: argparse.Namespace) -> tuple[str, bool]:
    """The SIP secret and whether it was generated."""
    if getattr(args, "sip_password_stdin", False):
        secret = _stdin_line("SIP password")
        if len(secret) < 12:
            raise InvalidInput("a SIP password must have at least 12 characters")
        return secret, False
    return generate_sip_secret(), True


def _stdin_line(what: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise InvalidInput(f"no {what} on stdin")
    return line.rstrip("\r\n")


def print_table(header: list[str], rows: list[list[Any]]) -> None:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner can read (it holds SIP secrets)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
