"""``/_sim/``: the JSON control API of the standalone simulator and of the demo's browser page.

It does over HTTP what :class:`~acd.sim.simulator.PbxSimulator` does in-process: list the legs
ringing on a phone, answer / refuse / hang up a leg, press keys, put a call on hold, place a call,
start and stop traffic, drop the event socket, restart Asterisk, and report status. Answers are
``{"error": ...}`` with 400/404/409 on bad requests. With ``open_control`` the API needs no
credentials and allows cross-origin calls (the demo page lives on another port).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from acd.sim.actors import PhoneBehaviour
from acd.sim.events import encode
from acd.sim.model import Channel, Endpoint
from acd.sim.traffic import TrafficProfile

if TYPE_CHECKING:
    from acd.sim.simulator import PbxSimulator

Handler = Callable[[web.Request], Awaitable[web.Response]]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(text=encode(obj), status=status, content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, "body is not JSON") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "body must be a JSON object")
    return data


def _leg(ch: Channel) -> dict[str, Any]:
    return {
        "channel_id": ch.id,
        "name": ch.name,
        "kind": ch.kind.value,
        "state": ch.state,
        "ringing": ch.dialing,
        "app": ch.app,
        "bridge_id": None if ch.bridge is None else ch.bridge.id,
        "caller": {"name": ch.caller.name, "number": ch.caller.number},
        "connected": {"name": ch.connected.name, "number": ch.connected.number},
    }


def _endpoint(ep: Endpoint) -> dict[str, Any]:
    return {
        "name": ep.key,
        "registered": ep.registered,
        "qualify": ep.qualify,
        "state": ep.state,
        "device_state": ep.current_device_state(),
        "behaviour": ep.behaviour.to_json(),
        "channels": [_leg(c) for c in ep.channels.values()],
    }


def control_routes(sim: PbxSimulator) -> list[web.RouteDef]:
    """The ``/_sim/`` routes bound to ``sim``."""

    def route(method: str, path: str, fn: Handler) -> web.RouteDef:
        async def handler(request: web.Request) -> web.Response:
            try:
                response = await fn(request)
            except ControlError as exc:
                response = _json({"error": str(exc)}, exc.status)
            except KeyError as exc:
                response = _json({"error": str(exc)}, 404)
            except (ValueError, TypeError) as exc:
                response = _json({"error": str(exc)}, 400)
            except RuntimeError as exc:  # SimulatorDown: Asterisk is restarting
                response = _json({"error": str(exc)}, 503)
            if sim.open_control:
                response.headers["Access-Control-Allow-Origin"] = "*"
            return response

        return web.route(method, f"/_sim{path}", handler)

    def channel(request: web.Request) -> Channel:
        ch = sim.pbx.find(request.match_info["channel_id"])
        if ch is None:
            raise ControlError(404, "no such channel")
        return ch

    def endpoint_name(request: web.Request) -> str:
        return f"{request.match_info['tech']}/{request.match_info['resource']}"

    async def status(request: web.Request) -> web.Response:
        return _json(
            {
                "app": sim.app,
                "connected": sim.router.is_active(sim.app),
                "down": sim.down,
                "channels": len(sim.channels),
                "bridges": len(sim.bridges),
                "stats": sim.stats.as_dict(),
                "traffic": sim.traffic.status(),
                "events_sent": sim.router.sent,
                "cpu_seconds": time.process_time(),
            }
        )

    async def endpoints(request: web.Request) -> web.Response:
        return _json([_endpoint(ep) for ep in sim.pbx.endpoints.values()])

    async def put_endpoint(request: web.Request) -> web.Response:
        data = await _body(request)
        name = endpoint_name(request)
        behaviour = PhoneBehaviour.from_json(data["behaviour"]) if "behaviour" in data else None
        if name not in sim.pbx.endpoints:
            sim.add_endpoint(
                name,
                registered=bool(data.get("registered", True)),
                qualify=bool(data.get("qualify", True)),
                behaviour=behaviour,
            )
        else:
            if behaviour is not None:
                sim.set_behaviour(name, behaviour)
            if "qualify" in data:
                sim.endpoint(name).qualify = bool(data["qualify"])
            if "registered" in data:
                sim.set_registered(name, bool(data["registered"]))
        return _json(_endpoint(sim.endpoint(name)))

    async def ringing(request: web.Request) -> web.Response:
        return _json([_leg(c) for c in sim.ringing_legs(endpoint_name(request))])

    async def dial_out(request: web.Request) -> web.Response:
        number = str((await _body(request)).get("number", ""))
        if not number:
            raise ControlError(400, "number is required")
        return _json({"channel_id": sim.phone_dial(endpoint_name(request), number)}, 201)

    async def channels(request: web.Request) -> web.Response:
        return _json([_leg(c) for c in sim.channels.values()])

    async def answer(request: web.Request) -> web.Response:
        if not await sim.answer(channel(request).id):
            raise ControlError(409, "the leg is not ringing")
        return _json({"ok": True})

    async def reject(request: web.Request) -> web.Response:
        cause = int((await _body(request)).get("cause", 17))
        if not await sim.reject(channel(request).id, cause):
            raise ControlError(409, "the leg is not ringing")
        return _json({"ok": True})

    async def hangup(request: web.Request) -> web.Response:
        cause = int((await _body(request)).get("cause", 16))
        await sim.hangup(channel(request).id, cause)
        return _json({"ok": True})

    async def dtmf(request: web.Request) -> web.Response:
        data = await _body(request)
        digits = str(data.get("digits", ""))
        if not digits or any(d not in "0123456789*#ABCD" for d in digits):
            raise ControlError(400, "digits must be DTMF characters")
        sim.send_dtmf(channel(request).id, digits, int(data.get("duration_ms", 100)))
        return _json({"ok": True})

    async def hold(request: web.Request) -> web.Response:
        sim.phone_hold(channel(request).id, bool((await _body(request)).get("on", True)))
        return _json({"ok": True})

    async def place(request: web.Request) -> web.Response:
        data = await _body(request)

        def seconds(key: str) -> float | None:
            return None if data.get(key) is None else float(data[key])

        channel_id = await sim.place_call(
            queue=str(data.get("queue", "support")),
            number=str(data.get("number", "+15550001")),
            name=str(data.get("name", "Caller")),
            patience=seconds("patience"),
            talk_time=seconds("talk_time"),
            hangup_after=seconds("hangup_after"),
            dtmf=[(float(t), str(d)) for t, d in data.get("dtmf", [])],
        )
        return _json({"channel_id": channel_id}, 201)

    async def traffic_start(request: web.Request) -> web.Response:
        data = await _body(request)
        if sim.traffic.running:
            raise ControlError(409, "traffic is already running")
        sim.traffic.start(TrafficProfile.from_json(data), int(data.get("seed", 0)))
        return _json(sim.traffic.status())

    async def traffic_stop(request: web.Request) -> web.Response:
        await sim.traffic.stop()
        return _json(sim.traffic.status())

    async def traffic(request: web.Request) -> web.Response:
        return _json(sim.traffic.status())

    async def drop(request: web.Request) -> web.Response:
        code = int((await _body(request)).get("code", 1006))
        return _json({"closed": await sim.drop_websocket(code)})

    async def restart(request: web.Request) -> web.Response:
        down_for = float((await _body(request)).get("down_for", 0.5))
        sim.spawn(sim.restart_asterisk(down_for))
        return _json({"restarting": True}, 202)

    async def leaks(request: web.Request) -> web.Response:
        return _json({"leaks": sim.leaks()})

    async def preflight(request: web.Request) -> web.Response:
        response = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        return response

    ep_path = "/endpoints/{tech}/{resource}"
    ch_path = "/channels/{channel_id}"
    return [
        route("GET", "/status", status),
        route("GET", "/endpoints", endpoints),
        route("PUT", ep_path, put_endpoint),
        route("POST", ep_path, put_endpoint),
        route("GET", ep_path + "/ringing", ringing),
        route("POST", ep_path + "/dial", dial_out),
        route("GET", "/channels", channels),
        route("POST", ch_path + "/answer", answer),
        route("POST", ch_path + "/reject", reject),
        route("POST", ch_path + "/hangup", hangup),
        route("POST", ch_path + "/dtmf", dtmf),
        route("POST", ch_path + "/hold", hold),
        route("POST", "/calls", place),
        route("GET", "/traffic", traffic),
        route("POST", "/traffic/start", traffic_start),
        route("POST", "/traffic/stop", traffic_stop),
        route("POST", "/websocket/drop", drop),
        route("POST", "/restart", restart),
        route("GET", "/leaks", leaks),
        route("OPTIONS", "/{tail:.*}", preflight),
    ]
