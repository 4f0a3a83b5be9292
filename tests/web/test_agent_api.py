"""An agent's own state, page configuration and SIP account through the API."""

from __future__ import annotations

from acd.state.agent import AgentState
from acd.store import db

from .conftest import Stack, StackFactory


async def test_agent_state_changes_drive_the_engine(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    agent = stack.engine.agents["agent1"]

    answer = await browser.post("/api/me/login")
    assert answer.status == 200
    assert (answer.body["state"], answer.body["reason"]) == ("not-ready", "login")
    assert (agent.state, agent.reason) == (AgentState.NOT_READY, "login")

    answer = await browser.post("/api/me/ready")
    assert answer.status == 200 and answer.body["state"] == "ready"
    assert (agent.state, agent.reason) == (AgentState.READY, None)

    answer = await browser.post("/api/me/not-ready", {"reason": "lunch"})
    assert (answer.status, answer.body["state"], answer.body["reason"]) == (200, "not-ready", "lunch")
    assert (agent.state, agent.reason) == (AgentState.NOT_READY, "lunch")

    answer = await browser.post("/api/me/logout")
    assert answer.status == 200 and answer.body["state"] == "logged-out"
    assert (agent.state, agent.reason) == (AgentState.LOGGED_OUT, None)


async def test_refusals_map_to_400_and_409(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    answer = await browser.post("/api/me/ready")  # logged out: cannot become ready
    assert answer.status == 409 and answer.body["error"]["code"] == "conflict"
    await browser.post("/api/me/login")
    answer = await browser.post("/api/me/login")
    assert answer.status == 409
    answer = await browser.post("/api/me/not-ready", {"reason": "nap"})
    assert answer.status == 400 and answer.body["error"]["code"] == "invalid"
    assert "nap" in answer.body["error"]["message"]
    # System reasons are the engine's, not the agent's.
    assert (await browser.post("/api/me/not-ready", {"reason": "disconnected"})).status == 400
    assert (await browser.post("/api/me/not-ready", {})).status == 400
    answer = await browser.post("/api/me/wrapup/end", {"disposition": "sale"})
    assert answer.status == 409
    assert (await browser.post("/api/me/disposition", {"disposition": "sale"})).status == 409


async def test_me_gives_state_call_and_page_configuration(stack: Stack) -> None:
    async with db.connection(stack.settings.database.dsn) as conn:
        await conn.execute("INSERT INTO cc_queues (name) VALUES ('support')")
        await conn.execute(
            "INSERT INTO cc_dispositions (code, label, queue) VALUES ('sale', 'Sale', NULL), "
            "('refund', 'Refund', 'support')"
        )
    browser = await stack.logged_in("agent2")
    answer = await browser.get("/api/me")
    assert answer.status == 200
    assert answer.body["agent"]["agent_id"] == "agent2"
    assert answer.body["call"] is None
    config = answer.body["config"]
    assert config["not_ready_reasons"] == stack.settings.engine.not_ready_reasons
    assert config["queues"] == ["support"]
    assert config["demo"] is False
    assert config["dispositions"] == [
        {"code": "sale", "label": "Sale", "queue": None},
        {"code": "refund", "label": "Refund", "queue": "support"},
    ]


async def test_sip_account_is_decrypted_for_its_owner_only_and_never_cached(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    answer = await browser.get("/api/me/sip")
    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.body == {
        "demo": False,
        "ws_url": "wss://pbx.example.com:8089/ws",
        "uri": "sip:agent1@pbx.example.com",
        "username": "agent1",
        "password": "sip-secret-1",
        "domain": "pbx.example.com",
        "ice_servers": [],
        "display_name": "Agent 1",
    }
    other = await stack.logged_in("agent2")
    answer = await other.get("/api/me/sip")
    assert (answer.body["username"], answer.body["password"]) == ("agent2", "sip-secret-2")
    assert answer.body["domain"] == stack.settings.web.sip_domain  # no domain of its own


async def test_sip_in_demo_mode_says_demo_only(make_stack: StackFactory) -> None:
    class NoPhone:
        pass

    stack = await make_stack(demo_phone=NoPhone())
    browser = await stack.logged_in("agent1")
    answer = await browser.get("/api/me/sip")
    assert answer.body == {"demo": True}
    assert (await browser.get("/api/me")).body["config"]["demo"] is True


async def test_supervisor_endpoints_refuse_agents(stack: Stack) -> None:
    browser = await stack.logged_in("agent1")
    for path in ("/api/agents", "/api/queues", "/api/calls", "/api/reports/queues", "/api/reports/agents"):
        answer = await browser.get(path)
        assert answer.status == 403, path
        assert answer.body["error"]["code"] == "forbidden"
    answer = await browser.post("/api/agents/agent2/state", {"state": "logged-out"})
    assert answer.status == 403


async def test_supervisor_forces_not_ready_and_logout(stack: Stack) -> None:
    agent = await stack.logged_in("agent2")
    await agent.post("/api/me/login")
    await agent.post("/api/me/ready")
    supervisor = await stack.logged_in("sup1")
    assert (await supervisor.get("/api/session")).body["agent"] is None  # no phone of its own

    answer = await supervisor.post("/api/agents/agent2/state", {"state": "not-ready"})
    assert answer.status == 200
    assert (answer.body["state"], answer.body["reason"]) == ("not-ready", "supervisor")
    answer = await supervisor.post("/api/agents/agent2/state", {"state": "not-ready", "reason": "meeting"})
    assert answer.body["reason"] == "meeting"
    answer = await supervisor.post("/api/agents/agent2/state", {"state": "logged-out"})
    assert answer.status == 200 and answer.body["state"] == "logged-out"
    assert stack.engine.agents["agent2"].state is AgentState.LOGGED_OUT

    assert (await supervisor.post("/api/agents/nobody/state", {"state": "logged-out"})).status == 404
    assert (await supervisor.post("/api/agents/agent2/state", {"state": "ready"})).status == 400

    agents = await supervisor.get("/api/agents")
    assert sorted(a["agent_id"] for a in agents.body["agents"]) == ["agent1", "agent2", "agent3"]
    assert (await supervisor.get("/api/calls")).body == {"calls": []}
