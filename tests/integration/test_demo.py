"""``acd demo`` as a new user runs it: calls flow, metrics move, records land, and it stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

import aiohttp
import asyncpg

from acd.throwaway import free_port

PG = "postgresql://postgres@127.0.0.1:5432"


async def _metric(session: aiohttp.ClientSession, url: str, name: str) -> float:
    async with session.get(url) as resp:
        text = await resp.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


async def _run_demo(env: dict[str, str], port: int, checks_db: str | None, stop: int = signal.SIGINT) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "acd",
        "demo",
        "--port",
        str(port),
        "--rate",
        "2",
        "--agents",
        "4",
        "--duration",
        "60",
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{base}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the demo never became ready")
            for _ in range(300):
                if await _metric(session, f"{base}/metrics", "acd_calls_answered_total") >= 2:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("no call was answered in the demo")
            assert await _metric(session, f"{base}/metrics", "acd_calls_offered_total") >= 2
            async with session.get(f"{base}/") as resp:
                assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
            async with session.post(
                f"{base}/api/login", json={"agent_id": "demo", "password": "demo"}, headers={"Origin": base}
            ) as resp:
                assert resp.status == 200, await resp.text()
        if checks_db is not None:
            for _ in range(100):
                conn = await asyncpg.connect(f"{PG}/{checks_db}")
                try:
                    rows = await conn.fetchval(
                        "SELECT count(*) FROM cc_call_events WHERE event_type = 'answered'"
                    )
                finally:
                    await conn.close()
                if rows >= 2:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the demo's records did not land in PostgreSQL")
    finally:
        proc.send_signal(stop)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out.decode()[-2000:]
    assert b"service.stopped" in out
    assert b'"event": "outbox.closed"' in out and b'"backlog": 0' in out  # drained, nothing left behind


async def test_demo_runs_against_the_configured_postgres_and_redis() -> None:
    name = f"acd_t_{uuid.uuid4().hex[:8]}"
    env = {"ACD_DATABASE__DSN": f"{PG}/{name}", "ACD_LOG__FORMAT": "json"}
    try:
        await _run_demo(env, free_port(), checks_db=f"{name}_demo", stop=signal.SIGTERM)
    finally:
        conn = await asyncpg.connect(f"{PG}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}_demo" WITH (FORCE)')
        finally:
            await conn.close()


async def test_demo_starts_throwaway_servers_when_none_is_reachable() -> None:
    closed = free_port()
    env = {
        "ACD_DATABASE__DSN": f"postgresql://postgres@127.0.0.1:{closed}/acd",
        "ACD_REDIS__URL": f"redis://127.0.0.1:{closed}/0",
        "ACD_LOG__FORMAT": "json",
    }
    await _run_demo(env, free_port(), checks_db=None)
