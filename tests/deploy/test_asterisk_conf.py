"""asterisk_conf/ fits the daemon: Stasis app and contexts, WebRTC agents, ARI user, modules."""

from __future__ import annotations

import re

import pytest

from acd.config import AriSettings, EngineSettings
from tests.deploy.confparse import ConfFile, Step, dialplan_globals, parse_conf, parse_dialplan
from tests.deploy.metricnames import ASTERISK_CONF, REPO

EXTENSIONS = ASTERISK_CONF / "extensions.conf"
PJSIP = ASTERISK_CONF / "pjsip.conf"
# What the daemon sets ACD_RESULT to when it continues a caller (like app_queue's QUEUESTATUS).
ACD_RESULTS = ("timeout", "full", "joinempty", "leaveempty", "exitkey", "unknownqueue")
# Applications that make a fallback: the caller is routed, told something or dialled onwards.
FALLBACK_APPS = {"Goto", "GotoIf", "Playback", "Dial", "Queue", "VoiceMail", "Gosub", "ExecIf"}


@pytest.fixture(scope="module")
def dialplan() -> dict[str, list[Step]]:
    return parse_dialplan(EXTENSIONS)


@pytest.fixture(scope="module")
def pjsip() -> ConfFile:
    return parse_conf(PJSIP)


def stasis_steps(dialplan: dict[str, list[Step]]) -> list[tuple[list[Step], int]]:
    return [(steps, i) for steps in dialplan.values() for i, s in enumerate(steps) if s.app == "Stasis"]


# ---- extensions.conf ----------------------------------------------------------------------


def test_dialplan_routes_inbound_and_outbound_calls_into_the_acd_app(dialplan: dict[str, list[Step]]) -> None:
    text = EXTENSIONS.read_text()
    app = AriSettings().app
    assert f"Stasis({app},inbound," in text
    assert f"Stasis({app},outbound,${{EXTEN}})" in text
    for steps, i in stasis_steps(dialplan):
        assert steps[i].args.split(",")[0] == app, f"[{steps[i].context}] uses another Stasis app"


def test_every_stasis_is_followed_by_a_fallback_not_a_hangup(dialplan: dict[str, list[Step]]) -> None:
    found = stasis_steps(dialplan)
    assert len(found) >= 2
    for steps, i in found:
        stasis = steps[i]
        rest = [s for s in steps[i + 1 :] if s.exten == stasis.exten]
        where = f"[{stasis.context}] {stasis.exten}"
        assert rest, f"{where}: nothing after Stasis(): a failed Stasis would drop the call"
        assert rest[0].app != "Hangup", f"{where}: Stasis() is followed by a bare Hangup()"
        before_hangup = []
        for step in rest:
            if step.app == "Hangup":
                break
            before_hangup.append(step.app)
        assert FALLBACK_APPS & set(before_hangup), f"{where}: no fallback after Stasis()"


def test_inbound_fallback_reads_stasisstatus_and_acd_result(dialplan: dict[str, list[Step]]) -> None:
    inbound = "\n".join(f"{s.app}({s.args})" for s in dialplan["acd-inbound"])
    assert "ACD_RESULT" in inbound and "STASISSTATUS" in inbound
    handled = {s.exten for s in dialplan["acd-result"]}
    assert set(ACD_RESULTS) <= handled, f"ACD_RESULT values without a route: {set(ACD_RESULTS) - handled}"


def test_contexts_the_daemon_dials_into_exist(dialplan: dict[str, list[Step]]) -> None:
    engine = EngineSettings()
    for context in (engine.outbound_context, engine.transfer_context):
        assert dialplan.get(context), f"extensions.conf has no [{context}]"
    # Local/<number>@acd-outbound and a transfer to <number>,1 need patterns taking digits and '+'.
    for context in (engine.outbound_context, engine.transfer_context):
        patterns = {s.exten for s in dialplan[context]}
        assert any(p.startswith("_[+0-9") for p in patterns), f"[{context}] takes no +E.164 number"
    outbound = [s for s in dialplan[engine.outbound_context] if s.app == "Dial"]
    assert outbound and "${TRUNK}" in outbound[0].args


def test_every_literal_goto_target_exists(dialplan: dict[str, list[Step]]) -> None:
    targets: list[str] = []
    for steps in dialplan.values():
        for step in steps:
            if step.app == "Goto":
                targets.append(step.args)
            elif step.app == "GotoIf" and "?" in step.args:
                targets += [t for t in step.args.split("?", 1)[1].split(":") if t]
    for target in targets:
        parts = target.split(",")
        if len(parts) == 3 and "$" not in parts[0]:
            assert parts[0] in dialplan, f"Goto to missing context [{parts[0]}]"


def test_trunk_global_names_the_trunk_endpoint_of_the_example() -> None:
    trunk = dialplan_globals(EXTENSIONS)["TRUNK"]
    example = parse_conf(
        PJSIP, text=PJSIP.read_text() + "\n#include pjsip_trunk.conf.example\n", follow_includes=True
    )
    endpoints = {s.name: opts for s, opts in example.of_type("endpoint")}
    assert trunk in endpoints
    assert endpoints[trunk]["context"] == "from-trunk"
    kinds = {opts["type"] for s, opts in example.of_type("registration") + example.of_type("identify")}
    assert kinds == {"registration", "identify"}
    assert example.of_type("auth")


# ---- pjsip.conf ---------------------------------------------------------------------------


def test_agent_endpoint_template_is_webrtc(pjsip: ConfFile, dialplan: dict[str, list[Step]]) -> None:
    endpoint = pjsip.effective(pjsip.template("acd-agent-endpoint"))
    assert endpoint["type"] == "endpoint"
    assert endpoint["webrtc"] == "yes"
    for key, value in (
        ("use_avpf", "yes"),
        ("media_encryption", "dtls"),
        ("ice_support", "yes"),
        ("rtcp_mux", "yes"),
        ("dtls_verify", "fingerprint"),
    ):
        assert endpoint[key] == value, key
    assert endpoint.get("dtls_auto_generate_cert") == "yes" or endpoint.get("dtls_cert_file")
    assert {"opus", "ulaw"} <= set(endpoint["allow"].split(","))
    transports = {s.name: opts for s, opts in pjsip.of_type("transport")}
    assert transports[endpoint["transport"]]["protocol"] == "wss"
    assert dialplan.get(endpoint["context"]), f"no agents' context [{endpoint['context']}] in the dialplan"


def test_agent_aor_template_keeps_one_registration_and_qualifies_it(pjsip: ConfFile) -> None:
    aor = pjsip.effective(pjsip.template("acd-agent-aor"))
    assert aor["type"] == "aor"
    assert aor["max_contacts"] == "1"
    assert aor["remove_existing"] == "yes"
    assert float(aor["qualify_frequency"]) > 0, "no qualify: no Reachable/Unreachable presence events"


def test_transports_for_the_trunk_and_the_browsers(pjsip: ConfFile) -> None:
    protocols = {opts["protocol"] for s, opts in pjsip.of_type("transport")}
    assert {"udp", "wss", "ws"} <= protocols


def test_generated_agents_are_included_after_the_templates() -> None:
    text = PJSIP.read_text()
    include = text.index("#tryinclude acd/pjsip_agents.conf")
    for template in ("[acd-agent-endpoint](!)", "[acd-agent-aor](!)", "[acd-agent-auth](!)"):
        assert text.index(template) < include, f"{template} is defined after the generated include"
    assert (ASTERISK_CONF / "acd").is_dir(), "compose mounts the generated-agents volume on asterisk_conf/acd"


def test_the_documented_generated_agent_resolves_to_a_complete_webrtc_agent() -> None:
    # The commented example at the end of pjsip.conf is the contract of `acd asterisk pjsip-agents`.
    text = PJSIP.read_text()
    start = text.index(";   ; acd agent alice")
    example = []
    for line in text[start:].splitlines():
        if line.rstrip() == ";":
            example.append("")
        elif line.startswith(";   "):
            example.append(line[4:])
        else:
            break
    conf = parse_conf(PJSIP, text=text + "\n" + "\n".join(example).replace("<the decrypted SIP secret>", "x"))
    agents = {s.name: opts for s, opts in conf.of_type("endpoint") if s.templates == ["acd-agent-endpoint"]}
    alice = agents["alice"]
    assert alice["webrtc"] == "yes" and alice["aors"] == "alice" and alice["auth"] == "alice-auth"
    aors = {s.name: opts for s, opts in conf.of_type("aor")}
    auths = {s.name: opts for s, opts in conf.of_type("auth")}
    assert aors["alice"]["max_contacts"] == "1"
    assert auths["alice-auth"]["username"] == "alice" and auths["alice-auth"]["auth_type"] == "userpass"


def test_the_generator_writes_what_pjsip_conf_documents() -> None:
    # The real `acd asterisk pjsip-agents` output resolves against the templates of pjsip.conf.
    from acd.store.agents import SipCredentials
    from acd.store.pjsip import render_agents

    generated = render_agents(
        [
            SipCredentials(
                agent_id="alice", name="Alice; Martin", username="alice", secret="s3cret", domain=None
            )
        ]
    )
    conf = parse_conf(PJSIP, text=PJSIP.read_text() + "\n" + generated)
    endpoints = {s.name: o for s, o in conf.of_type("endpoint") if s.templates == ["acd-agent-endpoint"]}
    auths = {s.name: o for s, o in conf.of_type("auth")}
    aors = {s.name: o for s, o in conf.of_type("aor")}
    alice = endpoints["alice"]
    assert (
        alice["webrtc"] == "yes" and alice["dtls_auto_generate_cert"] == "yes"
    ) or "dtls_cert_file" in alice
    assert aors[alice["aors"]]["remove_existing"] == "yes"
    assert auths[alice["auth"]]["password"] == "s3cret"


def test_demo_agents_are_complete_webrtc_agents_like_generated_ones(pjsip: ConfFile) -> None:
    demo = [(s, o) for s, o in pjsip.of_type("endpoint") if s.file == "pjsip_demo_agents.conf"]
    agents = [(s, o) for s, o in demo if "acd-agent-endpoint" in s.templates]
    assert len(agents) >= 1
    aors = {s.name: o for s, o in pjsip.of_type("aor")}
    auths = {s.name: o for s, o in pjsip.of_type("auth")}
    for section, opts in agents:
        assert opts["webrtc"] == "yes"
        assert aors[opts["aors"]]["max_contacts"] == "1"
        assert auths[opts["auth"]]["username"] == section.name


# ---- ari.conf, http.conf, modules.conf --------------------------------------------------------


def test_ari_user_matches_the_daemon_defaults_and_the_compose_password() -> None:
    ari = parse_conf(ASTERISK_CONF / "ari.conf")
    user = ari.named(AriSettings().username)
    assert user, f"ari.conf has no [{AriSettings().username}] user"
    opts = dict(user[0].options)
    assert opts["type"] == "user" and opts["read_only"] == "no"
    compose = (REPO / "docker-compose.yml").read_text()
    default = re.search(r"ACD_ARI__PASSWORD: \$\{ACD_ARI_PASSWORD:-([^}]+)\}", compose)
    assert default, "docker-compose.yml sets no default ARI password"
    assert default.group(1) == opts["password"], "compose's default ARI password differs from ari.conf"


def test_http_server_serves_ari_on_8088_and_wss_on_8089() -> None:
    http = dict(parse_conf(ASTERISK_CONF / "http.conf").named("general")[0].options)
    assert http["enabled"] == "yes" and http["bindport"] == "8088"
    assert http["tlsenable"] == "yes" and http["tlsbindaddr"].endswith(":8089")
    assert int(http["sessionlimit"]) > 100, "every agent's browser holds an HTTP session"


def test_asterisk_keeps_idle_rest_connections_longer_than_acd_does() -> None:
    http = dict(parse_conf(ASTERISK_CONF / "http.conf").named("general")[0].options)
    # Else Asterisk may close a connection at the instant acd sends a request on it.
    assert int(http["session_keep_alive"]) > AriSettings().keepalive_seconds * 1000


def test_modules_needed_by_acd_are_not_noloaded() -> None:
    modules = parse_conf(ASTERISK_CONF / "modules.conf").named("modules")[0]
    assert modules.get("autoload") == "yes"
    noloaded = {v for k, v in modules.options if k == "noload"}
    needed = {
        "res_ari.so",
        "res_stasis.so",
        "app_stasis.so",
        "res_http_websocket.so",
        "chan_pjsip.so",
        "res_pjsip.so",
        "res_pjsip_transport_websocket.so",
        "res_rtp_asterisk.so",
        "res_srtp.so",
        "res_musiconhold.so",
        "pbx_config.so",
        "app_dial.so",
        "bridge_simple.so",
        "bridge_softmix.so",
        "bridge_holding.so",
        "res_pjsip_outbound_registration.so",
        "res_pjsip_endpoint_identifier_ip.so",
    }
    assert not needed & noloaded, f"noloaded but needed: {sorted(needed & noloaded)}"


def test_queue_moh_class_default_exists() -> None:
    moh = parse_conf(ASTERISK_CONF / "musiconhold.conf")
    assert moh.named("default"), "acd's queues use moh_class 'default' unless configured"


def test_the_default_tone_zone_is_defined() -> None:
    indications = parse_conf(ASTERISK_CONF / "indications.conf")
    country = indications.named("general")[0].get("country")
    assert country and indications.named(country), f"tone zone [{country}] is missing"
