"""``/ari/channels``: the paths an ACD uses, with resource_channels.c's checks in its order."""

from __future__ import annotations

from aiohttp import web

from acd.sim.dialing import OriginateRequest
from acd.sim.dialplan import FunctionError
from acd.sim.errors import SimRestError
from acd.sim.events import HANGUP_REASONS, channel_json, playback_json
from acd.sim.rest_common import (
    Params,
    channel_any,
    channel_in_stasis,
    check_state,
    no_content,
    ok,
    pbx_of,
)

routes = web.RouteTableDef()
_DIRECTIONS = {"in", "out", "both"}


@routes.get("/ari/channels")
async def list_channels(request: web.Request) -> web.Response:
    return ok([channel_json(ch) for ch in pbx_of(request).channels.values()])


async def _originate(request: web.Request, channel_id: str) -> web.Response:
    pbx = pbx_of(request)
    p = await Params.read(request)
    req = OriginateRequest(
        endpoint=p.get("endpoint"),
        app=p.get("app"),
        app_args=p.get("appArgs"),
        caller_id=p.get("callerId"),
        timeout=p.get_int("timeout", 30),
        variables=p.variables(),
        channel_id=channel_id or p.get("channelId"),
        other_channel_id=p.get("otherChannelId"),
        extension=p.get("extension"),
        context=p.get("context"),
        priority=p.get_int("priority", 0),
    )
    leg = pbx.dialing.prepare_originate(req)
    body = channel_json(leg)
    pbx.dialing.launch(leg)
    return ok(body)


@routes.post("/ari/channels")
async def originate(request: web.Request) -> web.Response:
    return await _originate(request, "")


@routes.post("/ari/channels/create")
async def create(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    p = await Params.read(request)
    ch = pbx.dialing.prepare_create(
        p.get("endpoint"), p.get("app"), p.get("appArgs"), p.get("channelId"), p.get("otherChannelId")
    )
    for name, value in p.variables().items():
        pbx.dialplan.write(ch, name, value, emit=False)
    body = channel_json(ch)
    pbx.dialing.launch(ch)
    return ok(body)


@routes.get("/ari/channels/{channelId}")
async def get_channel(request: web.Request) -> web.Response:
    return ok(channel_json(channel_any(pbx_of(request), request.match_info["channelId"])))


@routes.post("/ari/channels/{channelId}")
async def originate_with_id(request: web.Request) -> web.Response:
    return await _originate(request, request.match_info["channelId"])


@routes.delete("/ari/channels/{channelId}")
async def hangup(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_any(pbx, request.match_info["channelId"])
    p = await Params.read(request)
    reason, code = p.get("reason"), p.get("reason_code")
    if reason and code:
        raise SimRestError.message(400, "The reason and reason_code can't both be specified")
    if code:
        try:
            cause = int(code)
        except ValueError as exc:
            raise SimRestError.message(400, "Invalid reason for hangup reason code provided") from exc
    elif reason:
        if reason not in HANGUP_REASONS:
            raise SimRestError.message(400, "Invalid reason for hangup reason provided")
        cause = HANGUP_REASONS[reason]
    else:
        cause = 16
    pbx.hangup(ch, "app", cause)
    return no_content()


@routes.post("/ari/channels/{channelId}/answer")
async def answer(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    check_state(ch)
    pbx.answer(ch)
    return no_content()


def _state_only(path: str, method: str) -> None:
    """Routes that only validate and change nothing Asterisk would report as an event."""

    async def handler(request: web.Request) -> web.Response:
        ch = channel_in_stasis(pbx_of(request), request.match_info["channelId"])
        check_state(ch)
        p = await Params.read(request)
        if path.endswith("/mute"):
            direction = p.get("direction", "both")
            if not direction:
                raise SimRestError.message(400, "Direction is required")
            if direction not in _DIRECTIONS:
                raise SimRestError.message(400, "Invalid direction specified")
            ch.muted = "" if method == "DELETE" else direction
        elif path.endswith("/hold"):
            ch.held_by_app = method == "POST"
        elif path.endswith("/moh"):
            ch.moh_class = (p.get("mohClass") or "default") if method == "POST" else None
        return no_content()

    routes.route(method, f"/ari/channels/{{channelId}}{path}")(handler)


for _path in ("/ring", "/hold", "/moh", "/silence", "/mute"):
    _state_only(_path, "POST")
    _state_only(_path, "DELETE")
_state_only("/progress", "POST")


@routes.post("/ari/channels/{channelId}/dtmf")
async def send_dtmf(request: web.Request) -> web.Response:
    ch = channel_in_stasis(pbx_of(request), request.match_info["channelId"])
    check_state(ch)
    if not (await Params.read(request)).get("dtmf"):
        raise SimRestError.message(400, "DTMF is required")
    return no_content()


@routes.post("/ari/channels/{channelId}/continue")
async def continue_in_dialplan(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    check_state(ch)
    p = await Params.read(request)
    pbx.dialplan.continue_(ch, p.get("context"), p.get("extension"), p.get_int("priority", 0))
    return no_content()


@routes.post("/ari/channels/{channelId}/move")
async def move(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    p = await Params.read(request)
    app = p.get("app")
    if not app:
        raise SimRestError.message(400, "Missing parameter app")
    pbx.dialplan.move(ch, app, p.get_list("appArgs") if p.get("appArgs") else [])
    return no_content()


@routes.post("/ari/channels/{channelId}/redirect")
async def redirect(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    check_state(ch)
    endpoint = (await Params.read(request)).get("endpoint")
    if not endpoint:
        raise SimRestError.message(400, "Required parameter 'endpoint' not provided.")
    tech, _, resource = endpoint.partition("/")
    if not tech or not resource:
        raise SimRestError.message(422, f"Endpoint parameter '{endpoint}' does not contain tech/resource")
    if not ch.name.lower().startswith(tech.lower() + "/"):
        raise SimRestError.message(
            422, f"Endpoint technology '{tech}' does not match channel technology '{ch.name.split('/')[0]}'"
        )
    pbx.dialplan.redirect(ch)
    return no_content()


async def _play(request: web.Request, playback_id: str) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    check_state(ch)
    p = await Params.read(request)
    media = p.get_list("media")
    if not media:
        raise SimRestError.message(400, "Missing parameter media")
    if p.get_int("skipms", 3000) < 0:
        raise SimRestError.message(400, "skipms cannot be negative")
    if p.get_int("offsetms", 0) < 0:
        raise SimRestError.message(400, "offsetms cannot be negative")
    pb = pbx.media.queue(
        f"channel:{ch.id}", media, p.get("lang") or ch.language, playback_id or p.get("playbackId")
    )
    body = playback_json(pb)
    pbx.media.start(pb)
    response = ok(body, 201)
    response.headers["Location"] = f"/playbacks/{pb.id}"
    return response


@routes.post("/ari/channels/{channelId}/play")
async def play(request: web.Request) -> web.Response:
    return await _play(request, "")


@routes.post("/ari/channels/{channelId}/play/{playbackId}")
async def play_with_id(request: web.Request) -> web.Response:
    return await _play(request, request.match_info["playbackId"])


@routes.get("/ari/channels/{channelId}/variable")
async def get_variable(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    name = (await Params.read(request)).get("variable")
    if not name:
        raise SimRestError.message(400, "Variable name is required")
    ch = channel_any(pbx, request.match_info["channelId"], "Provided channel was not found")
    try:
        value = pbx.dialplan.read(ch, name)
    except FunctionError as exc:
        raise SimRestError.message(500, "Unable to read provided function") from exc
    if value is None:
        raise SimRestError.message(404, "Provided variable was not found")
    return ok({"value": value})


@routes.post("/ari/channels/{channelId}/variable")
async def set_variable(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    p = await Params.read(request)
    name = p.get("variable")
    if not name:
        raise SimRestError.message(400, "Variable name is required")
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    pbx.dialplan.write(ch, name, p.get("value"))
    return no_content()


async def _snoop(request: web.Request, snoop_id: str) -> web.Response:
    pbx = pbx_of(request)
    p = await Params.read(request)
    spy, whisper = p.get("spy") or "none", p.get("whisper") or "none"
    for label, value in (("spy", spy), ("whisper", whisper)):
        if value not in ("none", "both", "out", "in"):
            raise SimRestError.message(400, f"Invalid direction specified for {label}")
    if spy == "none" and whisper == "none":
        raise SimRestError.message(400, "Direction must be specified for at least spy or whisper")
    app = p.get("app")
    if not app:
        raise SimRestError.message(400, "Application name is required")
    target = channel_any(pbx, request.match_info["channelId"], "Provided channel was not found")
    snoop = pbx.media.snoop(target, app, p.get("appArgs"), snoop_id or p.get("snoopId") or None)
    body = channel_json(snoop)
    pbx.media.launch_snoop(snoop)
    return ok(body)


@routes.post("/ari/channels/{channelId}/snoop")
async def snoop(request: web.Request) -> web.Response:
    return await _snoop(request, "")


@routes.post("/ari/channels/{channelId}/snoop/{snoopId}")
async def snoop_with_id(request: web.Request) -> web.Response:
    return await _snoop(request, request.match_info["snoopId"])


@routes.post("/ari/channels/{channelId}/dial")
async def dial(request: web.Request) -> web.Response:
    pbx = pbx_of(request)
    ch = channel_in_stasis(pbx, request.match_info["channelId"])
    p = await Params.read(request)
    caller_id = p.get("caller")
    caller = pbx.find(caller_id) if caller_id else None
    pbx.dialing.dial(ch, caller, p.get_int("timeout", 0))
    return no_content()


@routes.get("/ari/channels/{channelId}/rtp_statistics")
async def rtp_statistics(request: web.Request) -> web.Response:
    ch = channel_any(pbx_of(request), request.match_info["channelId"])
    if ch.protocol_id == "":
        raise SimRestError.message(403, "Unsupported channel type")
    counters = (
        "txcount",
        "rxcount",
        "txploss",
        "rxploss",
        "local_ssrc",
        "remote_ssrc",
        "txoctetcount",
        "rxoctetcount",
    )
    body: dict[str, object] = {"channel_uniqueid": ch.id}
    body.update(dict.fromkeys(counters, 0))
    return ok(dict(sorted(body.items())))
