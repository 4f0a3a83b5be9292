"""``GET /ari/events``: the application's event stream.

One active consumer per application: a second connection for the same app takes over and the
first one gets ``ApplicationReplaced`` and is closed. When the socket goes away the application
stays registered but inactive: its callers stay in Stasis (rule 8), a new ``Stasis()`` fails, and
events meanwhile are dropped, never replayed.
"""

from __future__ import annotations

import math

from aiohttp import web

from acd.sim.errors import SimRestError
from acd.sim.rest_common import WRITE_TIMEOUT_KEY, Params, pbx_of
from acd.sim.stasis import Connection

routes = web.RouteTableDef()


@routes.get("/ari/events")
async def events(request: web.Request) -> web.WebSocketResponse:
    router = pbx_of(request).router
    params = await Params.read(request)
    apps = params.get_list("app")
    if not apps:
        raise SimRestError.message(400, "HTTP request is missing param: [app]")
    # No permessage-deflate: Asterisk does not offer it either.
    ws = web.WebSocketResponse(autoping=True, compress=False)
    await ws.prepare(request)
    write_timeout = request.app[WRITE_TIMEOUT_KEY]
    conn = Connection(
        ws,
        request,
        apps,
        params.get_bool("subscribeAll"),
        None if math.isinf(write_timeout) else write_timeout,
    )
    conn.start()
    await router.attach(conn)
    try:
        async for _message in ws:
            pass  # requests over the WebSocket (Asterisk 22) are not simulated
    finally:
        router.detach(conn)
        await conn.close(1000)
    return ws
