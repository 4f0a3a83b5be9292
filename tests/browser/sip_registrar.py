"""A tiny SIP registrar over WebSocket (RFC 7118), enough to check the page's WebRTC phone:
it challenges REGISTER with a digest (RFC 2617, qop=auth), checks the answer against the
account's password, and accepts, or refuses everything with 403 while ``refuse`` is set."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

REALM = "acd-test"
NONCE = "5f1e8c0a9d2b"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest is MD5 by definition


def parse(message: str) -> tuple[str, dict[str, list[str]]]:
    head = message.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], headers


def digest_params(value: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', value)}


@dataclass
class Registrar:
    username: str
    password: str
    refuse: bool = False
    registered: list[str] = field(default_factory=list)  # the address of record (To) of each REGISTER
    unregistered: int = 0
    runner: web.AppRunner | None = None
    port: int = 0

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._socket)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def _authorized(self, headers: dict[str, list[str]]) -> bool:
        for value in headers.get("authorization", []):
            p = digest_params(value.removeprefix("Digest").strip())
            if p.get("username") != self.username or p.get("realm") != REALM:
                continue
            ha1 = md5(f"{self.username}:{REALM}:{self.password}")
            ha2 = md5(f"REGISTER:{p.get('uri', '')}")
            expected = md5(f"{ha1}:{NONCE}:{p.get('nc')}:{p.get('cnonce')}:{p.get('qop')}:{ha2}")
            if p.get("response") == expected:
                return True
        return False

    def _answer(self, request: dict[str, list[str]], status: str, extra: list[str]) -> str:
        lines = [f"SIP/2.0 {status}"]
        lines += [f"Via: {v}" for v in request.get("via", [])]
        lines.append(f"From: {request['from'][0]}")
        to = request["to"][0]
        lines.append(f"To: {to}" if ";tag=" in to else f"To: {to};tag=reg1")
        lines.append(f"Call-ID: {request['call-id'][0]}")
        lines.append(f"CSeq: {request['cseq'][0]}")
        lines += extra
        lines.append("Content-Length: 0")
        return "\r\n".join(lines) + "\r\n\r\n"

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("sip",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            start, headers = parse(msg.data)
            if not start.startswith("REGISTER "):
                continue
            if self.refuse:
                await ws.send_str(self._answer(headers, "403 Forbidden", []))
            elif not self._authorized(headers):
                challenge = (
                    f'WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}", algorithm=MD5, qop="auth"'
                )
                await ws.send_str(self._answer(headers, "401 Unauthorized", [challenge]))
            else:
                contact = headers.get("contact", [""])[0]
                expires = headers.get("expires", ["300"])[0]
                if expires == "0" or "expires=0" in contact:
                    self.unregistered += 1
                    await ws.send_str(self._answer(headers, "200 OK", []))
                else:
                    self.registered.append(headers["to"][0])
                    base = contact.split(";expires=")[0]
                    await ws.send_str(self._answer(headers, "200 OK", [f"Contact: {base};expires=300"]))
        return ws
