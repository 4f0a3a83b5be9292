// The single source of truth of a page: a store, and the agent page's reducers for the live stream.
// Panels render from the store; nothing else keeps its own copy of the agent's or the call's state.

import { serverNow } from "./clock.js";

/** A tiny store: `update` takes a patch or a function of the state; subscribers get (next, prev). */
export function createStore(initial) {
  let state = initial;
  const subscribers = new Set();
  return {
    get: () => state,
    update(change) {
      const next = typeof change === "function" ? change(state) : { ...state, ...change };
      if (next === state) return;
      const prev = state;
      state = next;
      for (const fn of subscribers) fn(state, prev);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

export const BUSY = new Set(["on-call", "on-hold"]);
const NO_WRAPUP = Object.freeze({ choice: null, error: "" });

export function initialDeskState() {
  return {
    user: null, // {agent_id, name, role}
    config: { not_ready_reasons: [], queues: [], dispositions: [], demo: false },
    agent: null, // AgentView
    call: null, // CallView of the call in progress (or in wrap-up), null otherwise
    lastCall: null, // the call the wrap-up is about
    offer: null, // the ringing offer: CallView + leg_id, waited, ring_timeout, receivedAt, customer...
    wrapupOverdue: false,
    wrapup: NO_WRAPUP, // the disposition picked on this page, the last refusal
    customers: {}, // call id -> {customer, customerSource, customerState}
    stats: null,
    statsAt: null,
    live: "connecting", // connecting | open | reconnecting
    phone: { health: "connecting", detail: "", incoming: null, answering: false, muted: false },
  };
}

/** The state after the full picture from `hello` or `GET /api/me` (agent + call). */
export function withSnapshot(state, agent, call) {
  let offer = null;
  if (agent && agent.state === "offered" && call) {
    offer = state.offer && state.offer.call_id === call.call_id ? { ...state.offer, ...call } : offerFrom(call, {});
  }
  const inWrapup = agent && agent.state === "wrap-up";
  return {
    ...state,
    agent,
    call: agent && agent.state !== "offered" && call && call.state !== "ended" ? call : null,
    lastCall: inWrapup ? call || (state.lastCall && state.lastCall.call_id === agent.call_id ? state.lastCall : null) : state.lastCall,
    offer,
    wrapupOverdue: inWrapup ? state.wrapupOverdue : false,
    wrapup: inWrapup ? state.wrapup : NO_WRAPUP,
  };
}

function offerFrom(data, extra) {
  return {
    call_id: data.call_id,
    leg_id: data.leg_id ?? null,
    queue: data.queue ?? null,
    caller_number: data.caller_number ?? "",
    caller_name: data.caller_name ?? "",
    entered_at: data.entered_at ?? null,
    first_entered_at: data.first_entered_at ?? null,
    waited: data.waited ?? null,
    ring_timeout: data.ring_timeout ?? null,
    receivedAt: Date.now(),
    customer: data.customer === undefined ? undefined : data.customer,
    customerSource: data.customer === undefined ? null : "stream",
    ...extra,
  };
}

/**
 * Whether a live message is about this page's own agent. A supervisor's stream also carries
 * every agent's `agent.state` and every `call.ended`: those are for the wallboard, not the desk.
 */
export function isMine(state, kind, data) {
  if (kind === "agent.state") return !state.user || data.agent_id === state.user.agent_id;
  if (kind === "call.ended") {
    const id = data.call_id;
    return Boolean(id) && [state.call, state.offer, state.agent && { call_id: state.agent.call_id }].some((c) => c && c.call_id === id);
  }
  return true;
}

/** Apply one live message to the agent page's state. */
export function reduceLive(state, kind, data) {
  switch (kind) {
    case "hello":
      return withSnapshot(state, data.agent ?? null, data.call ?? null);
    case "agent.state": {
      if (state.user && data.agent_id !== state.user.agent_id) return state;
      // A replayed message older than what we show must not take the page back in time.
      if (state.agent && data.since < state.agent.since) return state;
      const agent = data;
      const next = { ...state, agent };
      if (agent.state !== "offered") next.offer = null;
      if (agent.state === "wrap-up") {
        if (!state.agent || state.agent.state !== "wrap-up") {
          next.wrapupOverdue = false;
          next.wrapup = NO_WRAPUP;
        }
        next.lastCall = state.call && state.call.call_id === agent.call_id ? state.call : state.lastCall;
      } else {
        next.wrapupOverdue = false;
        next.wrapup = NO_WRAPUP;
      }
      if (!BUSY.has(agent.state) && agent.state !== "wrap-up") next.call = null;
      return next;
    }
    case "agent.wrapup_overdue":
      return { ...state, wrapupOverdue: true };
    case "call.offered":
      return { ...state, offer: offerFrom(data, {}) };
    case "call.ringing":
      if (!state.offer || state.offer.call_id !== data.call_id) return state;
      return { ...state, offer: { ...state.offer, leg_id: data.leg_id ?? state.offer.leg_id, ringing: true } };
    case "call.state": {
      const next = { ...state, call: data };
      if (state.offer && state.offer.call_id === data.call_id && data.state !== "offered") next.offer = null;
      if (state.lastCall && state.lastCall.call_id === data.call_id) next.lastCall = data;
      return next;
    }
    case "call.ended": {
      const next = { ...state };
      if (state.call && state.call.call_id === data.call_id) {
        next.lastCall = { ...state.call, state: "ended", ended_reason: data.reason, ended_at: serverNow() };
        next.call = null;
      }
      if (state.offer && state.offer.call_id === data.call_id) next.offer = null;
      return next;
    }
    default:
      return state;
  }
}
