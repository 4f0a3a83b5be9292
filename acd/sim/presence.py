"""Presence: phones registering, contact status, endpoint state and device state events.

What an app learns about a phone comes only through a subscription (rule 7): ``ContactStatusChange``
when a contact appears (``NonQualified``, or ``Reachable`` if qualified) or goes (``Unreachable``
then ``Removed``); ``EndpointStateChange`` whenever the endpoint's snapshot changes, which includes
every channel created or destroyed on it, not only online/offline; ``DeviceStateChanged`` for a
``deviceState:`` subscription. An endpoint is ``online`` only when a qualified contact answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd.sim import events as ev
from acd.sim.model import Endpoint, stamp

if TYPE_CHECKING:
    from acd.sim.pbx import Pbx


class Presence:
    """Presence events of one :class:`~acd.sim.pbx.Pbx`."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    def endpoint_changed(self, ep: Endpoint) -> None:
        """Any change of an endpoint's snapshot (channel_ids included) is an EndpointStateChange."""
        router = self.pbx.router
        if router.wants(endpoint=ep.key):
            router.publish(ev.endpoint_state_change(ep, stamp()), endpoint=ep.key)
        self.update_device_state(ep)

    def update_device_state(self, ep: Endpoint) -> None:
        """DeviceStateChanged, computed only while some app listens to this device."""
        router = self.pbx.router
        if not router.wants(device=ep.key):
            return
        state = ep.current_device_state()
        if state != ep.device_state:
            ep.device_state = state
            router.publish(ev.device_state_changed(ep.key, state, stamp()), device=ep.key)

    def set_registered(self, ep: Endpoint, registered: bool) -> None:
        """A phone registers or unregisters (trace i; the state change only when qualified)."""
        if ep.registered == registered:
            return
        router = self.pbx.router
        ep.registered = registered
        if registered:
            if ep.qualify:
                status, rtt = "Reachable", str(800 + self.pbx.rng.randrange(400))
            else:
                status, rtt = "NonQualified", "0"
            router.publish(ev.contact_status_change(ep, status, rtt, stamp()), endpoint=ep.key)
            if ep.qualify:
                self.endpoint_changed(ep)
        else:
            router.publish(ev.contact_status_change(ep, "Unreachable", "0", stamp()), endpoint=ep.key)
            if ep.qualify:
                self.endpoint_changed(ep)
            router.publish(ev.contact_status_change(ep, "Removed", "0", stamp()), endpoint=ep.key)
        self.update_device_state(ep)
