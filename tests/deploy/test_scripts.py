"""The helper scripts work: lab certificate, and the agents' endpoint sync with its safety nets."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.metricnames import ASTERISK_CONF, DEPLOY

SYNC = DEPLOY / "sync-agents.sh"
ONE_AGENT = """; acd agent alice (Alice)
[alice](acd-agent-endpoint)
aors = alice
auth = alice

[alice](acd-agent-aor)

[alice](acd-agent-auth)
username = alice
password = s3cret\\;x
"""


@pytest.mark.parametrize(
    "script", [ASTERISK_CONF / "make-lab-cert.sh", SYNC, DEPLOY / "asterisk" / "fetch-sounds.sh"]
)
def test_scripts_are_executable_bash(script: Path) -> None:
    assert os.access(script, os.X_OK), f"{script.name} is not executable"
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_lab_certificate_covers_the_given_names(tmp_path: Path) -> None:
    env = {**os.environ, "ACD_LAB_CERT_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(ASTERISK_CONF / "make-lab-cert.sh"), "pbx.lab.example", "192.0.2.7"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "asterisk.crt"), "-noout", "-text"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert "DNS:pbx.lab.example" in text and "IP Address:192.0.2.7" in text
    assert (tmp_path / "asterisk.key").is_file()


@pytest.fixture
def sync_env(tmp_path: Path) -> dict[str, str]:
    """A fake `acd asterisk pjsip-agents` (prints $GEN_OUTPUT, fails if $GEN_FAIL) and a fake asterisk."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "asterisk").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/asterisk.log\n')
    (bin_dir / "fake-acd").write_text('#!/bin/sh\n[ -n "$GEN_FAIL" ] && exit 3\nprintf "%s" "$GEN_OUTPUT"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "ASTERISK_AGENTS_FILE": str(tmp_path / "etc" / "acd" / "pjsip_agents.conf"),
        "ACD_PJSIP_AGENTS_CMD": str(bin_dir / "fake-acd"),
        "GEN_OUTPUT": ONE_AGENT,
        "GEN_FAIL": "",
    }


def run_sync(env: dict[str, str], *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYNC), *args], env={**env, **overrides}, capture_output=True, text=True, timeout=60
    )


def reloads(env: dict[str, str]) -> int:
    log = Path(env["ASTERISK_AGENTS_FILE"]).parents[2] / "asterisk.log"
    return log.read_text().count("module reload res_pjsip.so") if log.exists() else 0


def test_sync_writes_new_agents_and_reloads_only_on_change(sync_env: dict[str, str]) -> None:
    target = Path(sync_env["ASTERISK_AGENTS_FILE"])
    assert run_sync(sync_env).returncode == 0
    assert target.read_text() == ONE_AGENT
    assert oct(target.stat().st_mode & 0o777) == "0o640", "the file holds SIP passwords"
    assert reloads(sync_env) == 1
    assert run_sync(sync_env).returncode == 0
    assert reloads(sync_env) == 1, "reloaded although nothing changed"


def test_sync_keeps_the_file_when_the_generator_fails(sync_env: dict[str, str]) -> None:
    target = Path(sync_env["ASTERISK_AGENTS_FILE"])
    run_sync(sync_env)
    done = run_sync(sync_env, GEN_FAIL="1", GEN_OUTPUT="")
    assert done.returncode == 1
    assert target.read_text() == ONE_AGENT
    assert reloads(sync_env) == 1


def test_sync_refuses_to_drop_every_agent_unless_told(sync_env: dict[str, str]) -> None:
    target = Path(sync_env["ASTERISK_AGENTS_FILE"])
    run_sync(sync_env)
    refused = run_sync(sync_env, GEN_OUTPUT="; no agents\n")
    assert refused.returncode == 1 and "refusing" in refused.stderr
    assert target.read_text() == ONE_AGENT
    assert run_sync(sync_env, "--allow-empty", GEN_OUTPUT="; no agents\n").returncode == 0
    assert target.read_text() == "; no agents\n"
    assert reloads(sync_env) == 2
