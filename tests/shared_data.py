"""Where the recorded ARI traces and Asterisk's ARI Swagger live, for the tests that compare with them.

They sit beside the checkout in ``../shared`` (or wherever ``ACD_SHARED_DIR`` points). An outside
contributor may not have them: those tests then skip with a message saying so, and every other test
still runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    candidate = Path(os.environ.get("ACD_SHARED_DIR", REPO_ROOT.parent / "shared"))
    return candidate if (candidate / "ari-traces").is_dir() else None


def require_shared() -> Path:
    found = shared_dir()
    if found is None:
        pytest.skip(
            "the recorded ARI traces are not here: set ACD_SHARED_DIR to the folder holding "
            "ari-traces/ and ari-api-docs/ (by default ../shared beside the checkout)"
        )
    return found


def trace_names() -> list[str]:
    """Scenario names (file stems) of the recorded traces; empty when they are absent."""
    found = shared_dir()
    if found is None:
        return []
    return sorted(p.stem for p in (found / "ari-traces").glob("*.jsonl"))


def load_trace(name: str) -> list[dict[str, Any]]:
    base = require_shared()
    with open(base / "ari-traces" / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_swagger(resource: str) -> dict[str, Any]:
    base = require_shared()
    with open(base / "ari-api-docs" / f"{resource}.json", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data
