"""Throwaway PostgreSQL and Redis servers for ``acd demo``, from the machine's installed binaries.

Used only when the configured ones are not reachable: a new user should see the whole product with
one command. Both live in a temporary directory, listen on loopback on a free port, and are
stopped (and their data removed) on exit. PostgreSQL refuses to run as root, so as root it runs as
the ``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from acd.logging import get_logger

log = get_logger(__name__)


class ThrowawayError(RuntimeError):
    """A throwaway server could not be started (binaries missing, or it failed): say what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise ThrowawayError(
            f"PostgreSQL's {name} was not found: install PostgreSQL (apt install postgresql) "
            "or point ACD_DATABASE__DSN at a running server"
        )
    return candidates[-1]


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ThrowawayError("running as root without runuser: cannot start PostgreSQL as another user")
    return [runuser, "-u", "postgres", "--", *argv]


async def _run(argv: list[str]) -> None:
    # Output goes to a file, not a pipe: ``pg_ctl start`` leaves a server behind that may hold
    # the pipe open (under uvloop it does), and waiting for the pipe's end would never end.
    with tempfile.TemporaryFile() as output:
        proc = await asyncio.create_subprocess_exec(*argv, stdout=output, stderr=subprocess.STDOUT)
        await proc.wait()
        if proc.returncode != 0:
            output.seek(0)
            out = output.read().decode(errors="replace")[-500:]
            raise ThrowawayError(f"{Path(argv[-1]).name if argv else '?'} failed: {out}")


@contextlib.asynccontextmanager
async def throwaway_postgres() -> AsyncIterator[str]:
    """A PostgreSQL server for the demo; yields its DSN (database ``acd``)."""
    root = Path(tempfile.mkdtemp(prefix="acd-demo-pg-"))
    data = root / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    try:
        await _run(_as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]))
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        await _run(
            _as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"])
        )
        log.info("demo.postgres_started", port=port, dir=str(root))
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/acd"
        finally:
            with contextlib.suppress(ThrowawayError):
                await _run(_as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]))
            log.info("demo.postgres_stopped")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.asynccontextmanager
async def throwaway_redis() -> AsyncIterator[str]:
    """A Redis server for the demo (nothing persisted); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ThrowawayError(
            "redis-server was not found: install it (apt install redis-server) or set ACD_REDIS__URL"
        )
    root = Path(tempfile.mkdtemp(prefix="acd-demo-redis-"))
    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - a child that runs for the whole demo
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            await asyncio.sleep(0.05)
        else:
            raise ThrowawayError("redis-server did not start")
        log.info("demo.redis_started", port=port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)
        log.info("demo.redis_stopped")
