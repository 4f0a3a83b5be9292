"""What every ARI route shares: parameters the Asterisk way, answers, and the lookups that fail alike.

ARI takes each parameter from the query string or, for a JSON body, from the body's top-level keys
(the body wins, as the generated ``*_parse_body`` functions do); lists are comma-separated or
repeated; integers are parsed with ``atoi`` leniency and booleans with ``ast_true``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from acd.sim.errors import SimRestError
from acd.sim.events import JsonObj, encode
from acd.sim.model import Bridge, Channel
from acd.sim.pbx import Pbx

PBX_KEY = web.AppKey("acd_sim_pbx", Pbx)
# Asterisk's websocket_write_timeout in seconds (infinite: never cut a slow consumer off).
WRITE_TIMEOUT_KEY = web.AppKey("acd_sim_ws_write_timeout", float)
_TRUE = {"yes", "true", "y", "t", "1", "on"}


class Params:
    """The parameters of one ARI request."""

    def __init__(self, query: dict[str, list[str]], body: dict[str, Any]) -> None:
        self._query = query
        self._body = body

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        body: dict[str, Any] = {}
        if request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except ValueError as exc:
                    raise SimRestError.message(400, "Failed to parse body") from exc
                if isinstance(parsed, dict):
                    body = parsed
        return cls(query, body)

    def get(self, name: str, default: str = "") -> str:
        if name in self._body:
            value = self._body[name]
            return value if isinstance(value, str) else json.dumps(value)
        values = self._query.get(name)
        return values[-1] if values else default

    def get_list(self, name: str) -> list[str]:
        raw: list[str] = []
        if name in self._body:
            value = self._body[name]
            raw = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        else:
            raw = self._query.get(name, [])
        return [item.strip() for chunk in raw for item in chunk.split(",") if item.strip()]

    def get_int(self, name: str, default: int = 0) -> int:
        text = self.get(name)
        if not text:
            return default
        digits = ""
        for index, char in enumerate(text.strip()):
            if char.isdigit() or (index == 0 and char in "+-"):
                digits += char
            else:
                break
        try:
            return int(digits)
        except ValueError:
            return 0

    def get_bool(self, name: str, default: bool = False) -> bool:
        text = self.get(name)
        return text.lower() in _TRUE if text else default

    def variables(self) -> dict[str, str]:
        """The ``variables`` object of a JSON body; only string values are allowed."""
        value = self._body.get("variables")
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise SimRestError.message(400, "Only string values in the 'variables' object allowed")
        return {str(k): v for k, v in value.items()}


def ok(obj: Any, status: int = 200) -> web.Response:
    return web.Response(text=encode(obj), status=status, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


def err(status: int, body: JsonObj) -> web.Response:
    return ok(body, status)


def pbx_of(request: web.Request) -> Pbx:
    return request.app[PBX_KEY]


def channel_any(pbx: Pbx, channel_id: str, message: str = "Channel not found") -> Channel:
    """A live channel whatever it is doing (GET, DELETE): 404 otherwise."""
    ch = pbx.find(channel_id)
    if ch is None:
        raise SimRestError.message(404, message)
    return ch


def channel_in_stasis(pbx: Pbx, channel_id: str) -> Channel:
    """resource_channels.c find_control(): 404 when gone, 409 when not in a Stasis app."""
    ch = channel_any(pbx, channel_id)
    if ch.app is None:
        raise SimRestError.message(409, "Channel not in Stasis application")
    return ch


def check_state(ch: Channel) -> None:
    """channel_state_invalid(): a Down or Ringing (unanswered outgoing) channel answers 412."""
    if ch.state in ("Down", "Rsrvd", "Ringing"):
        raise SimRestError.message(412, "Channel in invalid state")


def bridge_of(pbx: Pbx, bridge_id: str) -> Bridge:
    br = pbx.bridges.get(bridge_id)
    if br is None:
        raise SimRestError.message(404, "Bridge not found")
    return br


def channels_for_bridge(pbx: Pbx, ids: list[str]) -> list[Channel]:
    """resource_bridges.c control_list_create(): 400 gone, 422 not in Stasis (rule in the brief)."""
    if not ids:
        raise SimRestError.message(400, "Missing parameter channel")
    found: list[Channel] = []
    for cid in ids:
        ch = pbx.find(cid)
        if ch is None:
            raise SimRestError.message(400, "Channel not found")
        if ch.app is None:
            raise SimRestError.message(422, "Channel not in Stasis application")
        found.append(ch)
    return found
