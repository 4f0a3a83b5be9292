"""``/ari/bridges``: create, list, destroy, add/remove channels, MOH, play (resource_bridges.c)."""

from __future__ import annotations

from aiohttp import web

from acd.sim.bridging import BridgeTypeError
from acd.sim.errors import SimRestError
from acd.sim.events import bridge_json, playback_json
from acd.sim.rest_common import Params, bridge_of, channels_for_bridge, no_content, ok, pbx_of

routes = web.RouteTableDef()


@routes.get("/ari/bridges")
async def list_bridges(request: web.Request) -> web.Response:
    return ok([bridge_json(br) for br in pbx_of(request).bridges.values()])


async def _create(request: web.Request, bridge_id: str) -> web.Response:
    pbx = pbx_of(request)
    p = await Params.read(request)
    bridge_id = bridge_id or p.get("bridgeId")
    if bridge_id and bridge_id in pbx.bridges:
        # Asterisk 22 (both paths): ast_bridge_topic_exists() -> 409, the old "update" is gone.
        raise SimRestError.message(409, f"Bridge with id '{bridge_id}' already exists")
    try:
        br = pbx.bridging.create(bridge_id or None, p.get("type"), p.get("name"))
    except BridgeTypeError as exc:
        raise SimRestError.message(500, "Unable to create bridge") from exc
    return ok(bridge_json(br))


@routes.post("/ari/bridges")
async def create(request: web.Request) -> web.Response:
    return await _create(request, "")


@routes.get("/ari/bridges/{bridgeId}")
async def get_bridge(request: web.Request) -> web.Response:
    return ok(bridge_json(bridge_of(pbx_of(request), request.match_info["bridgeId"])))


@routes.post("/ari/bridges/{bridgeId}")
async def create_with_id(request: web.Request) -> web.Response:
    return await _create(request, request.match_info["bridgeId"])


@routes.delete("/ari/bridges/{bridgeId}")
async def destroy(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    pbx.bridging.destroy(bridge_of(pbx, request.match_info["bridgeId"]))
    return no_content()


@routes.post("/ari/bridges/{bridgeId}/addChannel")
async def add_channel(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    br = bridge_of(pbx, request.match_info["bridgeId"])
    p = await Params.read(request)
    chans = channels_for_bridge(pbx, p.get_list("channel"))
    pbx.bridging.add(br, chans, inhibit_colp=p.get_bool("inhibitConnectedLineUpdates"))
    return no_content()


@routes.post("/ari/bridges/{bridgeId}/removeChannel")
async def remove_channel(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    br = bridge_of(pbx, request.match_info["bridgeId"])
    chans = channels_for_bridge(pbx, (await Params.read(request)).get_list("channel"))
    if any(ch.bridge is not br for ch in chans):
        raise SimRestError.message(422, "Channel not in this bridge")
    for ch in chans:
        pbx.bridging.leave(ch, hangup=False)
    return no_content()


@routes.post("/ari/bridges/{bridgeId}/moh")
async def start_moh(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    br = bridge_of(pbx, request.match_info["bridgeId"])
    pbx.bridging.moh_start(br, (await Params.read(request)).get("mohClass") or None)
    return no_content()


@routes.delete("/ari/bridges/{bridgeId}/moh")
async def stop_moh(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    if not pbx.bridging.moh_stop(bridge_of(pbx, request.match_info["bridgeId"])):
        raise SimRestError.message(409, "Bridge isn't playing music")
    return no_content()


async def _play(request: web.Request, playback_id: str) -> web.Response:
    pbx = pbx_of(request)
    br = bridge_of(pbx, request.match_info["bridgeId"])
    p = await Params.read(request)
    media = p.get_list("media")
    if not media:
        raise SimRestError.message(400, "Missing parameter media")
    pb = pbx.media.queue(f"bridge:{br.id}", media, p.get("lang") or "en", playback_id or p.get("playbackId"))
    body = playback_json(pb)
    pbx.media.start(pb)
    response = ok(body, 201)
    response.headers["Location"] = f"/playbacks/{pb.id}"
    return response


@routes.post("/ari/bridges/{bridgeId}/play")
async def play(request: web.Request) -> web.Response:
    return await _play(request, "")


@routes.post("/ari/bridges/{bridgeId}/play/{playbackId}")
async def play_with_id(request: web.Request) -> web.Response:
    return await _play(request, request.match_info["playbackId"])
