"""The vendored SIP.js bundle is the documented 0.21.2 build, with its license."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import pytest

from tests.deploy.metricnames import REPO

VENDOR = REPO / "agent_ui" / "vendor"
BUNDLE = VENDOR / "sip-0.21.2.js"
# Also in agent_ui/vendor/README.md; change both when rebuilding.
BUNDLE_SHA256 = "0c064856848016ad94510234dcbc283202af18ab5e8574b505d38f465e022cd3"
TARBALL_SHA256 = "abbf374bccf50fdd0f659e24dd70a83a0bad09553bd16fa4b6c94021053f66cb"
NEEDED = {"UserAgent", "Registerer", "Inviter", "Invitation", "SessionState", "RegistererState", "Web"}


def test_bundle_and_license_are_shipped() -> None:
    text = BUNDLE.read_text()
    assert "0.21" in text and "SIP.js 0.21.2" in text.splitlines()[0]
    license_text = (VENDOR / "sip.js-LICENSE").read_text()
    assert "MIT License" in license_text and "Junction Networks" in license_text


def test_bundle_is_the_documented_build() -> None:
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == BUNDLE_SHA256
    readme = (VENDOR / "README.md").read_text()
    assert BUNDLE_SHA256 in readme and TARBALL_SHA256 in readme
    assert "esbuild" in readme and "--bundle --format=esm" in readme


def test_bundle_is_one_self_contained_es_module() -> None:
    text = BUNDLE.read_text()
    assert not re.search(r"^\s*import\s.+from\s", text, re.MULTILINE), "the bundle still imports modules"
    exported = re.search(r"^export \{(?P<names>[^}]*)\};?\s*$", text, re.MULTILINE | re.DOTALL)
    assert exported, "no ES module export list"
    names = {n.strip().split(" as ")[-1] for n in exported["names"].split(",") if n.strip()}
    assert names >= NEEDED, f"missing exports: {sorted(NEEDED - names)}"
    # Node treats the folder's .js files as ES modules (browsers ignore this file).
    assert json.loads((VENDOR / "package.json").read_text())["type"] == "module"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_imports_the_bundle_and_sees_the_sip_js_api() -> None:
    script = (
        f"import('{BUNDLE.as_uri()}').then(m => console.log(JSON.stringify({{"
        "keys: Object.keys(m), web: Object.keys(m.Web), states: Object.keys(m.SessionState)})))"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert set(found["keys"]) >= NEEDED
    assert {"SessionDescriptionHandler", "Transport", "SimpleUser"} <= set(found["web"])
    assert {"Initial", "Establishing", "Established", "Terminating", "Terminated"} == set(found["states"])
