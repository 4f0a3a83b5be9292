"""PUT /applications/{app}/eventFilter, as applications.json describes it: the daemon uses it to
keep the noise (ChannelVarset...) off its WebSocket."""

from __future__ import annotations

from acd.sim import PbxSimulator
from tests.sim.probe import AriProbe


async def test_disallowed_events_are_not_sent_and_the_app_shows_its_filter(
    sim: PbxSimulator, probe: AriProbe
) -> None:
    body = {"disallowed": [{"type": "ChannelVarset"}, {"type": "ChannelConnectedLine"}]}
    status, app = await probe.call("PUT", "/applications/acd/eventFilter", body=body)
    assert status == 200
    assert app["events_disallowed"] == body["disallowed"] and app["events_allowed"] == []
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    assert (await probe.call("DELETE", f"/channels/{caller}"))[0] == 204
    await probe.wait_event("StasisEnd")
    assert "ChannelVarset" not in probe.types()  # RTPAUDIOQOS* would otherwise precede StasisEnd
    assert "ChannelHangupRequest" in probe.types()


async def test_allowed_list_and_precedence_and_reset(sim: PbxSimulator, probe: AriProbe) -> None:
    body = {
        "allowed": [{"type": "StasisStart"}, {"type": "StasisEnd"}],
        "disallowed": [{"type": "StasisEnd"}],
    }
    assert (await probe.call("PUT", "/applications/acd/eventFilter", body=body))[0] == 200
    caller = await sim.place_call()
    await probe.wait_event("StasisStart")
    await probe.call("DELETE", f"/channels/{caller}")
    await sim.wait_for(lambda: caller not in sim.channels)
    assert probe.types() == ["StasisStart"]  # StasisEnd is disallowed, which wins
    status, app = await probe.call("PUT", "/applications/acd/eventFilter")  # empty body: clear both
    assert status == 200 and app["events_allowed"] == [] and app["events_disallowed"] == []
    assert (await probe.call("PUT", "/applications/acd/eventFilter", body={"allowed": "x"}))[0] == 400
    assert (await probe.call("PUT", "/applications/nope/eventFilter", body={}))[0] == 404
