// The supervisors' wallboard: every queue and agent, live. Fed by /api/queues, /api/agents,
// /api/calls and the live stream (queue.stats, agent.state, agent.reachability, call.*).

import { api, onSessionLost, seg, setCsrfToken, stillLoggedIn } from "./api.js";
import { byId, h, replaceChildren, setText, show } from "./dom.js";
import { reasonLabel, stateLabel } from "./format.js";
import { createLive } from "./live.js";
import { createStore } from "./state.js";
import { everySecond } from "./ticker.js";
import { mountLogin } from "./ui/login.js";
import { mountToast, showToast } from "./ui/toast.js";
import { createAgentRows } from "./ui/wb_agents.js";
import { createQueueCards } from "./ui/wb_queues.js";

const TV = new URLSearchParams(location.search).get("tv") === "1";
const FIGURES_EVERY_MS = 30000;
const DEFAULT_REASONS = ["supervisor", "break", "lunch", "training", "meeting"];

const store = createStore({
  user: null,
  queues: new Map(),
  agents: new Map(),
  calls: new Map(),
  reasons: DEFAULT_REASONS,
  live: "connecting",
  forbidden: false,
});
let figuresTimer = null;
let callsSoon = null;
let figuresSoon = null;

// ------------------------------------------------------------------ data

function mapBy(list, key) {
  return new Map((list || []).map((item) => [item[key], item]));
}

async function loadAll() {
  const [queues, agents, calls] = await Promise.all([api.get("/api/queues"), api.get("/api/agents"), api.get("/api/calls")]);
  store.update({
    queues: mapBy(queues.queues, "queue"),
    agents: mapBy(agents.agents, "agent_id"),
    calls: mapBy(calls.calls, "call_id"),
  });
}

async function loadFigures() {
  try {
    const queues = await api.get("/api/queues");
    store.update({ queues: mapBy(queues.queues, "queue") });
  } catch {
    /* the live figures stay */
  }
}

async function loadCalls() {
  try {
    const calls = await api.get("/api/calls");
    store.update({ calls: mapBy(calls.calls, "call_id") });
  } catch {
    /* next time */
  }
}

function soon(timer, fn, ms) {
  clearTimeout(timer);
  return setTimeout(fn, ms);
}

function callOf(agent) {
  const calls = store.get().calls;
  if (agent.call_id && calls.has(agent.call_id)) return calls.get(agent.call_id);
  for (const call of calls.values()) if (call.agent_id === agent.agent_id) return call;
  return null;
}

function withEntry(map, key, value) {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
}

function onMessage(kind, data) {
  const s = store.get();
  switch (kind) {
    case "reset":
      loadAll().catch(() => {});
      break;
    case "hello":
      // A (re)connection: the live messages resume from now; reload the lists to be exact.
      loadAll().catch(() => {});
      break;
    case "queue.stats": {
      const old = s.queues.get(data.queue) || {};
      store.update({ queues: withEntry(s.queues, data.queue, { ...old, ...data }) });
      break;
    }
    case "agent.state": {
      const old = s.agents.get(data.agent_id);
      if (old && data.since < old.since) break;
      store.update({ agents: withEntry(s.agents, data.agent_id, data) });
      if (!old || old.call_id !== data.call_id || old.state !== data.state) callsSoon = soon(callsSoon, loadCalls, 250);
      break;
    }
    case "agent.reachability": {
      const old = s.agents.get(data.agent_id);
      if (old) store.update({ agents: withEntry(s.agents, data.agent_id, { ...old, reachable: data.reachable }) });
      break;
    }
    case "call.ended":
      store.update({ calls: withEntry(s.calls, data.call_id, undefined) });
      figuresSoon = soon(figuresSoon, loadFigures, 1000);
      break;
    case "call.state":
    case "call.offered":
      if (data.call_id) store.update({ calls: withEntry(s.calls, data.call_id, data) });
      break;
    default:
      break;
  }
}

const live = createLive({
  onMessage,
  onStatus: (status) => store.update({ live: status }),
  stillLoggedIn: () => stillLoggedIn(leave),
});

// ------------------------------------------------------------------ actions

const forceDialog = byId("force-dialog");
const forceReason = byId("force-reason");
const forceError = byId("force-error");
let forceTarget = null;

let forceMode = "not-ready";

function openForce(agentId, mode) {
  forceTarget = agentId;
  forceMode = mode;
  const agent = store.get().agents.get(agentId);
  const who = `${agent ? agent.name || agentId : agentId} (${agentId})`;
  const notReady = mode === "not-ready";
  setText(byId("force-title"), notReady ? "Set agent not ready" : "Log agent out");
  setText(byId("force-who"), notReady ? `${who} stops getting calls.` : `${who} is logged out of every queue.`);
  setText(byId("force-go"), notReady ? "Set not ready" : "Log out");
  show(byId("force-reason-field"), notReady);
  replaceChildren(forceReason, store.get().reasons.map((r) => h("option", { value: r, text: reasonLabel(r) })));
  forceReason.value = "supervisor";
  show(forceError, false);
  forceDialog.showModal();
  (notReady ? forceReason : byId("force-go")).focus();
}

const actions = {
  forceNotReady: (agentId) => openForce(agentId, "not-ready"),
  forceLogout: (agentId) => openForce(agentId, "logged-out"),
};

function applyAgent(view) {
  if (view && view.agent_id) onMessage("agent.state", view);
}

byId("force-cancel").addEventListener("click", () => forceDialog.close());
byId("force-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const go = byId("force-go");
  go.disabled = true;
  const body = forceMode === "not-ready" ? { state: "not-ready", reason: forceReason.value } : { state: "logged-out" };
  try {
    applyAgent(await api.post(`/api/agents/${seg(forceTarget)}/state`, body));
    forceDialog.close();
  } catch (err) {
    setText(forceError, err.message);
    show(forceError, true);
  } finally {
    go.disabled = false;
  }
});

// ------------------------------------------------------------------ view

const queueCards = createQueueCards(byId("queues"));
const agentRows = createAgentRows(byId("agents"), byId("agents-empty"), actions);

function summary(agents) {
  const counts = {};
  let signedIn = 0;
  for (const a of agents.values()) {
    if (a.state === "logged-out") continue;
    signedIn += 1;
    counts[a.state] = (counts[a.state] || 0) + 1;
  }
  const parts = ["ready", "on-call", "on-hold", "offered", "wrap-up", "not-ready"]
    .filter((s) => counts[s])
    .map((s) => `${counts[s]} ${stateLabel(s).toLowerCase()}`);
  return `${signedIn} agent${signedIn === 1 ? "" : "s"} signed in${parts.length ? ` · ${parts.join(" · ")}` : ""}`;
}

function render(state, prev) {
  byId("board").dataset.live = state.live;
  show(byId("live-status"), state.live !== "open" && !state.forbidden);
  setText(
    byId("live-status-text"),
    state.live === "connecting" ? "Connecting…" : "Connection lost. Reconnecting… the board refreshes when it is back.",
  );
  show(byId("forbidden"), state.forbidden);
  show(byId("wb-main"), !state.forbidden);
  if (state.user) setText(byId("wb-user"), state.user.name);
  if (state.forbidden) return;
  if (!prev || state.queues !== prev.queues) queueCards.render(state.queues);
  if (!prev || state.agents !== prev.agents || state.calls !== prev.calls) {
    agentRows.render(state.agents, callOf);
    setText(byId("wb-summary"), summary(state.agents));
  }
}

store.subscribe(render);
everySecond(() => {
  setText(byId("wb-clock"), new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
  const s = store.get();
  if (s.forbidden || !s.user) return;
  queueCards.render(s.queues);
  agentRows.tick(s.agents, callOf);
});

// ------------------------------------------------------------------ screens

const login = mountLogin((session) => enter(session));

async function enter(session) {
  setCsrfToken(session.csrf_token);
  byId("boot").hidden = true;
  login.hide();
  byId("board").hidden = false;
  store.update({ user: session.user, forbidden: false });
  if (session.user.role === "agent") {
    forbid(session.user);
    return;
  }
  try {
    await loadAll();
  } catch (err) {
    if (err.status === 403) {
      forbid(session.user);
      return;
    }
    showToast(err.message);
  }
  api
    .get("/api/me")
    .then((me) => {
      const reasons = me.config?.not_ready_reasons;
      if (Array.isArray(reasons) && reasons.length) store.update({ reasons: ["supervisor", ...reasons.filter((r) => r !== "supervisor")] });
    })
    .catch(() => {});
  live.start();
  clearInterval(figuresTimer);
  figuresTimer = setInterval(() => {
    loadFigures();
    loadCalls();
  }, FIGURES_EVERY_MS);
}

function forbid(user) {
  setText(byId("forbidden-text"), `You are signed in as ${user.name || user.agent_id}, an agent. Ask a supervisor or an administrator for access.`);
  store.update({ forbidden: true });
}

function leave(message = "") {
  live.stop();
  clearInterval(figuresTimer);
  setCsrfToken(null);
  store.update({ user: null, queues: new Map(), agents: new Map(), calls: new Map(), forbidden: false, live: "connecting" });
  byId("board").hidden = true;
  login.show(message);
}

byId("logout").addEventListener("click", async () => {
  try {
    await api.post("/api/logout");
  } catch {
    /* gone either way */
  }
  leave();
});
onSessionLost(() => leave("Your session has ended. Please sign in again."));
mountToast();
if (TV) document.body.classList.add("tv");

(async function boot() {
  try {
    const session = await api.get("/api/session", { expectAuth: false });
    await enter(session);
  } catch (err) {
    byId("boot").hidden = true;
    login.show(err.status === 401 ? "" : err.message);
  }
})();
