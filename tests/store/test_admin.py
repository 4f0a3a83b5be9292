"""The admin CLI, driven through its real argparse tree against a real database."""

from __future__ import annotations

import argparse
import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
from argon2 import PasswordHasher

from acd.config import DatabaseSettings, QueueSettings, Settings, Strategy, Tier
from acd.engine.inputs import AgentProfile
from acd.store import admin, crypto, db
from acd.store.agents import authenticate
from acd.store.crypto import SecretBox, generate_secret_key, verify_password


@pytest.fixture
def settings(dsn: str, tmp_path: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(
            dsn=dsn, journal_dir=tmp_path / "journal", secret_key=generate_secret_key()
        ),
        queues=[QueueSettings(name="from-config")],
    )


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny costs: these tests are about the CLI, not about argon2's parameters
    (test_agent_add_hashes_the_password... checks the real ones)."""
    monkeypatch.setattr(crypto, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acd")
    admin.register(parser.add_subparsers(dest="command", required=True))
    return parser


class Cli:
    def __init__(
        self,
        parser: argparse.ArgumentParser,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.parser, self.settings, self.monkeypatch, self.capsys = parser, settings, monkeypatch, capsys

    async def __call__(self, *argv: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        args = self.parser.parse_args(argv)
        with structlog.testing.capture_logs():  # logs go to stderr in the real CLI; keep stdout clean
            code = await args.func(args, self.settings)
        out = self.capsys.readouterr()
        return code, out.out, out.err


@pytest.fixture
def cli(
    parser: argparse.ArgumentParser,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    return Cli(parser, settings, monkeypatch, capsys)


def box(settings: Settings) -> SecretBox:
    assert settings.database.secret_key is not None
    return SecretBox(settings.database.secret_key.get_secret_value())


async def test_db_init_is_idempotent_from_the_cli(cli: Cli) -> None:
    code, out, _ = await cli("db", "init")
    assert code == 0 and out.startswith(f"schema version {db.SCHEMA_VERSION} applied")


async def test_agent_add_hashes_the_password_and_encrypts_the_sip_secret(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, conn: Any, settings: Settings
) -> None:
    monkeypatch.setattr(crypto, "_hasher", PasswordHasher())  # argon2-cffi's defaults, as in production
    assert (await cli("queue", "add", "support"))[0] == 0
    code, out, err = await cli(
        "agent",
        "add",
        "alice",
        "--name",
        "Alice Martin",
        "--email",
        "alice@example.com",
        "--queue",
        "support:2",
        "--password-stdin",
        "--sip-password-stdin",
        stdin="correct horse battery\nsip-secret-0123456789\n",
    )
    assert (code, err) == (0, "")
    assert out == "agent alice added: SIP username alice, role agent, queues support:2\n"
    row = await conn.fetchrow("SELECT * FROM cc_agents WHERE agent_id = 'alice'")
    assert row["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert await verify_password(row["password_hash"], "correct horse battery")
    assert b"sip-secret" not in bytes(row["sip_password"])
    assert box(settings).decrypt(row["sip_password"]) == "sip-secret-0123456789"
    # Neither secret appears anywhere in the row's text.
    text = await conn.fetchval("SELECT a::text FROM cc_agents a WHERE agent_id = 'alice'")
    assert "correct horse" not in text and "sip-secret" not in text
    assert (row["sip_username"], row["sip_domain"], row["role"], row["enabled"]) == (
        "alice",
        "127.0.0.1",
        "agent",
        True,
    )
    assert await conn.fetchval("SELECT level FROM cc_queue_members WHERE agent_id = 'alice'") == 2
    assert (await authenticate(conn, "alice", "correct horse battery")) is not None
    assert await authenticate(conn, "alice", "wrong") is None


async def test_agent_add_generates_a_sip_secret_by_default(cli: Cli, conn: Any, settings: Settings) -> None:
    code, out, _ = await cli("agent", "add", "bob", "--password-stdin", stdin="long enough pw\n")
    assert code == 0 and "SIP password generated" in out
    secret = box(settings).decrypt(
        await conn.fetchval("SELECT sip_password FROM cc_agents WHERE agent_id = 'bob'")
    )
    assert len(secret) == 24 and secret not in out


async def test_bad_agent_requests_are_refused_with_one_clear_line(cli: Cli) -> None:
    pw = "long enough pw\n"
    assert (await cli("agent", "add", "alice", "--password-stdin", stdin=pw))[0] == 0
    assert await cli("agent", "add", "alice", "--password-stdin", stdin=pw) == (
        1,
        "",
        "acd: agent 'alice' already exists\n",
    )
    assert await cli("agent", "add", "al2", "--sip-username", "alice", "--password-stdin", stdin=pw) == (
        1,
        "",
        "acd: SIP username 'alice' is already used by agent 'alice'\n",
    )
    assert await cli("agent", "add", "carol", "--queue", "nope", "--password-stdin", stdin=pw) == (
        1,
        "",
        "acd: unknown queue(s) nope: add them first with `acd queue add`\n",
    )
    code, _, err = await cli("agent", "add", "bad id", "--password-stdin", stdin=pw)
    assert code == 2 and err.startswith("acd: invalid agent id 'bad id'")
    assert await cli("agent", "add", "dave", "--password-stdin", stdin="short\n") == (
        2,
        "",
        "acd: the password must have at least 8 characters\n",
    )
    assert await cli("agent", "add", "dave") == (
        2,
        "",
        "acd: no terminal to ask the password on: pipe it with --password-stdin\n",
    )
    assert await cli("agent", "set-password", "nobody", "--password-stdin", stdin=pw) == (
        1,
        "",
        "acd: unknown agent 'nobody'\n",
    )


async def test_agent_add_without_a_secret_key_says_how_to_make_one(cli: Cli, settings: Settings) -> None:
    settings.database.secret_key = None
    code, _, err = await cli("agent", "add", "alice", "--password-stdin", stdin="long enough pw\n")
    assert code == 1 and "database.secret_key is not set" in err and "acd db gen-key" in err


async def test_agent_list_never_shows_a_secret(cli: Cli, conn: Any) -> None:
    await cli("queue", "add", "support")
    await cli(
        "agent",
        "add",
        "alice",
        "--name",
        "Alice",
        "--queue",
        "support",
        "--password-stdin",
        "--sip-password-stdin",
        stdin="correct horse battery\nsip-secret-0123456789\n",
    )
    await conn.execute(
        "INSERT INTO cc_agents (agent_id, enabled, placeholder) VALUES ('static1', false, true)"
    )
    code, out, _ = await cli("agent", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "AGENT",
        "NAME",
        "ROLE",
        "ENABLED",
        "SIP",
        "USER",
        "SIP",
        "DOMAIN",
        "QUEUES",
        "EMAIL",
    ]
    assert lines[1].split() == ["alice", "Alice", "agent", "yes", "alice", "127.0.0.1", "support:1", "-"]
    assert lines[2].split()[0] == "static1" and "placeholder" in lines[2]
    for secret in ("correct horse", "sip-secret", "$argon2", "gAAAA"):
        assert secret not in out


async def test_password_change_enable_disable_and_placeholders(cli: Cli, conn: Any) -> None:
    await cli("agent", "add", "alice", "--password-stdin", stdin="first password\n")
    assert (await cli("agent", "set-password", "alice", "--password-stdin", stdin="second password\n"))[
        0
    ] == 0
    assert await authenticate(conn, "alice", "second password") is not None
    assert (await cli("agent", "disable", "alice"))[1] == "agent alice disabled\n"
    assert await authenticate(conn, "alice", "second password") is None  # a disabled agent cannot log in
    assert (await cli("agent", "disable", "alice"))[1] == "agent alice disabled (it already was disabled)\n"
    assert (await cli("agent", "enable", "alice"))[1] == "agent alice enabled\n"
    # A placeholder the outbox made cannot be enabled; `agent add` completes it.
    await conn.execute(
        "INSERT INTO cc_agents (agent_id, enabled, placeholder) VALUES ('static1', false, true)"
    )
    code, _, err = await cli("agent", "enable", "static1")
    assert code == 1 and "complete it with `acd agent add static1" in err
    code, out, _ = await cli("agent", "add", "static1", "--password-stdin", stdin="static password\n")
    assert code == 0 and "completed" in out
    assert await conn.fetchval("SELECT enabled AND NOT placeholder FROM cc_agents WHERE agent_id = 'static1'")
    assert (await cli("agent", "set", "alice", "--role", "supervisor", "--name", "Al"))[0] == 0
    assert tuple(await conn.fetchrow("SELECT name, role FROM cc_agents WHERE agent_id = 'alice'")) == (
        "Al",
        "supervisor",
    )


async def test_queues_and_memberships(cli: Cli, conn: Any) -> None:
    code, out, _ = await cli(
        "queue",
        "add",
        "sales",
        "--strategy",
        "round-robin",
        "--ring-timeout",
        "20",
        "--wrapup",
        "30",
        "--max-wait",
        "120",
        "--overflow",
        "queue:from-config",
        "--tier",
        "30:2",
        "--require-disposition",
        "--exit-key",
        "0",
    )
    assert code == 0, out
    assert await cli("queue", "add", "sales") == (1, "", "acd: queue 'sales' already exists\n")
    code, _, err = await cli("queue", "add", "x", "--strategy", "loudest")
    assert code == 2 and err.startswith("acd: invalid strategy")
    assert await cli("queue", "add", "y", "--overflow", "queue:nowhere") == (
        1,
        "",
        "acd: queue 'y' overflows to unknown queue 'nowhere'\n",
    )
    assert (await cli("queue", "set", "sales", "--priority", "5"))[0] == 0
    await cli("agent", "add", "alice", "--password-stdin", stdin="long enough pw\n")
    assert (await cli("queue", "member", "add", "sales", "alice", "--level", "2"))[1] == (
        "agent alice added to queue sales at level 2\n"
    )
    assert (await cli("queue", "member", "add", "sales", "alice", "--level", "1"))[1] == (
        "agent alice in queue sales: level 2 -> 1\n"
    )
    assert await cli("queue", "member", "add", "sales", "nobody") == (1, "", "acd: unknown agent 'nobody'\n")
    assert await cli("queue", "member", "add", "nope", "alice") == (1, "", "acd: unknown queue 'nope'\n")
    code, out, _ = await cli("queue", "list")
    assert out.splitlines()[1].split() == [
        "sales",
        "5",
        "round-robin",
        "20",
        "30",
        "120",
        "queue:from-config",
        "20",
        "1",
    ]

    roster = await db.load_roster(conn)
    assert roster.queues == [
        QueueSettings(
            name="sales",
            priority=5,
            strategy=Strategy.ROUND_ROBIN,
            ring_timeout=20,
            wrapup_seconds=30,
            require_disposition=True,
            max_wait=120,
            overflow="queue:from-config",
            exit_key="0",
            tiers=[Tier(after_seconds=30, max_level=2)],
        )
    ]
    assert roster.agents == [AgentProfile("alice", "alice", "PJSIP/alice", {"sales": 1}, None)]

    assert (await cli("queue", "member", "remove", "sales", "alice"))[0] == 0
    assert await cli("queue", "member", "remove", "sales", "alice") == (
        1,
        "",
        "acd: agent 'alice' is not a member of queue 'sales'\n",
    )
    await cli("agent", "disable", "alice")
    assert (await db.load_roster(conn)).agents == []  # disabled agents are not routed to


async def test_customer_import_reports_bad_rows_by_line_and_is_all_or_nothing(
    cli: Cli, conn: Any, tmp_path: Path
) -> None:
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "number,name,account,notes,tags\n"
        "+1 (555) 010-0001,Ann,A-1,likes email,vip;billing\n"  # line 2
        "call me maybe,Bob,,,\n"  # line 3: not a number
        '0044 20 7946 0000,Carl,C-3,"multi\nline note",\n'  # lines 4-5 (a quoted newline)
        "+15550100001,Ann again,,,\n"  # line 6: duplicate of line 2
    )
    code, out, err = await cli("customer", "import", str(csv_file))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{csv_file}: line 3: not a phone number: 'call me maybe' (an optional '+' and 3 to 20 digits)",
        f"{csv_file}: line 6: duplicate number +15550100001 (first on line 2)",
        "acd: 2 bad row(s): nothing imported (fix them, or use --skip-invalid)",
    ]
    assert await conn.fetchval("SELECT count(*) FROM cc_customers") == 0

    code, out, _ = await cli("customer", "import", str(csv_file), "--skip-invalid")
    assert code == 1 and out == "customers: 2 added, 0 updated, 2 row(s) skipped\n"
    rows = await conn.fetch("SELECT number, name, account, notes, tags FROM cc_customers ORDER BY number")
    assert [tuple(r) for r in rows] == [
        ("+15550100001", "Ann", "A-1", "likes email", ["vip", "billing"]),
        ("+442079460000", "Carl", "C-3", "multi\nline note", []),
    ]
    csv_file.write_text("number,name\n+15550100001,Ann Updated\n")
    assert await cli("customer", "import", str(csv_file)) == (
        0,
        "customers: 0 added, 1 updated, 0 row(s) skipped\n",
        "",
    )
    assert await cli("customer", "import", str(tmp_path / "missing.csv")) == (
        2,
        "",
        f"acd: cannot read {tmp_path / 'missing.csv'}: No such file or directory\n",
    )


async def test_dispositions(cli: Cli) -> None:
    await cli("queue", "add", "sales")
    assert (await cli("disposition", "add", "sale", "--label", "Sale", "--queue", "sales"))[0] == 0
    assert (await cli("disposition", "add", "callback"))[0] == 0
    assert await cli("disposition", "add", "callback") == (
        1,
        "",
        "acd: disposition 'callback' already exists for every queue\n",
    )
    _, out, _ = await cli("disposition", "list", "--queue", "sales")
    assert [line.split()[0] for line in out.splitlines()] == ["CODE", "callback", "sale"]


async def test_pjsip_agents_prints_one_trio_per_enabled_agent(cli: Cli, tmp_path: Path) -> None:
    await cli(
        "agent",
        "add",
        "alice",
        "--name",
        'Alice; "Boss" Martin',
        "--password-stdin",
        "--sip-password-stdin",
        stdin="long enough pw\nsip-secret-0123456789\n",
    )
    await cli(
        "agent",
        "add",
        "bob",
        "--sip-username",
        "bob.sip",
        "--password-stdin",
        "--sip-password-stdin",
        stdin="long enough pw\nbob-secret-0123456789\n",
    )
    await cli("agent", "add", "gone", "--password-stdin", stdin="long enough pw\n")
    await cli("agent", "disable", "gone")
    code, out, _ = await cli("asterisk", "pjsip-agents")
    assert code == 0
    assert out == (
        "; GENERATED by `acd asterisk pjsip-agents` from PostgreSQL: do not edit, regenerate.\n"
        "; 2 enabled agent(s). Templates: asterisk_conf/pjsip.conf.\n"
        "\n"
        "; acd agent alice (Alice\\; Boss Martin)\n"
        "[alice](acd-agent-endpoint)\n"
        "aors = alice\n"
        "auth = alice-auth\n"
        'callerid = "Alice\\; Boss Martin" <alice>\n'
        "\n"
        "[alice](acd-agent-aor)\n"
        "\n"
        "[alice-auth](acd-agent-auth)\n"
        "username = alice\n"
        "password = sip-secret-0123456789\n"
        "\n"
        "; acd agent bob (bob)\n"
        "[bob.sip](acd-agent-endpoint)\n"
        "aors = bob.sip\n"
        "auth = bob.sip-auth\n"
        'callerid = "bob" <bob.sip>\n'
        "\n"
        "[bob.sip](acd-agent-aor)\n"
        "\n"
        "[bob.sip-auth](acd-agent-auth)\n"
        "username = bob.sip\n"
        "password = bob-secret-0123456789\n"
    )
    target = tmp_path / "pjsip_agents.conf"
    code, out, err = await cli("asterisk", "pjsip-agents", "--output", str(target))
    assert code == 0 and out == "" and "2 agent(s) written" in err
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert "password = bob-secret-0123456789" in target.read_text()


async def test_an_unreachable_database_is_one_line(cli: Cli, settings: Settings) -> None:
    settings.database.dsn = "postgresql://postgres:hunter2@127.0.0.1:1/acd"
    code, _, err = await cli("queue", "list")
    assert code == 1 and err.startswith(
        "acd: cannot reach PostgreSQL at postgresql://postgres:***@127.0.0.1:1/acd"
    )
    assert "hunter2" not in err
