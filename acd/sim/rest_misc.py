"""``/ari/asterisk``, ``/ari/endpoints``, ``/ari/deviceStates``, ``/ari/applications``, ``/ari/playbacks``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from acd.sim.errors import SimRestError
from acd.sim.events import device_state_changed, endpoint_json, playback_json
from acd.sim.model import stamp
from acd.sim.pbx import Pbx
from acd.sim.rest_common import Params, no_content, ok, pbx_of

routes = web.RouteTableDef()
_DEVICE_STATES = {
    "UNKNOWN",
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
}
_PLAYBACK_OPERATIONS = {"restart", "pause", "unpause", "reverse", "forward"}


# --- asterisk ---------------------------------------------------------------------------------


def _info(pbx: Pbx) -> dict[str, Any]:
    started = stamp(pbx.startup)
    return {
        "build": {
            "date": "2026-11-23 23:52:37 UTC",
            "kernel": "6.1.0-sim",
            "machine": "x86_64",
            "options": "OPTIONAL_API",
            "os": "Linux",
            "user": "root",
        },
        "config": {
            "default_language": "en",
            "max_channels": 5000,
            "name": "",
            "setid": {"group": "", "user": ""},
        },
        "status": {"last_reload_time": started, "startup_time": started},
        "system": {"entity_id": pbx.config.asterisk_id, "version": pbx.config.version},
    }


@routes.get("/ari/asterisk/info")
async def asterisk_info(request: web.Request) -> web.Response:
    info = _info(pbx_of(request))
    only = (await Params.read(request)).get_list("only")
    for section in only:
        if section not in info:
            raise SimRestError.message(400, f"Unrecognized info section '{section}'")
    return ok({k: v for k, v in info.items() if not only or k in only})


@routes.get("/ari/asterisk/ping")
async def ping(request: web.Request) -> web.Response:
    return ok({"asterisk_id": pbx_of(request).config.asterisk_id, "ping": "pong", "timestamp": stamp()})


# --- endpoints ----------------------------------------------------------------------------------


@routes.get("/ari/endpoints")
async def list_endpoints(request: web.Request) -> web.Response:
    return ok([endpoint_json(ep) for ep in pbx_of(request).endpoints.values()])


@routes.get("/ari/endpoints/{tech}")
async def list_by_tech(request: web.Request) -> web.Response:
    tech = request.match_info["tech"]
    found = [ep for ep in pbx_of(request).endpoints.values() if ep.tech.lower() == tech.lower()]
    if not found and tech.upper() not in ("PJSIP", "LOCAL"):
        raise SimRestError.message(404, f"No Endpoints found - invalid tech {tech}")
    return ok([endpoint_json(ep) for ep in found])


@routes.get("/ari/endpoints/{tech}/{resource}")
async def get_endpoint(request: web.Request) -> web.Response:
    ep = pbx_of(request).endpoints.get(f"{request.match_info['tech']}/{request.match_info['resource']}")
    if ep is None:
        raise SimRestError.message(404, "Endpoint not found")
    return ok(endpoint_json(ep))


# --- device states ------------------------------------------------------------------------------


def _device_state(pbx: Pbx, name: str) -> str:
    if name in pbx.device_states:
        return pbx.device_states[name]
    ep = pbx.endpoints.get(name)
    return ep.current_device_state() if ep is not None else "UNKNOWN"


@routes.get("/ari/deviceStates")
async def list_device_states(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    return ok([{"name": name, "state": state} for name, state in pbx.device_states.items()])


@routes.get("/ari/deviceStates/{deviceName}")
async def get_device_state(request: web.Request) -> web.Response:
    name = request.match_info["deviceName"]
    return ok({"name": name, "state": _device_state(pbx_of(request), name)})


@routes.put("/ari/deviceStates/{deviceName}")
async def update_device_state(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    name = request.match_info["deviceName"]
    if not name.startswith("Stasis:"):
        raise SimRestError.message(409, "Uncontrolled device specified")
    state = (await Params.read(request)).get("deviceState").upper()
    if state not in _DEVICE_STATES:
        raise SimRestError.message(400, "Invalid device state")
    if pbx.device_states.get(name) != state:
        pbx.device_states[name] = state
        pbx.router.publish(device_state_changed(name, state, stamp()), device=name)
    return no_content()


@routes.delete("/ari/deviceStates/{deviceName}")
async def delete_device_state(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    name = request.match_info["deviceName"]
    if not name.startswith("Stasis:"):
        raise SimRestError.message(409, "Uncontrolled device specified")
    if pbx.device_states.pop(name, None) is None:
        raise SimRestError.message(404, "Device name is missing")
    return no_content()


# --- applications -------------------------------------------------------------------------------


@routes.get("/ari/applications")
async def list_applications(request: web.Request) -> web.Response:
    router = pbx_of(request).router
    return ok([router.application_json(name) for name in router.apps])


@routes.get("/ari/applications/{applicationName}")
async def get_application(request: web.Request) -> web.Response:
    router = pbx_of(request).router
    name = request.match_info["applicationName"]
    if name not in router.apps:
        raise SimRestError.message(404, "Application not found")
    return ok(router.application_json(name))


async def _subscription(request: web.Request, subscribe: bool) -> web.Response:
    pbx = pbx_of(request)
    sources = (await Params.read(request)).get_list("eventSource")
    if not sources:
        raise SimRestError.message(400, "Missing parameter eventSource")
    name = request.match_info["applicationName"]
    if name not in pbx.router.apps:
        raise SimRestError.message(404, "Application not found")
    app = pbx.router.app(name)
    for source in sources:
        scheme, _, ident = source.partition(":")
        if scheme == "channel":
            exists, subscribed = ident in pbx.channels, ident in app.channels
        elif scheme == "bridge":
            exists, subscribed = ident in pbx.bridges, ident in app.bridges
        elif scheme == "endpoint":
            tech = ident.split("/", 1)[0]
            exists = ident in pbx.endpoints or any(ep.tech == ident for ep in pbx.endpoints.values())
            exists = exists and bool(tech)
            subscribed = ident in app.endpoints
        elif scheme == "deviceState":
            exists, subscribed = bool(ident), ident in app.devices
        else:
            raise SimRestError.message(400, "Invalid event source URI scheme")
        if subscribe and not exists:
            raise SimRestError.message(422, "Event source does not exist")
        if not subscribe and not subscribed:
            raise SimRestError.message(422, "Event source was not subscribed to")
        _apply(pbx, name, scheme, ident, subscribe)
    return ok(pbx.router.application_json(name))


def _apply(pbx: Pbx, app_name: str, scheme: str, ident: str, subscribe: bool) -> None:
    router = pbx.router
    app = router.app(app_name)
    if scheme == "channel":
        (router.subscribe_channel if subscribe else router.unsubscribe_channel)(app_name, ident)
    elif scheme == "bridge":
        (router.subscribe_bridge if subscribe else router.unsubscribe_bridge)(app_name, ident)
    elif scheme == "endpoint":
        (app.endpoints.add if subscribe else app.endpoints.discard)(ident)
    else:
        (app.devices.add if subscribe else app.devices.discard)(ident)
        ep = pbx.endpoints.get(ident)
        if ep is not None:  # changes are reported from now on, relative to the present state
            ep.device_state = ep.current_device_state()


def _filter_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("type"), str) for v in value
    ):
        raise SimRestError.message(400, "Invalid filter")
    return [str(v["type"]) for v in value]


@routes.put("/ari/applications/{applicationName}/eventFilter")
async def event_filter(request: web.Request) -> web.Response:
    """Asterisk's semantics (applications.json): an empty body clears both lists; a list that is
    given replaces that list only; disallowed wins over allowed."""
    router = pbx_of(request).router
    name = request.match_info["applicationName"]
    if name not in router.apps:
        raise SimRestError.message(404, "Application not found")
    raw = await request.read()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise SimRestError.message(400, "Failed to parse body") from exc
    if not isinstance(body, dict):
        raise SimRestError.message(400, "Invalid filter")
    app = router.app(name)
    if not body:
        app.allowed, app.disallowed = [], []
    if "allowed" in body:
        app.allowed = _filter_types(body["allowed"])
    if "disallowed" in body:
        app.disallowed = _filter_types(body["disallowed"])
    return ok(router.application_json(name))


@routes.post("/ari/applications/{applicationName}/subscription")
async def subscribe(request: web.Request) -> web.Response:
    return await _subscription(request, True)


@routes.delete("/ari/applications/{applicationName}/subscription")
async def unsubscribe(request: web.Request) -> web.Response:
    return await _subscription(request, False)


# --- playbacks ----------------------------------------------------------------------------------


@routes.get("/ari/playbacks/{playbackId}")
async def get_playback(request: web.Request) -> web.Response:
    pb = pbx_of(request).media.playbacks.get(request.match_info["playbackId"])
    if pb is None:
        raise SimRestError.message(404, "Playback not found")
    return ok(playback_json(pb))


@routes.delete("/ari/playbacks/{playbackId}")
async def stop_playback(request: web.Request) -> web.Response:
    media = pbx_of(request).media
    pb = media.playbacks.get(request.match_info["playbackId"])
    if pb is None:
        raise SimRestError.message(404, "Playback not found")
    media.finish(pb, "done" if pb.state == "playing" else "canceled")
    return no_content()


@routes.post("/ari/playbacks/{playbackId}/control")
async def control_playback(request: web.Request) -> web.Response:
    pb = pbx_of(request).media.playbacks.get(request.match_info["playbackId"])
    if pb is None:
        raise SimRestError.message(404, "Playback not found")
    operation = (await Params.read(request)).get("operation")
    if operation not in _PLAYBACK_OPERATIONS:
        raise SimRestError.message(400, "Invalid operation parameter")
    if operation in ("pause", "unpause"):
        pb.state = "paused" if operation == "pause" else "playing"
    return no_content()
