"""Random interleavings of calls, hang-ups, answers, rejects and agent actions (hypothesis).

A tiny model of Asterisk follows the engine's effects (originated legs ring, hung-up channels
report their end later, in any order), and after every step the invariants must hold:
- no agent holds two calls, and an agent's state matches what it holds;
- no call is offered to two agents (ring-all queues excepted);
- nothing waits while an eligible agent is offerable;
- at the end, when every caller has gone, every call has ended exactly once and nothing leaks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.config import EngineSettings, QueueSettings, Strategy, Tier
from acd.engine.base import CommandRejected
from acd.engine.effects import CallEventRecord, ContinueInDialplan, Effect, Hangup, Originate
from acd.engine.inputs import (
    CallerEntered,
    ChannelGone,
    EndWrapUp,
    HangupCall,
    HoldCall,
    Input,
    LegAnswered,
    Login,
    Logout,
    OriginateFailed,
    SetNotReady,
    SetReady,
    TransferCall,
    UnholdCall,
)
from acd.state.agent import AgentState
from acd.state.call import CallState

from .harness import Harness

S = AgentState
AGENTS = ("a1", "a2", "a3")
QUEUES = ("sales", "support")


@dataclass
class World:
    """What Asterisk would have: live channels, and reports of ended ones not delivered yet."""

    callers: set[str] = field(default_factory=set)
    ringing: dict[str, str] = field(default_factory=dict)  # leg -> app args
    up: set[str] = field(default_factory=set)
    pending: list[Input] = field(default_factory=list)
    next_caller: int = 0

    def apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Originate):
                self.ringing[effect.leg_id] = effect.app_args
            elif isinstance(effect, Hangup | ContinueInDialplan):
                channel = effect.channel_id
                if channel in self.callers or channel in self.up or channel in self.ringing:
                    self.callers.discard(channel)
                    self.up.discard(channel)
                    self.ringing.pop(channel, None)
                    self.pending.append(ChannelGone(channel, 16, "Normal Clearing"))


def pick(items: list[str] | set[str], index: int) -> str | None:
    ordered = sorted(items)
    return ordered[index % len(ordered)] if ordered else None


operation = st.one_of(
    st.tuples(st.just("caller"), st.sampled_from(QUEUES)),
    st.tuples(st.just("caller_hangup"), st.integers(0, 50)),
    st.tuples(st.just("answer"), st.integers(0, 50)),
    st.tuples(st.just("reject"), st.integers(0, 50), st.sampled_from([17, 19, 21, 34])),
    st.tuples(st.just("originate_failed"), st.integers(0, 50), st.sampled_from([500, 404, 503])),
    st.tuples(st.just("agent_leg_hangup"), st.integers(0, 50)),
    st.tuples(st.just("deliver"), st.integers(0, 50)),
    st.tuples(st.just("advance"), st.floats(0.0, 40.0)),
    st.tuples(
        st.just("agent"),
        st.sampled_from(AGENTS),
        st.sampled_from(
            ["ready", "not_ready", "logout", "login", "end_wrapup", "hold", "unhold", "hangup", "transfer"]
        ),
    ),
)


def check_invariants(h: Harness, ring_all: bool) -> None:
    engine = h.engine
    now = h.now
    holders: Counter[str] = Counter()
    for call in engine.calls.values():
        if call.state in (CallState.CONNECTED, CallState.HELD) and call.agent_id:
            holders[call.agent_id] += 1
        if not ring_all:
            assert len(call.offers) <= 1, f"{call.call_id} offered to {len(call.offers)} agents"
        for offer in call.offers.values():
            assert engine.offers[offer.leg_id] is offer
        if call.state is CallState.OFFERED:
            assert call.offers, f"{call.call_id} is offered to nobody"
        if call.state is CallState.QUEUED:
            assert call.queue is not None
            available = {c.call_id for c in engine.queue_calls[call.queue].available()}
            assert call.call_id in available, f"{call.call_id} is queued but not available to agents"
    # A bridge serves one live call at a time, and a spare one serves none.
    live_bridges = Counter(
        c.bridge_id for c in engine.calls.values() if c.bridge_id and c.state is not CallState.ENDED
    )
    assert all(n == 1 for n in live_bridges.values()), f"a bridge shared by calls: {live_bridges}"
    assert not set(engine.spare_bridges) & set(live_bridges), "a spare bridge is in use"
    assert not set(engine.spare_bridges) & set(engine.bridge_waits), "a spare bridge still has members"
    assert not set(live_bridges) & set(engine.bridge_waits), "a bridge reused before it emptied"
    assert len(set(engine.spare_bridges)) == len(engine.spare_bridges), "a bridge spare twice"
    assert set(engine.bridge_of_member.values()) <= set(engine.bridge_waits)
    offers_by_agent = Counter(o.agent_id for o in engine.offers.values())
    for agent in engine.agents.values():
        assert holders[agent.agent_id] + offers_by_agent[agent.agent_id] <= 1, (
            f"{agent.agent_id} has two calls"
        )
        if agent.state is S.OFFERED:
            assert offers_by_agent[agent.agent_id] == 1
        if agent.state in (S.ON_CALL, S.ON_HOLD):
            assert agent.call_id in engine.calls
        if agent.offerable(now):
            for queue, level in agent.skills.items():
                waiting = engine.queue_calls[queue].head_for_level(level, now)
                assert waiting is None, f"{waiting.call_id} waits while {agent.agent_id} is free"
    for queue, counts in engine.state_counts.items():
        real = Counter(a.state for a in engine.agents.values() if queue in a.skills)
        assert +counts == +real, f"state counts of {queue} drifted"


def run(ops: list[tuple[object, ...]], strategy: Strategy) -> None:
    tiers = [Tier(after_seconds=15, max_level=2)]
    queues = [
        QueueSettings(
            name="sales",
            priority=2,
            strategy=strategy,
            ring_timeout=10,
            wrapup_seconds=5,
            tiers=tiers,
            max_wait=120,
            overflow="queue:support",
        ),
        QueueSettings(name="support", strategy=strategy, ring_timeout=10, wrapup_seconds=3, tiers=tiers),
    ]
    h = Harness(
        queues=queues,
        settings=EngineSettings(max_no_answer=2, reject_delay=2, no_answer_delay=2, busy_delay=1),
    )
    world = World()
    h.add_agent("a1", {"sales": 1, "support": 2})
    h.add_agent("a2", {"support": 1})
    h.add_agent("a3", {"sales": 2, "support": 1}, ready=False)
    ring_all = strategy is Strategy.RING_ALL
    ended: Counter[str] = Counter()

    def feed(inp: Input) -> None:
        try:
            out = h.feed(inp)
        except CommandRejected:
            return
        world.apply(out)
        for effect in out:
            if isinstance(effect, CallEventRecord) and effect.event_type == "ended":
                ended[effect.call_id] += 1
                assert ended[effect.call_id] == 1, f"{effect.call_id} ended twice"

    def advance(seconds: float) -> None:
        before = len(h.effects)
        h.advance(seconds)
        out = h.effects[before:]
        world.apply(out)
        for effect in out:
            if isinstance(effect, CallEventRecord) and effect.event_type == "ended":
                ended[effect.call_id] += 1
                assert ended[effect.call_id] == 1

    def as_int(value: object) -> int:
        assert isinstance(value, int | float | str), value
        return int(value)

    def as_float(value: object) -> float:
        assert isinstance(value, int | float | str), value
        return float(value)

    def agent_call(agent_id: str) -> str | None:
        agent = h.engine.agents[agent_id]
        return agent.call_id

    for op in ops:
        kind = op[0]
        if kind == "caller":
            world.next_caller += 1
            channel = f"ch{world.next_caller}"
            world.callers.add(channel)
            feed(CallerEntered(channel, str(op[1]), "+1555", "Caller"))
        elif kind == "caller_hangup":
            gone = pick(world.callers, as_int(op[1]))
            if gone:
                world.callers.discard(gone)
                feed(ChannelGone(gone, 16, "Normal Clearing"))
        elif kind == "answer":
            leg = pick(set(world.ringing), as_int(op[1]))
            if leg:
                args = world.ringing.pop(leg)
                world.up.add(leg)
                _role, _, call_id = args.partition(",")
                feed(LegAnswered(leg, "agent", call_id))
        elif kind == "reject":
            leg = pick(set(world.ringing), as_int(op[1]))
            if leg:
                world.ringing.pop(leg)
                feed(ChannelGone(leg, as_int(op[2]), "rejected"))
        elif kind == "originate_failed":
            leg = pick(set(world.ringing), as_int(op[1]))
            if leg:
                world.ringing.pop(leg)
                feed(OriginateFailed(leg, as_int(op[2]), "Allocation failed" if op[2] == 500 else "error"))
        elif kind == "agent_leg_hangup":
            leg = pick(world.up, as_int(op[1]))
            if leg:
                world.up.discard(leg)
                feed(ChannelGone(leg, 16, "Normal Clearing"))
        elif kind == "deliver":
            if world.pending:
                feed(world.pending.pop(as_int(op[1]) % len(world.pending)))
        elif kind == "advance":
            advance(as_float(op[1]))
        else:
            agent_id, action = str(op[1]), str(op[2])
            current = agent_call(agent_id)
            agent_commands: dict[str, Input] = {
                "ready": SetReady(agent_id),
                "not_ready": SetNotReady(agent_id, "break"),
                "logout": Logout(agent_id),
                "login": Login(agent_id),
                "end_wrapup": EndWrapUp(agent_id),
            }
            command = agent_commands.get(action)
            if command is None and current is not None:
                call_commands: dict[str, Input] = {
                    "hold": HoldCall(agent_id, current),
                    "unhold": UnholdCall(agent_id, current),
                    "hangup": HangupCall(agent_id, current),
                    "transfer": TransferCall(agent_id, current, "queue", "sales"),
                }
                command = call_commands[action]
            if command is not None:
                feed(command)
        check_invariants(h, ring_all)

    # Everyone hangs up; every report arrives; all timers run out.
    for channel in sorted(world.callers):
        world.callers.discard(channel)
        feed(ChannelGone(channel, 16, "Normal Clearing"))
    for leg in sorted(world.ringing):
        feed(ChannelGone(leg, 19, "no answer"))
    world.ringing.clear()
    for _ in range(50):
        while world.pending:
            feed(world.pending.pop(0))
        advance(200)
        if not world.pending:
            break
    check_invariants(h, ring_all)
    assert h.engine.calls == {}, f"leaked calls {list(h.engine.calls)}"
    assert h.engine.offers == {}
    assert h.engine.call_by_channel == {}
    started = {e.call_id for e in h.of(CallEventRecord) if e.event_type in ("entered-queue", "failed")}
    assert started == set(ended), "every call ends exactly once"
    assert all(n == 1 for n in ended.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=60))
def test_invariants_hold_under_random_interleavings_longest_idle(ops: list[tuple[object, ...]]) -> None:
    run(ops, Strategy.LONGEST_IDLE)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=60))
def test_invariants_hold_under_random_interleavings_ring_all(ops: list[tuple[object, ...]]) -> None:
    run(ops, Strategy.RING_ALL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=60))
def test_invariants_hold_under_random_interleavings_random_strategy(ops: list[tuple[object, ...]]) -> None:
    run(ops, Strategy.RANDOM)
