"""The ARI REST pool over TLS (Asterisk's https port, 8089): verified, and reused like plain HTTP."""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path
from typing import cast

import pytest
from aiohttp import web

from acd.ari.http import HttpPool
from tests.certs import self_signed


async def test_requests_over_tls_are_verified_and_share_one_connection(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    async def info(request: web.Request) -> web.Response:
        return web.json_response({"system": {"version": "22.6.0"}})

    app = web.Application()
    app.router.add_get("/ari/asterisk/info", info)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    port = cast(asyncio.Server, site._server).sockets[0].getsockname()[1]
    trusting = HttpPool(f"https://127.0.0.1:{port}", ssl_context=ssl.create_default_context(cafile=str(cert)))
    default = HttpPool(f"https://127.0.0.1:{port}")  # the system's CAs: our certificate is unknown
    try:
        for _ in range(3):
            status, _, body = await trusting.request("GET", "/ari/asterisk/info", timeout=5)
            assert status == 200 and json.loads(body) == {"system": {"version": "22.6.0"}}
        assert trusting.connections_made == 1
        with pytest.raises(ssl.SSLCertVerificationError):
            await default.request("GET", "/ari/asterisk/info", timeout=5)
    finally:
        await trusting.close()
        await default.close()
        await runner.cleanup()
