"""The admin commands themselves (registered by :func:`acd.store.admin.register`)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from acd.config import QueueSettings, Settings
from acd.store import agents as agent_store
from acd.store import customers, db, queues
from acd.store.agents import InvalidInput, NewAgent, StoreError
from acd.store.cli_support import (
    Handler,
    command,
    connection,
    fail,
    print_table,
    read_password,
    read_sip_secret,
    write_private,
)
from acd.store.crypto import generate_secret_key, secret_box
from acd.store.pjsip import render_agents

# ---------------------------------------------------------------- db


@command
async def cmd_db_init(args: argparse.Namespace, settings: Settings) -> int:
    try:
        version = await db.init_schema(settings.database.dsn)
    except db.SchemaError as exc:
        return fail(str(exc))
    print(f"schema version {version} applied to {db.redact_dsn(settings.database.dsn)}")
    return 0


async def cmd_db_gen_key(args: argparse.Namespace, settings: Settings) -> int:
    print(generate_secret_key())
    return 0


# ---------------------------------------------------------------- agents


def parse_memberships(values: list[str] | None) -> dict[str, int]:
    result: dict[str, int] = {}
    for value in values or []:
        name, _, level = value.partition(":")
        if not name or (level and not level.isdigit()):
            raise InvalidInput(f"invalid --queue {value!r}: QUEUE or QUEUE:LEVEL")
        result[name] = int(level) if level else 1
    return result


@command
async def cmd_agent_add(args: argparse.Namespace, settings: Settings) -> int:
    box = secret_box(settings.database)  # fail before asking for a password
    new = NewAgent(
        agent_id=args.agent_id,
        name=args.name or args.agent_id,
        sip_username=args.sip_username or args.agent_id,
        email=args.email,
        sip_domain=args.sip_domain or settings.web.sip_domain,
        role=args.role,
        queues=parse_memberships(args.queue),
        wrapup_seconds=args.wrapup,
        password="",
        sip_secret="",
    )
    agent_store.validate_agent(new)
    password = read_password(args, f"agent {new.agent_id}")
    secret, generated = read_sip_secret(args)
    new = dataclasses.replace(new, password=password, sip_secret=secret)
    async with connection(settings) as conn:
        completed = await agent_store.add_agent(conn, new, box)
    queues_text = ", ".join(f"{q}:{lvl}" for q, lvl in new.queues.items()) or "none"
    verb = "completed (it was a placeholder made by the outbox)" if completed else "added"
    print(
        f"agent {new.agent_id} {verb}: SIP username {new.sip_username}, role {new.role}, queues {queues_text}"
    )
    if generated:
        print(
            "SIP password generated and stored encrypted; regenerate Asterisk's agents: deploy/sync-agents.sh"
        )
    return 0


@command
async def cmd_agent_list(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        rows = await agent_store.list_agents(conn, include_disabled=not args.enabled_only)
    table = [
        [
            a.agent_id,
            a.name,
            a.role,
            "yes" if a.enabled else ("placeholder" if a.placeholder else "no"),
            a.sip_username or "-",
            a.sip_domain or "-",
            ",".join(f"{q}:{lvl}" for q, lvl in sorted(a.queues.items())) or "-",
            a.email or "-",
        ]
        for a in rows
    ]
    print_table(["AGENT", "NAME", "ROLE", "ENABLED", "SIP USER", "SIP DOMAIN", "QUEUES", "EMAIL"], table)
    return 0


@command
async def cmd_agent_set_password(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        if await conn.fetchval("SELECT 1 FROM cc_agents WHERE agent_id = $1", args.agent_id) is None:
            raise StoreError(f"unknown agent {args.agent_id!r}")
        password = read_password(args, f"agent {args.agent_id}")
        await agent_store.set_password(conn, args.agent_id, password)
    print(f"password of agent {args.agent_id} changed")
    return 0


@command
async def cmd_agent_set_sip_password(args: argparse.Namespace, settings: Settings) -> int:
    box = secret_box(settings.database)
    secret, generated = read_sip_secret(args)
    async with connection(settings) as conn:
        await agent_store.set_sip_secret(conn, args.agent_id, secret, box)
    how = "generated" if generated else "set"
    print(f"SIP password of agent {args.agent_id} {how}; regenerate Asterisk's agents: deploy/sync-agents.sh")
    return 0


def enable_command(value: bool) -> Handler:
    @command
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        async with connection(settings) as conn:
            changed = await agent_store.set_enabled(conn, args.agent_id, value)
        state = "enabled" if value else "disabled"
        print(f"agent {args.agent_id} {state}" + ("" if changed else f" (it already was {state})"))
        return 0

    return run


@command
async def cmd_agent_set(args: argparse.Namespace, settings: Settings) -> int:
    changes = {
        key: getattr(args, key)
        for key in ("name", "email", "role", "sip_domain", "wrapup_seconds")
        if getattr(args, key) is not None
    }
    if not changes:
        raise InvalidInput("nothing to change: give --name, --email, --role, --sip-domain or --wrapup")
    async with connection(settings) as conn:
        await agent_store.update_agent(conn, args.agent_id, changes)
    print(f"agent {args.agent_id} updated: {', '.join(sorted(changes))}")
    return 0


# ---------------------------------------------------------------- queues and members

QUEUE_OPTIONS = (
    ("priority", "--priority", int),
    ("strategy", "--strategy", str),
    ("ring_timeout", "--ring-timeout", float),
    ("wrapup_seconds", "--wrapup", float),
    ("max_wait", "--max-wait", float),
    ("overflow", "--overflow", str),
    ("max_length", "--max-length", int),
    ("join_when_empty", "--join-when-empty", str),
    ("leave_when_empty", "--leave-when-empty", str),
    ("moh_class", "--moh-class", str),
    ("exit_key", "--exit-key", str),
    ("service_level_seconds", "--service-level", float),
)


def _queue_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = {key: getattr(args, key) for key, _, _ in QUEUE_OPTIONS if getattr(args, key) is not None}
    if args.require_disposition is not None:
        fields["require_disposition"] = args.require_disposition
    if args.tier:
        tiers = []
        for value in args.tier:
            after, _, level = value.partition(":")
            try:
                tiers.append({"after_seconds": float(after), "max_level": int(level)})
            except ValueError as exc:
                raise InvalidInput(f"invalid --tier {value!r}: AFTER_SECONDS:MAX_LEVEL") from exc
        fields["tiers"] = tiers
    return fields


def _validated(fields: dict[str, Any]) -> QueueSettings:
    try:
        return QueueSettings(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "queue"
        raise InvalidInput(f"invalid {where}: {first['msg']}") from exc


@command
async def cmd_queue_add(args: argparse.Namespace, settings: Settings) -> int:
    queue = _validated({"name": args.name, **_queue_fields(args)})
    async with connection(settings) as conn:
        await queues.add_queue(conn, queue, config_queues={q.name for q in settings.queues})
    print(
        f"queue {queue.name} added ({queue.strategy}, ring {queue.ring_timeout:g} s, "
        f"wrap-up {queue.wrapup_seconds:g} s)"
    )
    return 0


@command
async def cmd_queue_set(args: argparse.Namespace, settings: Settings) -> int:
    changes = _queue_fields(args)
    if not changes:
        raise InvalidInput("nothing to change")
    async with connection(settings) as conn:
        current = await queues.get_queue(conn, args.name)
        queue = _validated({**current.model_dump(), **changes})
        await queues.update_queue(conn, queue, config_queues={q.name for q in settings.queues})
    print(f"queue {queue.name} updated: {', '.join(sorted(changes))}")
    return 0


@command
async def cmd_queue_list(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        rows = await queues.list_queues(conn)
    print_table(
        ["QUEUE", "PRIO", "STRATEGY", "RING", "WRAPUP", "MAX WAIT", "OVERFLOW", "SL", "MEMBERS"],
        [
            [
                r["name"],
                r["priority"],
                r["strategy"],
                f"{r['ring_timeout']:g}",
                f"{r['wrapup_seconds']:g}",
                "-" if r["max_wait"] is None else f"{r['max_wait']:g}",
                r["overflow"] or "-",
                f"{r['service_level_seconds']:g}",
                r["members"],
            ]
            for r in rows
        ],
    )
    return 0


@command
async def cmd_member_add(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        previous = await queues.add_member(conn, args.queue, args.agent_id, args.level)
    if previous is None:
        print(f"agent {args.agent_id} added to queue {args.queue} at level {args.level}")
    elif previous == args.level:
        print(f"agent {args.agent_id} already in queue {args.queue} at level {args.level}")
    else:
        print(f"agent {args.agent_id} in queue {args.queue}: level {previous} -> {args.level}")
    return 0


@command
async def cmd_member_remove(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        await queues.remove_member(conn, args.queue, args.agent_id)
    print(f"agent {args.agent_id} removed from queue {args.queue}")
    return 0


# ---------------------------------------------------------------- customers and dispositions


@command
async def cmd_customer_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{args.file} is not UTF-8 text") from exc
    async with connection(settings) as conn:
        result = await customers.import_csv(conn, text, skip_invalid=args.skip_invalid)
    for error in result.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if not result.written:
        return fail(f"{len(result.errors)} bad row(s): nothing imported (fix them, or use --skip-invalid)")
    print(
        f"customers: {result.inserted} added, {result.updated} updated, {len(result.errors)} row(s) skipped"
    )
    return 1 if result.errors else 0


@command
async def cmd_disposition_add(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        await queues.add_disposition(conn, args.code, args.label or args.code, args.queue)
    print(
        f"disposition {args.code} added" + (f" to queue {args.queue}" if args.queue else " for every queue")
    )
    return 0


@command
async def cmd_disposition_remove(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        await queues.remove_disposition(conn, args.code, args.queue)
    print(f"disposition {args.code} removed")
    return 0


@command
async def cmd_disposition_list(args: argparse.Namespace, settings: Settings) -> int:
    async with connection(settings) as conn:
        rows = await queues.list_dispositions(conn, args.queue)
    print_table(["CODE", "LABEL", "QUEUE"], [[r["code"], r["label"], r["queue"] or "(all)"] for r in rows])
    return 0


# ---------------------------------------------------------------- Asterisk


@command
async def cmd_pjsip_agents(args: argparse.Namespace, settings: Settings) -> int:
    box = secret_box(settings.database)
    async with connection(settings) as conn:
        credentials = await agent_store.sip_credentials(conn, box)
    text = render_agents(credentials)
    if args.output:
        write_private(Path(args.output), text)
        print(f"{len(credentials)} agent(s) written to {args.output} (mode 0600)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
