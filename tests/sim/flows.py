"""App-side steps the simulator tests repeat, written as the recorded ACD did them."""

from __future__ import annotations

from typing import Any

from acd.sim import PbxSimulator
from tests.sim.probe import AriProbe


async def queue_caller(sim: PbxSimulator, probe: AriProbe, **call: Any) -> tuple[str, str]:
    """A caller arrives, is answered and waits in a holding bridge with MOH: (caller id, bridge id)."""
    caller = await sim.place_call(**call)
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == caller)
    assert (await probe.call("POST", f"/channels/{caller}/answer"))[0] == 204
    status, bridge = await probe.call("POST", "/bridges", {"type": "holding", "name": "queue-support"})
    assert status == 200
    assert (await probe.call("POST", f"/bridges/{bridge['id']}/addChannel", {"channel": caller}))[0] == 204
    assert (await probe.call("POST", f"/bridges/{bridge['id']}/moh", {"mohClass": "default"}))[0] == 204
    return caller, bridge["id"]


async def originate_agent(
    probe: AriProbe, caller: str, endpoint: str = "PJSIP/agent1", ring_timeout: str = "8"
) -> tuple[int, dict[str, object]]:
    return await probe.call(
        "POST",
        "/channels",
        {
            "endpoint": endpoint,
            "app": "acd",
            "appArgs": f"agent,{caller}",
            "callerId": "Support <100>",
            "timeout": ring_timeout,
        },
    )


async def connect_call(probe: AriProbe, caller: str, holding: str, agent: str) -> str:
    """Once the agent is in Stasis: caller out of the holding bridge, both into a mixing bridge."""
    await probe.wait_event("StasisStart", lambda e: e["channel"]["id"] == agent)
    status, mixing = await probe.call("POST", "/bridges", {"type": "mixing", "name": "call"})
    assert status == 200
    assert (await probe.call("POST", f"/bridges/{holding}/removeChannel", {"channel": caller}))[0] == 204
    assert (
        await probe.call("POST", f"/bridges/{mixing['id']}/addChannel", {"channel": f"{caller},{agent}"})
    )[0] == 204
    return str(mixing["id"])
