"""The models against Asterisk's own Swagger: every event type parses, every field has its spec name.

Instances are built from the Swagger itself (required properties only, then every property), so a
type or field Asterisk defines but we misspelled or forgot fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from acd.ari import EVENT_CLASSES, UNMODELLED_EVENT_TYPES, UnknownEvent, models, parse_event
from acd.ari.events import AdditionalParam, BaseEvent, ReferredBy, ReferTo, RequiredDestination
from tests.ari.samples import TIMESTAMP, assert_matches
from tests.shared_data import load_swagger, require_shared, shared_dir

RESOURCES = (
    "events",
    "channels",
    "bridges",
    "endpoints",
    "deviceStates",
    "applications",
    "playbacks",
    "recordings",
    "asterisk",
)

# Spec fields that are deliberately optional here although the Swagger marks them required.
LENIENT = {
    ("Channel", "protocol_id"),  # absent before late Asterisk 20; nothing depends on it
}
# Informational objects whose every part is optional on purpose (see models.py).
LOOSE = {"AsteriskInfo", "BuildInfo", "SystemInfo", "ConfigInfo", "SetId", "StatusInfo"}


def spec_models() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource in RESOURCES:
        found.update(load_swagger(resource)["models"])
    return found


def event_types() -> list[str]:
    if shared_dir() is None:
        return []
    return list(load_swagger("events")["models"]["Event"]["subTypes"])


def value_for(spec_type: str, prop: dict[str, Any], spec: dict[str, dict[str, Any]], full: bool) -> Any:
    if spec_type.startswith("List[") and spec_type.endswith("]"):
        return [value_for(spec_type[5:-1], {}, spec, full)]
    allowed = prop.get("allowableValues", {}).get("values")
    if allowed:
        return allowed[0]
    scalars: dict[str, Any] = {
        "string": "x",
        "int": 7,
        "long": 7,
        "double": 1.5,
        "boolean": True,
        "Date": TIMESTAMP,
        "object": {"k": "v"},
        "containers": {"k": "v"},
    }
    if spec_type in scalars:
        return scalars[spec_type]
    return instance_of(spec_type, spec, full)


def instance_of(name: str, spec: dict[str, dict[str, Any]], full: bool) -> dict[str, Any]:
    props = spec[name]["properties"]
    return {
        key: value_for(prop["type"], prop, spec, full)
        for key, prop in props.items()
        if full or prop.get("required")
    }


def event_instance(kind: str, full: bool) -> dict[str, Any]:
    spec = spec_models()
    body = instance_of(kind, spec, full)
    common = {"type": kind, "application": "acd", "timestamp": TIMESTAMP}
    if full:
        common["asterisk_id"] = "02:fc:00:00:00:01"
    return {**common, **body}


@pytest.mark.parametrize("full", [False, True], ids=["required-only", "every-field"])
@pytest.mark.parametrize("kind", event_types())
def test_every_swagger_event_parses_or_is_deliberately_unmodelled(kind: str, full: bool) -> None:
    raw = event_instance(kind, full)
    event = parse_event(json.dumps(raw))
    if kind in UNMODELLED_EVENT_TYPES:
        assert isinstance(event, UnknownEvent)
        assert event.raw == raw
        return
    assert type(event) is EVENT_CLASSES[kind]
    assert_matches(event, raw)  # with every field present, this checks that each spec name is modelled


def test_every_modelled_event_type_is_in_the_swagger() -> None:
    require_shared()
    assert set(EVENT_CLASSES) <= set(event_types())
    assert set(EVENT_CLASSES) | UNMODELLED_EVENT_TYPES >= set(event_types())


def model_pairs() -> list[tuple[str, type[BaseModel]]]:
    ours: list[type[BaseModel]] = [
        cls
        for cls in vars(models).values()
        if isinstance(cls, type) and issubclass(cls, models.AriModel) and cls is not models.AriModel
    ]
    ours += [*EVENT_CLASSES.values(), ReferTo, ReferredBy, RequiredDestination, AdditionalParam]
    return [(cls.__name__, cls) for cls in ours]


@pytest.mark.parametrize(("name", "cls"), model_pairs(), ids=[name for name, _ in model_pairs()])
def test_model_fields_and_their_requiredness_follow_the_swagger(name: str, cls: type[BaseModel]) -> None:
    spec = spec_models()
    assert name in spec, f"{name} is not a Swagger model"
    props = spec[name]["properties"]
    inherited = set(BaseEvent.model_fields) | {"type"} if issubclass(cls, BaseEvent) else set()
    fields = {
        (info.alias or field): info for field, info in cls.model_fields.items() if field not in inherited
    }
    assert set(fields) == set(props)
    for key, info in fields.items():
        required = bool(props[key].get("required")) and (name, key) not in LENIENT and name not in LOOSE
        assert info.is_required() == required, f"{name}.{key}"
