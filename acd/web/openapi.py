"""The OpenAPI 3.1 description of every route, served at ``GET /api/openapi.json``.

Request bodies are the pydantic models the handlers validate with (so the description cannot
drift from the validation); answers are described after docs/api.md (:mod:`acd.web.openapi_schemas`).
A test checks that every route of the application is described here and that nothing else is.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from acd.web import bodies
from acd.web.openapi_schemas import OBJ, SCHEMAS, STR, Schema, nullable, obj, ref

ERROR_TEXT = {
    400: "bad input",
    401: "not logged in / bad credentials",
    403: "forbidden (not yours, not a supervisor, CSRF)",
    404: "no such thing",
    409: "illegal state change",
    429: "too many login attempts (Retry-After)",
    503: "a backing service (database, Redis) is unreachable",
}
CMD = (401, 403, 404, 409)
CMD_BODY = (400, *CMD)
SUP = (401, 403)


@dataclass(frozen=True, slots=True)
class Op:
    method: str
    path: str
    summary: str
    #: "public", "user" (any logged-in person) or "supervisor"
    access: str
    answer: Schema | str
    errors: tuple[int, ...] = ()
    body: type[bodies.Body] | None = None
    media: str = "application/json"

    @property
    def tag(self) -> str:
        parts = self.path.strip("/").split("/")
        return (
            parts[1]
            if parts[0] == "api" and len(parts) > 1
            else "pages"
            if parts[0] in ("", "wallboard", "ui")
            else "ops"
        )


def listing(key: str, item: str) -> Schema:
    return obj(**{key: {"type": "array", "items": ref(item)}})


ROUTES: list[Op] = [
    Op(
        "post",
        "/api/login",
        "Log in to the web page",
        "public",
        "Session",
        (400, 401, 403, 429, 503),
        bodies.LoginBody,
    ),
    Op("post", "/api/logout", "End the web session (and the ACD login)", "user", {}, (401, 403)),
    Op("get", "/api/session", "The current session", "user", "Session", (401,)),
    Op("get", "/api/me", "Own state, call and page configuration", "user", "Me", (401,)),
    Op(
        "get",
        "/api/me/sip",
        "Own SIP account for the browser phone (no-store)",
        "user",
        "Sip",
        (401, 404, 503),
    ),
    Op("post", "/api/me/login", "ACD login (to not-ready 'login')", "user", "AgentView", CMD),
    Op("post", "/api/me/ready", "Become ready", "user", "AgentView", CMD),
    Op("post", "/api/me/not-ready", "Become not ready", "user", "AgentView", CMD_BODY, bodies.ReasonBody),
    Op("post", "/api/me/logout", "ACD logout", "user", "AgentView", CMD),
    Op(
        "post",
        "/api/me/disposition",
        "Set the disposition",
        "user",
        "AgentView",
        CMD_BODY,
        bodies.DispositionBody,
    ),
    Op("post", "/api/me/wrapup/end", "End wrap-up", "user", "AgentView", CMD_BODY, bodies.WrapupEndBody),
    Op("get", "/api/me/stats", "Today's own figures", "user", "Stats", (401, 503)),
    Op("post", "/api/calls/{call_id}/hold", "Hold own call", "user", "CallView", CMD),
    Op("post", "/api/calls/{call_id}/unhold", "Take own call off hold", "user", "CallView", CMD),
    Op("post", "/api/calls/{call_id}/hangup", "Hang up own call", "user", OBJ, CMD),
    Op(
        "post",
        "/api/calls/{call_id}/transfer",
        "Blind-transfer own call",
        "user",
        OBJ,
        CMD_BODY,
        bodies.TransferBody,
    ),
    Op(
        "get",
        "/api/customers/lookup",
        "Customer of a phone number",
        "user",
        obj(customer=nullable(ref("Customer"))),
        (400, 401, 503),
    ),
    Op("get", "/api/agents", "All agents (live)", "supervisor", listing("agents", "AgentView"), SUP),
    Op(
        "get",
        "/api/queues",
        "Queues (live) with today's figures",
        "supervisor",
        listing("queues", "QueueToday"),
        SUP,
    ),
    Op("get", "/api/calls", "Active calls", "supervisor", listing("calls", "CallView"), SUP),
    Op(
        "post",
        "/api/agents/{agent_id}/state",
        "Force an agent not ready or logged out",
        "supervisor",
        "AgentView",
        CMD_BODY,
        bodies.AgentStateBody,
    ),
    Op("get", "/api/reports/queues", "Queue interval report", "supervisor", "Rows", (400, 401, 403, 503)),
    Op("get", "/api/reports/agents", "Agent interval report", "supervisor", "Rows", (400, 401, 403, 503)),
    Op(
        "get",
        "/api/events",
        "Live stream (Server-Sent Events)",
        "user",
        STR,
        (401,),
        media="text/event-stream",
    ),
    Op("get", "/api/demo/phone", "Demo phone: ringing and active legs", "user", "DemoPhone", (401, 404)),
    Op("post", "/api/demo/phone/answer", "Demo phone: answer a leg", "user", OBJ, CMD_BODY, bodies.LegBody),
    Op(
        "post", "/api/demo/phone/reject", "Demo phone: refuse a leg", "user", OBJ, CMD_BODY, bodies.RejectBody
    ),
    Op("post", "/api/demo/phone/hangup", "Demo phone: hang up", "user", OBJ, CMD_BODY, bodies.ChannelBody),
    Op(
        "post",
        "/api/demo/phone/dial",
        "Demo phone: dial out",
        "user",
        obj(channel_id=STR),
        (400, 401, 403, 404, 503),
        bodies.DialBody,
    ),
    Op("get", "/api/openapi.json", "This document", "public", OBJ),
    Op("get", "/healthz", "The process is up", "public", obj(status=STR)),
    Op("get", "/readyz", "Ready: ARI, database or journal, Redis", "public", "Readiness", (503,)),
    Op("get", "/metrics", "Prometheus metrics", "public", STR, media="text/plain"),
    Op("get", "/", "The agent page", "public", STR, (404,), media="text/html"),
    Op("get", "/wallboard", "The supervisor wallboard", "public", STR, (404,), media="text/html"),
    Op("get", "/ui/{path}", "Files of the pages", "public", STR, (404,), media="application/octet-stream"),
]

QUERY = {
    "/api/customers/lookup": [("number", True)],
    "/api/reports/queues": [("queue", False), ("from", False), ("to", False), ("interval", False)],
    "/api/reports/agents": [("from", False), ("to", False), ("interval", False)],
}
BODY_MODELS: list[type[bodies.Body]] = [
    bodies.LoginBody, bodies.ReasonBody, bodies.DispositionBody, bodies.WrapupEndBody, bodies.TransferBody,
    bodies.AgentStateBody, bodies.LegBody, bodies.RejectBody, bodies.ChannelBody, bodies.DialBody,
]  # fmt: skip


def _parameters(path: str) -> list[Schema]:
    params: list[Schema] = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            params.append({"name": part[1:-1], "in": "path", "required": True, "schema": STR})
    for name, required in QUERY.get(path, []):
        params.append({"name": name, "in": "query", "required": required, "schema": STR})
    if path == "/api/events":
        params.append({"name": "Last-Event-ID", "in": "header", "required": False, "schema": STR})
    return params


def _operation(op: Op) -> Schema:
    answer = ref(op.answer) if isinstance(op.answer, str) else op.answer
    if op.path == "/api/logout":
        responses: Schema = {"204": {"description": "logged out"}}
    else:
        responses = {"200": {"description": "OK", "content": {op.media: {"schema": answer}}}}
    for code in op.errors:
        responses[str(code)] = {
            "description": ERROR_TEXT[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    operation: Schema = {"summary": op.summary, "tags": [op.tag], "responses": responses}
    if op.access != "public":
        operation["security"] = [{"session": [], "csrf": []}] if op.method == "post" else [{"session": []}]
    params = _parameters(op.path)
    if params:
        operation["parameters"] = params
    if op.body is not None:
        content = {"application/json": {"schema": ref(op.body.__name__)}}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def build_document() -> Schema:
    schemas = dict(SCHEMAS)
    for model in BODY_MODELS:
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    paths: dict[str, Schema] = {}
    for op in ROUTES:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "acd HTTP API",
            "version": "1",
            "description": "Agent page, wallboard and integrations (docs/api.md). State-changing requests "
            "need a same-origin request and, except /api/login, the X-CSRF-Token header.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "acd_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


_DOCUMENT = build_document()


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(_DOCUMENT)


def openapi_routes() -> list[web.RouteDef]:
    return [web.get("/api/openapi.json", openapi)]
