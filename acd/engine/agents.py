"""Agent-side flow: log in and out, ready and not ready, wrap-up, presence and reachability.

Policies (documented in the README):
- Not-ready or logout asked while on a call is *pending*: applied when the call and its wrap-up
  end. Asked while ringing, it withdraws the offer at once (the caller keeps its place).
- Wrap-up ends by its timer or the agent's "end early"; a queue that requires a disposition keeps
  the agent in wrap-up past the timer until one is given (the page shows it as overdue).
- A phone that loses its registration takes a ready agent to not-ready ``unreachable``; the agent
  returns to ready by itself when the phone is reachable again (only if the engine took it out).
- A page gone for longer than the grace period takes a ready agent to not-ready ``disconnected``.
"""

from __future__ import annotations

from acd.engine.base import SUPERVISORS, CommandRejected, EngineBase
from acd.engine.inputs import (
    AgentProfile,
    EndpointReachability,
    EndWrapUp,
    Login,
    Logout,
    PagePresence,
    RemoveAgent,
    SetDisposition,
    SetNotReady,
    SetReady,
    UpsertAgent,
)
from acd.state.agent import (
    BUSY_STATES,
    REASON_DISCONNECTED,
    REASON_LOGIN,
    REASON_UNREACHABLE,
    SYSTEM_REASONS,
    Agent,
    AgentState,
)

S = AgentState


class AgentFlow(EngineBase):
    # ------------------------------------------------------------ roster

    def on_upsert_agent(self, cmd: UpsertAgent) -> None:
        profile: AgentProfile = cmd.profile
        unknown = set(profile.skills) - set(self.queue_settings)
        if unknown:
            raise CommandRejected("invalid", f"unknown queues {sorted(unknown)}")
        agent = self.agents.get(profile.agent_id)
        if agent is None:
            agent = Agent(
                agent_id=profile.agent_id,
                name=profile.name,
                endpoint=profile.endpoint,
                skills=dict(profile.skills),
                wrapup_override=profile.wrapup_override,
                state_since=self.now,
            )
            self.agents[agent.agent_id] = agent
            self._count_membership(agent, +1)
        else:
            if agent.endpoint != profile.endpoint and agent.state is not S.LOGGED_OUT:
                raise CommandRejected("conflict", "log the agent out before changing its endpoint")
            self._count_membership(agent, -1)
            agent.index_version += 1
            agent.name = profile.name
            self.agents_by_endpoint.pop(agent.endpoint, None)
            agent.endpoint = profile.endpoint
            agent.skills = dict(profile.skills)
            agent.wrapup_override = profile.wrapup_override
            self._count_membership(agent, +1)
            self.reindex_agent(agent)
        self.agents_by_endpoint[agent.endpoint] = agent.agent_id

    def on_remove_agent(self, cmd: RemoveAgent) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        if agent.state is not S.LOGGED_OUT:
            raise CommandRejected("conflict", "log the agent out before removing it")
        self._count_membership(agent, -1)
        agent.index_version += 1
        del self.agents[agent.agent_id]
        self.agents_by_endpoint.pop(agent.endpoint, None)

    def _count_membership(self, agent: Agent, delta: int) -> None:
        for queue in agent.skills:
            if queue in self.state_counts:
                self.state_counts[queue][agent.state] += delta
                self.queue_agents[queue].member_count += delta

    # ------------------------------------------------------------ commands

    def on_login(self, cmd: Login) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        if agent.state is not S.LOGGED_OUT:
            raise CommandRejected("conflict", f"agent {agent.agent_id} is already logged in")
        self.move_agent(agent, S.NOT_READY, REASON_LOGIN)

    def on_logout(self, cmd: Logout) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        if agent.state is S.LOGGED_OUT:
            raise CommandRejected("conflict", f"agent {agent.agent_id} is not logged in")
        if agent.state in BUSY_STATES:
            agent.pending = (S.LOGGED_OUT, None)
            self._notify_pending(agent)
            return
        if agent.state is S.WRAP_UP and not cmd.by_supervisor:
            self._require_disposition_given(agent)
        if agent.state is S.OFFERED:
            self.withdraw_offers_of(agent, "agent-logout")
        self._leave_wrapup(agent)
        self.move_agent(agent, S.LOGGED_OUT, by_supervisor=cmd.by_supervisor)

    def on_set_ready(self, cmd: SetReady) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        if agent.state is S.READY:
            return
        if agent.state in BUSY_STATES:
            agent.pending = (S.READY, None)
            self._notify_pending(agent)
            return
        if agent.state is S.WRAP_UP:
            self.on_end_wrapup(EndWrapUp(agent.agent_id))
            return
        if agent.state is not S.NOT_READY:
            raise CommandRejected("conflict", f"agent {agent.agent_id} cannot go ready from {agent.state}")
        if not agent.reachable:
            raise CommandRejected("conflict", "the agent's phone is not registered")
        agent.resume_ready_when_reachable = False
        agent.consecutive_missed = 0
        self.move_agent(agent, S.READY)

    def on_set_not_ready(self, cmd: SetNotReady) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        reason = cmd.reason
        allowed = set(self.settings.not_ready_reasons)
        if cmd.by_supervisor:
            allowed |= SYSTEM_REASONS | {"supervisor"}
        if reason not in allowed:
            raise CommandRejected("invalid", f"unknown not-ready reason {reason!r}")
        if agent.state is S.LOGGED_OUT:
            raise CommandRejected("conflict", f"agent {agent.agent_id} is not logged in")
        if agent.state in BUSY_STATES:
            agent.pending = (S.NOT_READY, reason)
            self._notify_pending(agent)
            return
        if agent.state is S.WRAP_UP:
            # A supervisor may take an agent out of an overdue wrap-up; the agent itself must
            # give the disposition its queue requires first.
            if not cmd.by_supervisor:
                self._require_disposition_given(agent)
            self.finish_wrapup(agent, then=(S.NOT_READY, reason))
            return
        if agent.state is S.OFFERED:
            self.withdraw_offers_of(agent, "agent-not-ready")
        agent.resume_ready_when_reachable = False
        self.move_agent(agent, S.NOT_READY, reason, by_supervisor=cmd.by_supervisor)

    def on_set_disposition(self, cmd: SetDisposition) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        if agent.call_id is None or agent.state not in (S.ON_CALL, S.ON_HOLD, S.WRAP_UP):
            raise CommandRejected("conflict", "no call to set a disposition on")
        if not cmd.disposition.strip():
            raise CommandRejected("invalid", "empty disposition")
        agent.disposition = cmd.disposition.strip()
        self.notify(f"agent:{agent.agent_id}", "agent.state", **self.agent_view(agent))

    def on_end_wrapup(self, cmd: EndWrapUp) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        if agent.state is not S.WRAP_UP:
            raise CommandRejected("conflict", f"agent {agent.agent_id} is not in wrap-up")
        if cmd.disposition:
            agent.disposition = cmd.disposition.strip()
        self._require_disposition_given(agent)
        self.finish_wrapup(agent)

    def on_page_presence(self, cmd: PagePresence) -> None:
        agent = self.agent_or_reject(cmd.agent_id)
        agent.page_connected = cmd.connected
        if cmd.connected:
            self.cancel_timer("page-gone", agent.agent_id)
        elif agent.state is not S.LOGGED_OUT:
            self.set_timer("page-gone", agent.agent_id, self.now + self.settings.disconnect_grace_seconds)

    def on_endpoint_reachability(self, event: EndpointReachability) -> None:
        agent_id = self.agents_by_endpoint.get(event.endpoint)
        if agent_id is None:
            return
        self.set_reachable(self.agents[agent_id], event.reachable)

    # ------------------------------------------------------------ timers

    def on_wrapup_timer(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is None or agent.state is not S.WRAP_UP:
            return
        if agent.wrapup_required_disposition and not agent.disposition:
            self.notify(f"agent:{agent_id}", "agent.wrapup_overdue", agent_id=agent_id)
            return
        self.finish_wrapup(agent)

    def on_available_timer(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state is S.READY:
            self.reindex_agent(agent)

    def on_page_gone_timer(self, agent_id: str) -> None:
        agent = self.agents.get(agent_id)
        if agent is None or agent.page_connected:
            return
        if agent.state is S.READY:
            self.move_agent(agent, S.NOT_READY, REASON_DISCONNECTED)
        elif agent.state is S.OFFERED:
            self.withdraw_offers_of(agent, "agent-disconnected")
            self.move_agent(agent, S.NOT_READY, REASON_DISCONNECTED)

    # ------------------------------------------------------------ shared helpers

    def set_reachable(self, agent: Agent, reachable: bool) -> None:
        if agent.reachable == reachable:
            return
        agent.reachable = reachable
        agent.index_version += 1
        self.notify(SUPERVISORS, "agent.reachability", agent_id=agent.agent_id, reachable=reachable)
        if not reachable:
            if agent.state is S.READY:
                agent.resume_ready_when_reachable = True
                self.move_agent(agent, S.NOT_READY, REASON_UNREACHABLE)
            elif agent.state is S.NOT_READY and agent.reason == REASON_UNREACHABLE:
                agent.resume_ready_when_reachable = True
            return
        if agent.state is S.NOT_READY and agent.reason == REASON_UNREACHABLE:
            if agent.resume_ready_when_reachable:
                agent.resume_ready_when_reachable = False
                self.move_agent(agent, S.READY)
        else:
            self.reindex_agent(agent)

    def start_wrapup(self, agent: Agent, seconds: float, require_disposition: bool) -> None:
        """After a call: wrap-up for ``seconds``, or straight to the next state when zero."""
        agent.wrapup_required_disposition = require_disposition
        if seconds <= 0 and not require_disposition:
            self.finish_wrapup(agent)
            return
        agent.wrapup_until = self.now + seconds
        self.move_agent(agent, S.WRAP_UP, wrapup_seconds=seconds)
        self.set_timer("wrapup", agent.agent_id, agent.wrapup_until)

    def finish_wrapup(self, agent: Agent, then: tuple[AgentState, str | None] | None = None) -> None:
        """Close the wrap-up (recording its length and disposition) and move on."""
        self._close_wrapup(agent)
        target = then or agent.pending
        agent.pending = None
        restore = agent.before_outbound
        agent.before_outbound = None
        if target is None and restore is not None:
            state, reason, ready_since = restore
            if state is S.READY:
                resets = self.settings.outbound_resets_idle
                self.move_agent(agent, S.READY, ready_since=None if resets else ready_since)
            else:
                self.move_agent(agent, S.NOT_READY, reason or REASON_LOGIN)
            return
        if target is None:
            target = (S.READY, None)
        state, reason = target
        if state is S.READY and not agent.reachable:
            agent.resume_ready_when_reachable = True
            state, reason = S.NOT_READY, REASON_UNREACHABLE
        self.move_agent(agent, state, reason)

    def _close_wrapup(self, agent: Agent) -> None:
        """Record the wrap-up of the agent's call (if it was in one) and release the call."""
        call_id = agent.call_id
        seconds = max(0.0, self.now - agent.state_since) if agent.state is S.WRAP_UP else 0.0
        self.cancel_timer("wrapup", agent.agent_id)
        if call_id is not None:
            self.wrapup_finished(agent, call_id, seconds)
        agent.call_id = None
        agent.wrapup_until = None
        agent.wrapup_required_disposition = False
        agent.disposition = None

    def _leave_wrapup(self, agent: Agent) -> None:
        if agent.state is S.WRAP_UP:
            self._close_wrapup(agent)

    def _require_disposition_given(self, agent: Agent) -> None:
        if agent.wrapup_required_disposition and not agent.disposition:
            raise CommandRejected("conflict", "this queue requires a disposition before leaving wrap-up")

    def _notify_pending(self, agent: Agent) -> None:
        self.notify(f"agent:{agent.agent_id}", "agent.state", **self.agent_view(agent))
