"""A small browser (cookies, CSRF header, same-origin by default) and an SSE reader for web tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

PASSWORD = "correct horse battery"


@dataclass
class Answer:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.body!r})"


class Browser:
    """One browser profile: its cookie jar and the CSRF token the last login answered."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(base_url=base_url, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        sent = {"Sec-Fetch-Site": "same-origin"}
        if self.csrf:
            sent["X-CSRF-Token"] = self.csrf
        sent.update(headers or {})
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with self.http.request(method, path, headers=sent, **kwargs) as resp:
            if resp.content_type == "application/json":
                data: Any = await resp.json()
            else:
                data = await resp.text()
            return Answer(resp.status, data, resp.headers)

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return await self.request("POST", path, body, **kwargs)

    async def login(self, agent_id: str, password: str = PASSWORD, **kwargs: Any) -> Answer:
        answer = await self.post("/api/login", {"agent_id": agent_id, "password": password}, **kwargs)
        if answer.status == 200:
            self.csrf = answer.body["csrf_token"]
        return answer

    def cookie(self, name: str = "acd_session") -> str | None:
        morsel = self.http.cookie_jar.filter_cookies(URL(self.base_url)).get(name)
        return morsel.value if morsel is not None else None

    def set_cookie(self, value: str, name: str = "acd_session") -> None:
        self.http.cookie_jar.update_cookies({name: value}, URL(self.base_url))

    async def events(self, last_event_id: str | None = None) -> EventStream:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        resp = await self.http.get("/api/events", headers=headers, timeout=aiohttp.ClientTimeout(total=None))
        return EventStream(resp)

    async def close(self) -> None:
        await self.http.close()


@dataclass
class Event:
    kind: str
    data: Any
    id: str | None = None
    raw: str = ""


@dataclass
class EventStream:
    resp: aiohttp.ClientResponse
    comments: list[str] = field(default_factory=list)

    async def next(self, within: float = 3.0) -> Event:
        """The next message (comments are collected in ``comments``, not returned)."""
        return await asyncio.wait_for(self._read(), within)

    async def _read(self) -> Event:
        fields: dict[str, str] = {}
        lines: list[str] = []
        while True:
            raw = await self.resp.content.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if line == "":
                if "event" in fields or "data" in fields:
                    data = json.loads(fields["data"]) if "data" in fields else None
                    return Event(fields.get("event", "message"), data, fields.get("id"), "\n".join(lines))
                fields, lines = {}, []
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            lines.append(line)
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value

    async def until(self, kind: str, within: float = 5.0) -> Event:
        """Skip messages until one of ``kind``."""

        async def find() -> Event:
            while True:
                event = await self._read()
                if event.kind == kind:
                    return event

        return await asyncio.wait_for(find(), within)

    async def ended(self, within: float = 3.0) -> bool:
        """True when the server ends the stream within ``within`` seconds."""
        try:
            await asyncio.wait_for(self._drain(), within)
        except TimeoutError:
            return False
        return True

    async def _drain(self) -> None:
        while await self.resp.content.readline():
            pass

    def close(self) -> None:
        self.resp.close()
