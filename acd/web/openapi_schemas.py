"""JSON Schemas of the API's answers (docs/api.md "Views"), for :mod:`acd.web.openapi`."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

NUM, STR, INT, BOOL = {"type": "number"}, {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
OBJ: Schema = {"type": "object"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(**props: Schema) -> Schema:
    """An object with exactly these properties, all required."""
    return {"type": "object", "properties": props, "required": list(props)}


AGENT_STATES = ["logged-out", "not-ready", "ready", "offered", "on-call", "on-hold", "wrap-up"]
CALL_STATES = ["queued", "offered", "connected", "held", "dialing", "ended"]
QUEUE_VIEW = {
    "queue": STR,
    "waiting": INT,
    "oldest_entered_at": nullable(NUM),
    "oldest_wait": NUM,
    "agents": {"type": "object", "additionalProperties": INT},
}

SCHEMAS: dict[str, Schema] = {
    "Error": obj(error=obj(code=STR, message=STR)),
    "AgentView": obj(
        agent_id=STR,
        name=STR,
        state={"enum": AGENT_STATES},
        reason=nullable(STR),
        since=NUM,
        ready_since=nullable(NUM),
        call_id=nullable(STR),
        wrapup_until=nullable(NUM),
        disposition_required=BOOL,
        disposition=nullable(STR),
        pending=nullable(obj(state={"enum": AGENT_STATES}, reason=nullable(STR))),
        reachable=BOOL,
        queues={"type": "object", "additionalProperties": INT},
    ),
    "CallView": obj(
        call_id=STR,
        direction={"enum": ["inbound", "outbound"]},
        queue=nullable(STR),
        state={"enum": CALL_STATES},
        caller_number=STR,
        caller_name=STR,
        number=nullable(STR),
        entered_at=nullable(NUM),
        first_entered_at=nullable(NUM),
        answered_at=nullable(NUM),
        agent_id=nullable(STR),
        held=BOOL,
        hold_seconds=NUM,
    ),
    "QueueView": obj(**QUEUE_VIEW),
    "QueueToday": obj(
        **QUEUE_VIEW, answered=nullable(INT), abandoned=nullable(INT), service_level=nullable(NUM)
    ),
    "User": obj(agent_id=STR, name=STR, role={"enum": ["agent", "supervisor", "admin"]}),
    "Session": obj(agent=nullable(ref("AgentView")), user=ref("User"), csrf_token=STR),
    "Me": obj(
        agent=nullable(ref("AgentView")),
        call=nullable(ref("CallView")),
        config=obj(
            not_ready_reasons={"type": "array", "items": STR},
            queues={"type": "array", "items": STR},
            dispositions={"type": "array", "items": obj(code=STR, label=STR, queue=nullable(STR))},
            demo=BOOL,
        ),
    ),
    "Sip": {
        **obj(
            demo=BOOL,
            ws_url=STR,
            uri=STR,
            username=STR,
            password=STR,
            domain=STR,
            ice_servers={"type": "array", "items": obj(urls=STR)},
            display_name=STR,
        ),
        "required": ["demo"],  # demo mode answers {"demo": true} only
    },
    "Stats": obj(
        answered=INT,
        talk_seconds=NUM,
        hold_seconds=NUM,
        wrapup_seconds=NUM,
        aht=nullable(NUM),
        not_ready_seconds=NUM,
        ready_seconds=NUM,
        missed=INT,
    ),
    "Customer": obj(
        number=STR,
        name=STR,
        account=nullable(STR),
        notes=STR,
        tags={"type": "array", "items": STR},
        source={"enum": ["builtin", "external"]},
    ),
    "DemoPhone": obj(
        ringing={"type": "array", "items": obj(leg_id=STR, caller_number=STR, caller_name=STR)},
        active={"type": "array", "items": OBJ},
    ),
    "Rows": obj(rows={"type": "array", "items": OBJ}),
    "Readiness": obj(ready=BOOL, checks=OBJ),
}
