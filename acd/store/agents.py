"""Agents in ``cc_agents``: adding, listing, credentials. Used by the admin CLI and the web API.

Secrets never leave this module in the clear except through :func:`sip_credentials` (for the
agent's own browser and the PJSIP generator): listings carry no hash and no ciphertext.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg

from acd.store.crypto import SecretBox, hash_password, needs_rehash, verify_password

Role = Literal["agent", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "admin")

AGENT_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
SIP_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
SIP_DOMAIN = re.compile(r"^[A-Za-z0-9_.:\[\]-]{1,253}$")


class StoreError(Exception):
    """A request the data refuses (duplicate, unknown name, bad value); ``exit_code`` for the CLI."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class InvalidInput(StoreError):
    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


@dataclass(frozen=True, slots=True)
class NewAgent:
    agent_id: str
    name: str
    sip_username: str
    password: str
    sip_secret: str
    email: str | None = None
    sip_domain: str | None = None
    role: Role = "agent"
    queues: Mapping[str, int] = field(default_factory=dict)
    wrapup_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """An agent as listings show it: no password hash, no SIP secret."""

    agent_id: str
    name: str
    email: str | None
    sip_username: str | None
    sip_domain: str | None
    role: str
    enabled: bool
    placeholder: bool
    state: str
    queues: dict[str, int]
    created_at: datetime


def validate_agent(agent: NewAgent) -> None:
    """Refuse what the table's CHECKs would, with a message a person can act on."""
    if not AGENT_ID.match(agent.agent_id):
        raise InvalidInput(f"invalid agent id {agent.agent_id!r}: 1-64 letters, digits, '_', '.', '@', '-'")
    if not SIP_USERNAME.match(agent.sip_username):
        raise InvalidInput(
            f"invalid SIP username {agent.sip_username!r}: 1-64 letters, digits, '_', '.', '-'"
        )
    if agent.email is not None and not EMAIL.match(agent.email):
        raise InvalidInput(f"invalid email {agent.email!r}")
    if agent.sip_domain is not None and not SIP_DOMAIN.match(agent.sip_domain):
        raise InvalidInput(f"invalid SIP domain {agent.sip_domain!r}")
    if agent.role not in ROLES:
        raise InvalidInput(f"invalid role {agent.role!r}: one of {', '.join(ROLES)}")
    if len(agent.name) > 200:
        raise InvalidInput("name longer than 200 characters")
    for queue, level in agent.queues.items():
        if level < 1:
            raise InvalidInput(f"invalid level {level} for queue {queue!r}: levels start at 1")
    if agent.wrapup_seconds is not None and not 0 <= agent.wrapup_seconds <= 3600:
        raise InvalidInput("wrap-up must be between 0 and 3600 seconds")


async def _require_queues(conn: Any, queues: Mapping[str, int]) -> None:
    if not queues:
        return
    known = {
        r["name"] for r in await conn.fetch("SELECT name FROM cc_queues WHERE name = ANY($1)", list(queues))
    }
    unknown = sorted(set(queues) - known)
    if unknown:
        raise StoreError(f"unknown queue(s) {', '.join(unknown)}: add them first with `acd queue add`")


async def add_agent(conn: Any, agent: NewAgent, box: SecretBox) -> bool:
    """Insert an agent with its memberships; True if it completed an outbox placeholder.

    A duplicate agent id (other than a placeholder) or SIP username is refused.
    """
    validate_agent(agent)
    # Refuse the obvious duplicates before spending ~0.2 s of CPU on the hash (re-checked below).
    await _check_free(conn, agent)
    password_hash = await hash_password(agent.password)
    ciphertext = box.encrypt(agent.sip_secret)
    try:
        return await _insert_agent(conn, agent, password_hash, ciphertext)
    except asyncpg.UniqueViolationError as exc:  # a concurrent add won the race
        if exc.constraint_name == "cc_agents_sip_username_key":
            raise StoreError(f"SIP username {agent.sip_username!r} is already used") from exc
        raise StoreError(f"agent {agent.agent_id!r} already exists") from exc


async def _check_free(conn: Any, agent: NewAgent, *, lock: bool = False) -> Any:
    """The placeholder row to complete, or None; refuses a taken agent id or SIP username."""
    existing = await conn.fetchrow(
        "SELECT placeholder FROM cc_agents WHERE agent_id = $1" + (" FOR UPDATE" if lock else ""),
        agent.agent_id,
    )
    if existing is not None and not existing["placeholder"]:
        raise StoreError(f"agent {agent.agent_id!r} already exists")
    owner = await conn.fetchval("SELECT agent_id FROM cc_agents WHERE sip_username = $1", agent.sip_username)
    if owner is not None:
        raise StoreError(f"SIP username {agent.sip_username!r} is already used by agent {owner!r}")
    await _require_queues(conn, agent.queues)
    return existing


async def _insert_agent(conn: Any, agent: NewAgent, password_hash: str, ciphertext: bytes) -> bool:
    async with conn.transaction():
        existing = await _check_free(conn, agent, lock=True)
        values = (
            agent.agent_id,
            agent.name,
            agent.email,
            agent.sip_username,
            ciphertext,
            agent.sip_domain,
            password_hash,
            agent.role,
            agent.wrapup_seconds,
        )
        if existing is None:
            await conn.execute(
                """
                INSERT INTO cc_agents (agent_id, name, email, sip_username, sip_password, sip_domain,
                                       password_hash, role, wrapup_seconds)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                *values,
            )
        else:
            await conn.execute(
                """
                UPDATE cc_agents SET name = $2, email = $3, sip_username = $4, sip_password = $5,
                    sip_domain = $6, password_hash = $7, role = $8, wrapup_seconds = $9,
                    enabled = true, placeholder = false, updated_at = now()
                WHERE agent_id = $1
                """,
                *values,
            )
        for queue, level in agent.queues.items():
            await conn.execute(
                """
                INSERT INTO cc_queue_members (agent_id, queue, level) VALUES ($1, $2, $3)
                ON CONFLICT (agent_id, queue) DO UPDATE SET level = EXCLUDED.level
                """,
                agent.agent_id,
                queue,
                level,
            )
    return existing is not None


async def list_agents(conn: Any, *, include_disabled: bool = True) -> list[AgentInfo]:
    rows = await conn.fetch(
        """
        SELECT a.agent_id, a.name, a.email, a.sip_username, a.sip_domain, a.role, a.enabled,
               a.placeholder, a.state, a.created_at,
               coalesce(jsonb_object_agg(m.queue, m.level) FILTER (WHERE m.queue IS NOT NULL), '{}')
                   AS queues
        FROM cc_agents a LEFT JOIN cc_queue_members m ON m.agent_id = a.agent_id
        WHERE a.enabled OR $1
        GROUP BY a.id ORDER BY a.agent_id
        """,
        include_disabled,
    )
    return [AgentInfo(**dict(row)) for row in rows]


async def _one(conn: Any, agent_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT agent_id, placeholder, enabled, sip_username, sip_password FROM cc_agents "
        "WHERE agent_id = $1",
        agent_id,
    )
    if row is None:
        raise StoreError(f"unknown agent {agent_id!r}")
    return row


async def set_password(conn: Any, agent_id: str, password: str) -> None:
    await _one(conn, agent_id)
    password_hash = await hash_password(password)
    await conn.execute(
        "UPDATE cc_agents SET password_hash = $2, updated_at = now() WHERE agent_id = $1",
        agent_id,
        password_hash,
    )


async def set_sip_secret(conn: Any, agent_id: str, secret: str, box: SecretBox) -> None:
    row = await _one(conn, agent_id)
    if row["sip_username"] is None:
        raise StoreError(f"agent {agent_id!r} has no SIP username: complete it with `acd agent add`")
    await conn.execute(
        "UPDATE cc_agents SET sip_password = $2, updated_at = now() WHERE agent_id = $1",
        agent_id,
        box.encrypt(secret),
    )


async def set_enabled(conn: Any, agent_id: str, enabled: bool) -> bool:
    """Enable or disable; False when it already was. A placeholder cannot be enabled."""
    row = await _one(conn, agent_id)
    if enabled and (row["placeholder"] or row["sip_username"] is None or row["sip_password"] is None):
        raise StoreError(
            f"agent {agent_id!r} was created by the outbox and has no credentials: complete it with "
            f"`acd agent add {agent_id} ...`"
        )
    if row["enabled"] == enabled:
        return False
    await conn.execute(
        "UPDATE cc_agents SET enabled = $2, updated_at = now() WHERE agent_id = $1", agent_id, enabled
    )
    return True


async def update_agent(conn: Any, agent_id: str, changes: Mapping[str, Any]) -> None:
    """Change name, email, role, sip_domain or wrapup_seconds (the keys given)."""
    allowed = {"name", "email", "role", "sip_domain", "wrapup_seconds"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}")
    await _one(conn, agent_id)
    if "role" in changes and changes["role"] not in ROLES:
        raise InvalidInput(f"invalid role {changes['role']!r}: one of {', '.join(ROLES)}")
    if changes.get("email") is not None and not EMAIL.match(changes["email"]):
        raise InvalidInput(f"invalid email {changes['email']!r}")
    if changes.get("sip_domain") is not None and not SIP_DOMAIN.match(changes["sip_domain"]):
        raise InvalidInput(f"invalid SIP domain {changes['sip_domain']!r}")
    if not changes:
        return
    columns = sorted(changes)
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(columns, start=2))
    await conn.execute(
        f"UPDATE cc_agents SET {assignments}, updated_at = now() WHERE agent_id = $1",
        agent_id,
        *(changes[c] for c in columns),
    )


# ---------------------------------------------------------------- for the web API


@dataclass(frozen=True, slots=True)
class Account:
    agent_id: str
    name: str
    role: str


async def authenticate(conn: Any, agent_id: str, password: str) -> Account | None:
    """The account when the password matches an enabled agent; re-hashes outdated hashes."""
    row = await conn.fetchrow(
        "SELECT agent_id, name, role, password_hash FROM cc_agents WHERE agent_id = $1 AND enabled", agent_id
    )
    stored = row["password_hash"] if row is not None else None
    if not await verify_password(stored, password) or row is None:
        return None
    if needs_rehash(row["password_hash"]):
        await conn.execute(
            "UPDATE cc_agents SET password_hash = $2 WHERE agent_id = $1",
            agent_id,
            await hash_password(password),
        )
    return Account(row["agent_id"], row["name"] or row["agent_id"], row["role"])


async def account_role(conn: Any, agent_id: str) -> str | None:
    """The role of an enabled account, None when it is disabled or gone (sessions then end)."""
    role: str | None = await conn.fetchval(
        "SELECT role FROM cc_agents WHERE agent_id = $1 AND enabled AND NOT placeholder", agent_id
    )
    return role


@dataclass(frozen=True, slots=True)
class SipCredentials:
    agent_id: str
    name: str
    username: str
    domain: str | None
    #: Decrypted: give it only to the agent's own authenticated page or to Asterisk's config.
    secret: str = field(repr=False)


async def sip_credentials(conn: Any, box: SecretBox, agent_id: str | None = None) -> list[SipCredentials]:
    """Decrypted SIP credentials of enabled agents (all, or one)."""
    rows = await conn.fetch(
        """
        SELECT agent_id, name, sip_username, sip_domain, sip_password FROM cc_agents
        WHERE enabled AND sip_username IS NOT NULL AND sip_password IS NOT NULL
          AND ($1::text IS NULL OR agent_id = $1)
        ORDER BY sip_username
        """,
        agent_id,
    )
    return [
        SipCredentials(
            agent_id=row["agent_id"],
            name=row["name"],
            username=row["sip_username"],
            domain=row["sip_domain"],
            secret=box.decrypt(row["sip_password"]),
        )
        for row in rows
    ]
