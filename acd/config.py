"""Configuration: one typed tree, read from ``ACD_*`` environment variables and a TOML file.

Precedence (highest first): explicit keyword arguments, environment variables (``ACD_ARI__URL``,
nested with ``__``), the TOML file named by ``ACD_CONFIG`` (default ``acd.toml`` in the working
directory, ignored when absent), then the defaults below. Queues and static agents are lists of
tables in TOML (``[[queues]]``, ``[[agents]]``); a production site keeps agents in PostgreSQL.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from acd.eventloop import EventLoopKind


class Strategy(StrEnum):
    """How a queue picks among its eligible ready agents."""

    LONGEST_IDLE = "longest-idle"
    ROUND_ROBIN = "round-robin"
    FEWEST_CALLS = "fewest-calls"
    RANDOM = "random"
    RING_ALL = "ring-all"


class Tier(BaseModel):
    """After ``after_seconds`` of waiting, a call may also go to agents up to ``max_level``."""

    after_seconds: Annotated[float, Field(ge=0)]
    max_level: Annotated[int, Field(ge=1)]


class QueueSettings(BaseModel):
    """One queue. Levels: 1 is an agent's primary skill; higher numbers are wider tiers."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    priority: int = 0
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout: Annotated[float, Field(gt=0, le=300)] = 15.0
    wrapup_seconds: Annotated[float, Field(ge=0, le=3600)] = 10.0
    require_disposition: bool = False
    max_wait: Annotated[float | None, Field(gt=0)] = None
    # "queue:<name>" or "extension:<context>,<exten>[,<priority>]"; None continues in the dialplan.
    overflow: str | None = None
    max_length: Annotated[int | None, Field(ge=0)] = None
    # "yes": always join; "no": refuse when no agent is logged in; "strict": refuse when none is
    # ready or could become ready (logged in and reachable).
    join_when_empty: Literal["yes", "no", "strict"] = "yes"
    leave_when_empty: Literal["no", "yes", "strict"] = "no"
    moh_class: str = "default"
    exit_key: Annotated[str | None, Field(pattern=r"^[0-9*#]$")] = None
    tiers: list[Tier] = Field(default_factory=list)
    service_level_seconds: Annotated[float, Field(gt=0)] = 20.0

    @field_validator("overflow")
    @classmethod
    def _overflow_shape(cls, value: str | None) -> str | None:
        if value is None:
            return value
        kind, _, target = value.partition(":")
        if kind not in ("queue", "extension") or not target:
            raise ValueError("overflow must be 'queue:<name>' or 'extension:<context>,<exten>'")
        return value


class AgentSettings(BaseModel):
    """A statically configured agent (demo and tests); production agents live in ``cc_agents``."""

    agent_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
    name: str = ""
    endpoint: str  # e.g. "PJSIP/agent1"
    queues: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    wrapup_seconds: Annotated[float | None, Field(ge=0)] = None


class AriSettings(BaseModel):
    url: str = "http://127.0.0.1:8088"
    username: str = "acd"
    password: SecretStr = SecretStr("acd")
    app: str = "acd"
    request_timeout: Annotated[float, Field(gt=0)] = 5.0
    # REST connections idle this long are closed by us; keep it under Asterisk's
    # session_keep_alive (http.conf, 15 s by default) so that Asterisk never closes one first.
    keepalive_seconds: Annotated[float, Field(gt=0)] = 10.0
    reconnect_min_delay: Annotated[float, Field(gt=0)] = 0.25
    reconnect_max_delay: Annotated[float, Field(gt=0)] = 15.0


class EngineSettings(BaseModel):
    max_no_answer: Annotated[int, Field(ge=1)] = 3
    reject_delay: Annotated[float, Field(ge=0)] = 5.0
    busy_delay: Annotated[float, Field(ge=0)] = 5.0
    no_answer_delay: Annotated[float, Field(ge=0)] = 5.0
    not_ready_reasons: list[str] = Field(
        default_factory=lambda: ["break", "lunch", "training", "meeting", "personal", "after-call"]
    )
    # Outbound calls from agents: dialled as Local/<number>@<outbound_context>.
    outbound_context: str = "acd-outbound"
    outbound_caller_id: str | None = None
    outbound_resets_idle: bool = False
    outbound_wrapup_seconds: Annotated[float, Field(ge=0)] = 0.0
    # Blind transfers to a number continue the caller into this dialplan context.
    transfer_context: str = "acd-transfer"
    # Caller id shown on the agent's phone: the caller's own number and name by default.
    agent_caller_id: Literal["caller", "queue"] = "caller"
    short_abandon_seconds: Annotated[float, Field(ge=0)] = 5.0
    disconnect_grace_seconds: Annotated[float, Field(ge=0)] = 30.0
    # The engine's own guard on top of the originate timeout Asterisk enforces.
    ring_guard_seconds: Annotated[float, Field(ge=0)] = 5.0
    # Empty mixing bridges kept for the next calls (saves creating and destroying one per call:
    # two of a call's ARI requests); 0 creates and destroys a bridge for every call.
    spare_bridges: Annotated[int, Field(ge=0)] = 32
    # How long an ended call's bridge waits for its members' ends before it is destroyed.
    bridge_release_seconds: Annotated[float, Field(gt=0)] = 10.0


class DatabaseSettings(BaseModel):
    dsn: str = "postgresql://postgres@127.0.0.1:5432/acd"
    journal_dir: Path = Path("var/journal")
    batch_size: Annotated[int, Field(ge=1)] = 500
    flush_interval: Annotated[float, Field(gt=0)] = 0.2
    pool_max_size: Annotated[int, Field(ge=1)] = 8
    # Fernet key (urlsafe base64, 32 bytes) that encrypts agents' SIP secrets at rest.
    secret_key: SecretStr | None = None


class RedisSettings(BaseModel):
    url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "acd:"


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Set when a TLS-terminating proxy sits in front: cookies become Secure.
    behind_tls_proxy: bool = False
    session_max_age: Annotated[int, Field(gt=0)] = 12 * 3600
    # WebSocket URL of Asterisk that agents' browsers register to (wss://pbx.example.com:8089/ws).
    sip_ws_url: str = "wss://127.0.0.1:8089/ws"
    sip_domain: str = "127.0.0.1"
    ice_servers: list[str] = Field(default_factory=list)
    crm_url_template: str | None = None
    crm_timeout: Annotated[float, Field(gt=0)] = 0.8
    login_attempts_per_minute: Annotated[int, Field(ge=1)] = 10


class LogSettings(BaseModel):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


def _default_queues() -> list[QueueSettings]:
    return [QueueSettings(name="support")]


class Settings(BaseSettings):
    """The whole configuration of one daemon."""

    model_config = SettingsConfigDict(
        env_prefix="ACD_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    ari: AriSettings = Field(default_factory=AriSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    #: ``uvloop`` (default, less CPU per call) or ``asyncio`` (the standard library's loop).
    event_loop: EventLoopKind = "uvloop"
    queues: list[QueueSettings] = Field(default_factory=_default_queues)
    agents: list[AgentSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_references(self) -> Settings:
        names = [q.name for q in self.queues]
        if len(set(names)) != len(names):
            raise ValueError("queue names must be unique")
        known = set(names)
        for queue in self.queues:
            if queue.overflow and queue.overflow.startswith("queue:"):
                target = queue.overflow.removeprefix("queue:")
                if target not in known:
                    raise ValueError(f"queue {queue.name!r} overflows to unknown queue {target!r}")
        ids = [a.agent_id for a in self.agents]
        if len(set(ids)) != len(ids):
            raise ValueError("agent ids must be unique")
        for agent in self.agents:
            unknown = set(agent.queues) - known
            if unknown:
                raise ValueError(f"agent {agent.agent_id!r} is in unknown queues {sorted(unknown)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("ACD_CONFIG", "acd.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )


def load_settings(**overrides: Any) -> Settings:
    """Read the configuration; keyword arguments win over every other source."""
    return Settings(**overrides)
