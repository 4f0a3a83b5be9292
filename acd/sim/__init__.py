"""A simulated Asterisk 22 speaking ARI (REST + WebSocket) on loopback, for tests, load and demos.

It is an independent implementation of ARI's wire format, built from recorded traffic of a real
Asterisk 22.10.1 (``shared/ari-traces``) and Asterisk's source, so that it catches client bugs
instead of sharing them: it never imports :mod:`acd.ari`. Start with :class:`PbxSimulator`;
``acd sim`` runs :func:`run_standalone`.
"""

from acd.sim.actors import Action, CallerScript, PhoneBehaviour, Stats
from acd.sim.server import RestExchange, run_standalone
from acd.sim.simulator import PbxSimulator, SimulatorDown
from acd.sim.stasis import LoggedEvent
from acd.sim.traffic import Arrival, Dist, TrafficProfile, arrivals

__all__ = [
    "Action",
    "Arrival",
    "CallerScript",
    "Dist",
    "LoggedEvent",
    "PbxSimulator",
    "PhoneBehaviour",
    "RestExchange",
    "SimulatorDown",
    "Stats",
    "TrafficProfile",
    "arrivals",
    "run_standalone",
]
