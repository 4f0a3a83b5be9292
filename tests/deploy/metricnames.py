"""The series names acd exposes, and how to find acd_* names in PromQL and JSON."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.utils import floatToGoString

from acd.metrics import HANDLE_BUCKETS, LATENCY_BUCKETS, WAIT_BUCKETS, Metrics

REPO = Path(__file__).resolve().parents[2]
ASTERISK_CONF = REPO / "asterisk_conf"
DEPLOY = REPO / "deploy"

# An acd_* series name in PromQL or prose; not the middle of a recording-rule name
# (queue:acd_calls_offered:increase_15m) nor of a longer identifier.
METRIC_TOKEN = re.compile(r"(?<![\w:])acd_[a-z0-9_]+(?![\w:])")
LE_LITERAL = re.compile(r"""\ble\s*=\s*["']([^"']+)["']""")


def exposed_series_names() -> set[str]:
    """Every series name acd/metrics.py exposes, with prometheus_client's suffixes."""
    names: set[str] = set()
    for family in Metrics().registry.collect():
        if family.type == "counter":
            # The family name has no _total; the samples are <name>_total and <name>_created.
            names |= {f"{family.name}_total", f"{family.name}_created"}
        elif family.type == "histogram":
            names |= {f"{family.name}{suffix}" for suffix in ("_bucket", "_sum", "_count", "_created")}
        elif family.type == "summary":
            names |= {family.name, f"{family.name}_sum", f"{family.name}_count", f"{family.name}_created"}
        else:
            names.add(family.name)
    return names


def family_names() -> set[str]:
    """The names metrics.py declares (a histogram's family name is no series, but prose uses it)."""
    return {family.name for family in Metrics().registry.collect()}


def exposed_bucket_bounds() -> set[str]:
    """Bucket bounds exactly as they appear in the exposition's le label ("20.0", "+Inf")."""
    bounds = {*WAIT_BUCKETS, *HANDLE_BUCKETS, *LATENCY_BUCKETS}
    return {floatToGoString(b) for b in bounds} | {"+Inf"}  # type: ignore[no-untyped-call]


def metric_tokens(text: str) -> set[str]:
    return set(METRIC_TOKEN.findall(text))


def without_yaml_comments(text: str) -> str:
    """YAML text without its whole-line ``#`` comments (prose may quote wrong examples)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
