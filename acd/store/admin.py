"""The admin commands of the ``acd`` CLI: database, agents, queues, customers, dispositions, PJSIP.

Contract with acd/cli.py: :func:`register` adds the subcommands to the CLI's subparsers; every
leaf stores ``func = async def (args: argparse.Namespace, settings: Settings) -> int`` (the exit
code) in its defaults, and the CLI runs ``asyncio.run(args.func(args, settings))``.

Exit codes: 0 done; 1 refused by the data (duplicate, unknown agent or queue, database
unreachable, secret key missing); 2 bad input (an invalid value, no terminal to ask a password
on). Errors are one line on stderr, ``acd: <what is wrong>``.

Secrets are never taken from argv (it is visible in ``ps`` and shell history): passwords are
asked on the terminal (getpass, twice) or read from stdin with ``--password-stdin``; a SIP secret
is generated unless ``--sip-password-stdin`` (then it is the next stdin line, after the login
password when both are read). Listings never show a hash or a secret.
"""

from __future__ import annotations

import argparse
from typing import Any

from acd.store import agents as agent_store
from acd.store.admin_commands import (
    QUEUE_OPTIONS,
    cmd_agent_add,
    cmd_agent_list,
    cmd_agent_set,
    cmd_agent_set_password,
    cmd_agent_set_sip_password,
    cmd_customer_import,
    cmd_db_gen_key,
    cmd_db_init,
    cmd_disposition_add,
    cmd_disposition_list,
    cmd_disposition_remove,
    cmd_member_add,
    cmd_member_remove,
    cmd_pjsip_agents,
    cmd_queue_add,
    cmd_queue_list,
    cmd_queue_set,
    enable_command,
)
from acd.store.cli_support import Handler
from acd.store.report_cli import register_report

__all__ = ["Handler", "register"]


# ---------------------------------------------------------------- argparse


def register(subparsers: Any) -> None:
    """Add ``db``, ``agent``, ``queue``, ``customer``, ``disposition``, ``asterisk``, ``report``."""
    dbp = subparsers.add_parser("db", help="the PostgreSQL schema").add_subparsers(
        dest="db_command", required=True
    )
    dbp.add_parser("init", help="create the database if needed and apply schema.sql").set_defaults(
        func=cmd_db_init
    )
    dbp.add_parser("gen-key", help="print a new database.secret_key").set_defaults(func=cmd_db_gen_key)

    agent = subparsers.add_parser("agent", help="agents in PostgreSQL").add_subparsers(
        dest="agent_command", required=True
    )
    add = agent.add_parser("add", help="add an agent (password asked, or read with --password-stdin)")
    add.add_argument("agent_id", metavar="AGENT_ID")
    add.add_argument("--name")
    add.add_argument("--email")
    add.add_argument("--sip-username", help="PJSIP endpoint name (default: AGENT_ID)")
    add.add_argument("--sip-domain", help="default: web.sip_domain")
    add.add_argument("--role", choices=agent_store.ROLES, default="agent")
    add.add_argument(
        "--queue", action="append", metavar="QUEUE[:LEVEL]", help="repeatable; level 1 by default"
    )
    add.add_argument("--wrapup", type=float, help="wrap-up seconds for this agent, overriding its queues'")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the login password from stdin's first line"
    )
    add.add_argument(
        "--sip-password-stdin", action="store_true", help="read the SIP password from the next stdin line"
    )
    add.set_defaults(func=cmd_agent_add)
    lst = agent.add_parser("list", help="agents and their queues (never a secret)")
    lst.add_argument("--enabled-only", action="store_true")
    lst.set_defaults(func=cmd_agent_list)
    pw = agent.add_parser("set-password", help="change an agent's login password")
    pw.add_argument("agent_id", metavar="AGENT_ID")
    pw.add_argument("--password-stdin", action="store_true")
    pw.set_defaults(func=cmd_agent_set_password)
    sip = agent.add_parser(
        "set-sip-password", help="generate (or read with --sip-password-stdin) a new SIP secret"
    )
    sip.add_argument("agent_id", metavar="AGENT_ID")
    sip.add_argument("--sip-password-stdin", action="store_true")
    sip.set_defaults(func=cmd_agent_set_sip_password)
    for name, value in (("enable", True), ("disable", False)):
        p = agent.add_parser(name, help=f"{name} an agent")
        p.add_argument("agent_id", metavar="AGENT_ID")
        p.set_defaults(func=enable_command(value))
    st = agent.add_parser("set", help="change an agent's name, email, role, SIP domain or wrap-up")
    st.add_argument("agent_id", metavar="AGENT_ID")
    st.add_argument("--name")
    st.add_argument("--email")
    st.add_argument("--role", choices=agent_store.ROLES)
    st.add_argument("--sip-domain")
    st.add_argument("--wrapup", dest="wrapup_seconds", type=float)
    st.set_defaults(func=cmd_agent_set)

    queue = subparsers.add_parser("queue", help="queues in PostgreSQL").add_subparsers(
        dest="queue_command", required=True
    )
    for name, func, help_text in (
        ("add", cmd_queue_add, "add a queue (defaults as in acd.config.QueueSettings)"),
        ("set", cmd_queue_set, "change a queue's settings"),
    ):
        p = queue.add_parser(name, help=help_text)
        p.add_argument("name", metavar="NAME")
        for key, flag, kind in QUEUE_OPTIONS:
            p.add_argument(flag, dest=key, type=kind)
        p.add_argument("--require-disposition", action=argparse.BooleanOptionalAction, default=None)
        p.add_argument("--tier", action="append", metavar="AFTER_SECONDS:MAX_LEVEL")
        p.set_defaults(func=func)
    queue.add_parser("list", help="queues and their member counts").set_defaults(func=cmd_queue_list)
    member = queue.add_parser("member", help="agents' memberships").add_subparsers(
        dest="member_command", required=True
    )
    madd = member.add_parser("add", help="add an agent to a queue (or change its level)")
    madd.add_argument("queue", metavar="QUEUE")
    madd.add_argument("agent_id", metavar="AGENT_ID")
    madd.add_argument("--level", type=int, default=1)
    madd.set_defaults(func=cmd_member_add)
    mrm = member.add_parser("remove", help="remove an agent from a queue")
    mrm.add_argument("queue", metavar="QUEUE")
    mrm.add_argument("agent_id", metavar="AGENT_ID")
    mrm.set_defaults(func=cmd_member_remove)

    customer = subparsers.add_parser("customer", help="the built-in CRM").add_subparsers(
        dest="customer_command", required=True
    )
    imp = customer.add_parser("import", help="upsert customers from CSV: number,name,account,notes,tags")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--skip-invalid", action="store_true", help="import the good rows even if some are bad")
    imp.set_defaults(func=cmd_customer_import)

    disp = subparsers.add_parser("disposition", help="wrap-up disposition codes").add_subparsers(
        dest="disposition_command", required=True
    )
    dadd = disp.add_parser("add", help="add a code (for one queue, or every queue)")
    dadd.add_argument("code", metavar="CODE")
    dadd.add_argument("--label")
    dadd.add_argument("--queue")
    dadd.set_defaults(func=cmd_disposition_add)
    drm = disp.add_parser("remove", help="remove a code")
    drm.add_argument("code", metavar="CODE")
    drm.add_argument("--queue")
    drm.set_defaults(func=cmd_disposition_remove)
    dls = disp.add_parser("list", help="codes (those of one queue with --queue)")
    dls.add_argument("--queue")
    dls.set_defaults(func=cmd_disposition_list)

    ast = subparsers.add_parser("asterisk", help="Asterisk configuration").add_subparsers(
        dest="asterisk_command", required=True
    )
    pj = ast.add_parser(
        "pjsip-agents", help="print the PJSIP sections of every enabled agent (holds SIP secrets)"
    )
    pj.add_argument(
        "--output", metavar="FILE", help="write to FILE (mode 0600, atomically) instead of stdout"
    )
    pj.set_defaults(func=cmd_pjsip_agents)

    register_report(subparsers)
