"""The demo's softphones: the simulator's manual phones, driven from the agent page.

``acd demo`` has no SIP, so the page's simulated softphone answers, rejects, hangs up and dials
through the web server's ``/api/demo/phone`` endpoints, which call this adapter (it implements
``acd.web.deps.DemoPhone``).
"""

from __future__ import annotations

from typing import Any

from acd.sim.model import Channel
from acd.sim.simulator import PbxSimulator


def _leg(ch: Channel, *, answered: bool) -> dict[str, Any]:
    """A leg as the page shows it: the other party is the caller id we rang the phone with, or,
    once answered, the connected line (whichever Asterisk filled in)."""
    first, second = (ch.connected, ch.caller) if answered else (ch.caller, ch.connected)
    party = first if (first.number or first.name) else second
    return {
        "leg_id": ch.id,
        "channel_id": ch.id,
        "caller_number": party.number,
        "caller_name": party.name,
        "state": ch.state,
    }


class SimDemoPhone:
    def __init__(self, sim: PbxSimulator) -> None:
        self.sim = sim

    def _channels(self, endpoint: str) -> list[Channel]:
        try:
            return list(self.sim.endpoint(endpoint).channels.values())
        except KeyError:
            return []

    def ringing(self, endpoint: str) -> list[dict[str, Any]]:
        return [_leg(ch, answered=False) for ch in self._channels(endpoint) if ch.dialing and ch.alive]

    def active(self, endpoint: str) -> list[dict[str, Any]]:
        return [_leg(ch, answered=True) for ch in self._channels(endpoint) if not ch.dialing and ch.alive]

    def owns(self, endpoint: str, channel_id: str) -> bool:
        return any(ch.id == channel_id for ch in self._channels(endpoint))

    async def answer(self, channel_id: str) -> bool:
        return await self.sim.answer(channel_id)

    async def reject(self, channel_id: str, cause: int) -> bool:
        return await self.sim.reject(channel_id, cause)

    async def hangup(self, channel_id: str) -> bool:
        return await self.sim.hangup(channel_id)

    def dial(self, endpoint: str, number: str) -> str:
        return self.sim.phone_dial(endpoint, number)
