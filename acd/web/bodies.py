"""Request bodies, validated with pydantic: a bad body is a 400 with a message saying what is wrong.

Unknown fields are refused (``extra="forbid"``) so that a page sending a misspelt field learns it at
once instead of having it silently ignored. Strings are never coerced from numbers.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from acd.web.errors import ApiError

Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Body):
    agent_id: Id
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class ReasonBody(Body):
    reason: Short


class DispositionBody(Body):
    disposition: Id


class WrapupEndBody(Body):
    disposition: Id | None = None


class TransferBody(Body):
    kind: Literal["queue", "agent", "number"]
    target: Short


class AgentStateBody(Body):
    state: Literal["not-ready", "logged-out"]
    reason: Short | None = None


class LegBody(Body):
    leg_id: Id


class RejectBody(Body):
    leg_id: Id
    cause: Literal[17, 21] = 17


class ChannelBody(Body):
    channel_id: Id


class DialBody(Body):
    number: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9+*#]+$")]


M = TypeVar("M", bound=Body)


def describe(exc: ValidationError) -> str:
    """``field: what is wrong`` for each problem, in one line."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; an empty body counts as ``{}``."""
    raw = await request.read()
    data: object = {}
    if raw.strip():
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "invalid-json", "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "invalid", describe(exc)) from exc
