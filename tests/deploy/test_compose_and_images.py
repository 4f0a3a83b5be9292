"""docker-compose.yml, the Dockerfile and the systemd unit hang together."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.metricnames import DEPLOY, REPO

COMPOSE = REPO / "docker-compose.yml"
NO_YAML = (
    "PyYAML is not a dependency of acd (nor of its test extra), so docker-compose.yml is not parsed "
    "here; the text-level compose checks still ran"
)


def compose_doc() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason=NO_YAML)
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=20)
    return done.returncode == 0


# ---- compose, as text (always runs) --------------------------------------------------------


def test_asterisk_image_is_a_pinned_22_release() -> None:
    images = re.findall(r"^\s*image:\s*(\S+)", COMPOSE.read_text(), re.MULTILINE)
    asterisk = [i for i in images if "asterisk" in i]
    assert asterisk == ["andrius/asterisk:22.10.1_debian-trixie"] or all(
        re.fullmatch(r"andrius/asterisk:22\.\d+\.\d+_debian-\w+", i) for i in asterisk
    ), asterisk
    assert not any(i.endswith((":latest", ":22")) for i in images)


def test_published_rtp_range_matches_the_compose_rtp_conf() -> None:
    published = re.search(r'"(\d+)-(\d+):(\d+)-(\d+)/udp"', COMPOSE.read_text())
    assert published, "no RTP range published"
    rtp = (DEPLOY / "asterisk" / "rtp.compose.conf").read_text()
    start = re.search(r"^rtpstart\s*=\s*(\d+)", rtp, re.MULTILINE)
    end = re.search(r"^rtpend\s*=\s*(\d+)", rtp, re.MULTILINE)
    assert start and end
    assert published.groups() == (start.group(1), end.group(1), start.group(1), end.group(1))


# ---- compose, parsed (needs PyYAML) --------------------------------------------------------


def test_compose_wires_the_stack() -> None:
    services = compose_doc()["services"]
    assert {"asterisk", "postgres", "redis", "acd", "prometheus", "grafana"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    acd = services["acd"]
    env = acd["environment"]
    for key in (
        "ACD_ARI__URL",
        "ACD_ARI__USERNAME",
        "ACD_ARI__PASSWORD",
        "ACD_ARI__APP",
        "ACD_DATABASE__DSN",
        "ACD_REDIS__URL",
        "ACD_WEB__HOST",
        "ACD_WEB__PORT",
    ):
        assert key in env, key
    assert env["ACD_ARI__URL"] == "http://asterisk:8088"
    conditions = {name: dep["condition"] for name, dep in acd["depends_on"].items()}
    assert conditions["postgres"] == conditions["redis"] == conditions["asterisk"] == "service_healthy"
    assert conditions["acd-db-init"] == "service_completed_successfully"
    assert services["acd-db-init"]["command"] == ["db", "init"]
    for name in ("asterisk", "postgres", "redis"):
        assert "healthcheck" in services[name], name


def test_compose_bind_mounts_exist_and_match_the_configs() -> None:
    services = compose_doc()["services"]
    mounts = {}
    for service in services.values():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("./"):
                path = REPO / source[2:]
                assert path.exists() or path.parent.is_dir(), f"{source} is missing"
                mounts[target] = source
    assert mounts["/etc/asterisk"] == "./asterisk_conf"
    assert mounts["/etc/prometheus"] == "./deploy/prometheus"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    assert "/var/lib/grafana/dashboards" in (DEPLOY / "grafana/provisioning/dashboards/acd.yml").read_text()
    assert mounts["/var/lib/grafana/dashboards"] == "./deploy/grafana/dashboards"


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    # Client-side only: `config` needs no Docker engine. With the compose v2 plugin, the file as
    # it is. Without it (Debian 12 ships only docker-compose 1.29, which ./scripts/ensure-services.sh
    # installs), the same check by v1 on a copy where the two v2-only constructs (top-level
    # `name`, optional `env_file` entries) are written the v1 way: everything else is validated.
    if docker_compose_available():
        done = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "-q"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return
    v1 = shutil.which("docker-compose")
    if v1 is None:
        pytest.fail(
            "neither `docker compose` nor `docker-compose` is installed: run ./scripts/ensure-services.sh"
        )
    data = yaml.safe_load(COMPOSE.read_text())
    assert data.pop("name") == "acd"
    for service in data["services"].values():
        if "env_file" in service:
            service["env_file"] = [
                str(REPO / (e["path"] if isinstance(e, dict) else e)) for e in service["env_file"]
            ]
    secrets = REPO / "deploy" / "secrets.env"
    copy = tmp_path / "docker-compose.yml"
    copy.write_text(yaml.safe_dump(data))
    env = {**os.environ}
    created = not secrets.exists()
    if created:
        shutil.copy(REPO / "deploy" / "secrets.env.example", secrets)
    try:
        done = subprocess.run(
            [v1, "-f", str(copy), "--project-directory", str(REPO), "config", "-q"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        if created:
            secrets.unlink()
    assert done.returncode == 0, done.stderr


# ---- Dockerfile and .dockerignore -----------------------------------------------------------


def test_dockerfile_runs_acd_as_non_root_with_a_healthcheck() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert "pip install ." in text
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    healthcheck = re.search(r"^HEALTHCHECK .*?(?=^\S)", text, re.MULTILINE | re.DOTALL)
    assert healthcheck and "/healthz" in healthcheck.group(0) and "8080" in healthcheck.group(0)
    assert re.search(r'^ENTRYPOINT \["acd"\]', text, re.MULTILINE)
    assert re.search(r'^CMD \["run"\]', text, re.MULTILINE)


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    lines = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "node_modules", ".env", "tests"} <= lines
    assert "acd" not in lines and "agent_ui" not in lines and "pyproject.toml" not in lines


# ---- systemd -------------------------------------------------------------------------------


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_unit_is_hardened_and_flushes_on_stop() -> None:
    unit = unit_settings("acd.service")
    assert unit["ExecStart"][-1].endswith("acd run")
    assert unit.get("DynamicUser") == ["yes"] or unit["User"][-1] not in ("root", "0")
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["StateDirectory"] == ["acd"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["NoNewPrivileges"] == ["yes"]
    stop = unit["TimeoutStopSec"][-1].removesuffix("s")
    assert int(stop) >= 30, "the outbox needs time to flush on stop"
    journal = [v for v in unit.get("Environment", []) if v.startswith("ACD_DATABASE__JOURNAL_DIR=")]
    assert journal, "the unit does not place the outbox journal"
    assert journal[0].split("=", 1)[1].startswith("/var/lib/acd"), "journal outside StateDirectory"
