"""Prometheus rules and the Grafana dashboard use only series that acd/metrics.py exposes."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.deploy.metricnames import (
    DEPLOY,
    LE_LITERAL,
    exposed_bucket_bounds,
    family_names,
    metric_tokens,
    without_yaml_comments,
)

ALERTS = DEPLOY / "prometheus" / "alerts.yml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "acd.json"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
NO_YAML = "PyYAML is not a dependency of acd (nor of its test extra); the text-level checks still ran"


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def dashboard_exprs() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


# ---- names (plain text: no YAML parser needed) -------------------------------------------


def test_every_metric_named_in_the_alert_rules_is_exposed_by_acd(series_names: set[str]) -> None:
    used = metric_tokens(without_yaml_comments(ALERTS.read_text()))
    assert used, "alerts.yml names no acd_* series"
    assert used <= series_names, f"not exposed by acd/metrics.py: {sorted(used - series_names)}"


def test_every_metric_queried_by_the_dashboard_is_exposed_by_acd(series_names: set[str]) -> None:
    used = {name for expr in dashboard_exprs() for name in metric_tokens(expr)}
    assert used, "the dashboard queries no acd_* series"
    assert used <= series_names, f"not exposed by acd/metrics.py: {sorted(used - series_names)}"


def test_every_metric_mentioned_in_the_dashboard_exists_in_acd(series_names: set[str]) -> None:
    # Titles and descriptions may name a histogram by its family name (acd_wait_seconds).
    used = metric_tokens(DASHBOARD.read_text())
    known = series_names | family_names()
    assert used <= known, f"not in acd/metrics.py: {sorted(used - known)}"


def test_bucket_bounds_are_written_as_the_exposition_writes_them() -> None:
    # prometheus_client exposes le="20.0"; a query for le="20" silently matches nothing.
    bounds = exposed_bucket_bounds()
    sources = (("alerts.yml", without_yaml_comments(ALERTS.read_text())), ("acd.json", DASHBOARD.read_text()))
    for name, text in sources:
        used = set(LE_LITERAL.findall(text))
        assert used <= bounds, f"{name}: le values {sorted(used - bounds)} are not exposed bucket bounds"


def test_alerts_cover_what_operators_expect() -> None:
    text = ALERTS.read_text()
    for needed in (
        "acd_oldest_wait_seconds",
        "acd_calls_waiting",
        'acd_agents{state="ready"}',
        "acd_ari_connected == 0",
        "acd_outbox_backlog",
        "acd_outbox_journal_bytes",
        "acd_database_up == 0",
        'acd_wait_seconds_bucket{outcome="answered", le="20.0"}',
        'acd_calls_abandoned_total{short="true"}',
        "acd_event_loop_lag_seconds",
        'up{job="acd"}',
    ):
        assert needed in text, f"alerts.yml has no rule on {needed}"


def test_dashboard_shows_queues_agents_and_daemon_health(series_names: set[str]) -> None:
    used = {name for expr in dashboard_exprs() for name in metric_tokens(expr)}
    expected = {
        "acd_calls_waiting",
        "acd_oldest_wait_seconds",
        "acd_wait_seconds_bucket",
        "acd_calls_offered_total",
        "acd_calls_answered_total",
        "acd_calls_abandoned_total",
        "acd_agents",
        "acd_ari_request_seconds_bucket",
        "acd_ari_errors_total",
        "acd_ari_websocket_reconnects_total",
        "acd_ari_events_total",
        "acd_ari_events_unparsed_total",
        "acd_event_loop_lag_seconds",
        "acd_outbox_backlog",
        "acd_outbox_journal_bytes",
        "acd_browser_connections",
    }
    assert expected <= used, f"the dashboard does not chart {sorted(expected - used)}"


def test_dashboard_panels_have_unique_ids_and_use_the_datasource_variable() -> None:
    data = dashboard()
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in data["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    for panel in data["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
    # The provisioned datasource's uid is the variable's default.
    assert f"uid: {variables['datasource']['current']['value']}" in DATASOURCES.read_text()


# ---- structure (needs PyYAML) -----------------------------------------------------------


def test_alert_rules_are_complete() -> None:
    yaml = pytest.importorskip("yaml", reason=NO_YAML)
    doc = yaml.safe_load(ALERTS.read_text())
    records = set()
    alerts = []
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                records.add(rule["record"])
            else:
                alerts.append(rule)
    assert len(alerts) >= 10
    for rule in alerts:
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    # Recording rules used by alerts are defined here.
    for rule in alerts:
        for token in rule["expr"].split():
            if token.startswith("queue:acd_"):
                assert token in records, f"{rule['alert']} uses undefined {token}"


def test_prometheus_scrapes_acd_and_loads_the_rules() -> None:
    yaml = pytest.importorskip("yaml", reason=NO_YAML)
    doc = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in doc["scrape_configs"]}
    assert jobs["acd"]["metrics_path"] == "/metrics"
    assert jobs["acd"]["static_configs"][0]["targets"] == ["acd:8080"]
    # compose mounts deploy/prometheus at /etc/prometheus.
    assert [f.rsplit("/", 1)[-1] for f in doc["rule_files"]] == ["alerts.yml"]


# ---- promtool (when installed: Debian package "prometheus") ---------------------------------


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    folder = DEPLOY / "prometheus"
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]):
        done = subprocess.run(["promtool", *args], cwd=folder, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
