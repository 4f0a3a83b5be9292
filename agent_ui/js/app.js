// The agent page: sign-in, then the desk. This module wires the parts; each part owns one thing:
// api.js (HTTP), live.js (the stream), state.js (the truth), phone.js (SIP or demo), ui/* (views).

import { createActions } from "./actions.js";
import { api, onSessionLost, setCsrfToken, stillLoggedIn } from "./api.js";
import { byId, setText } from "./dom.js";
import { createLive } from "./live.js";
import { createPhone } from "./phone.js";
import { stopRinging, unlock } from "./ringtone.js";
import { createStore, initialDeskState, isMine, reduceLive, withSnapshot } from "./state.js";
import { mountCall } from "./ui/call.js";
import { mountDialpad } from "./ui/dialpad.js";
import { mountHeader } from "./ui/header.js";
import { mountLogin } from "./ui/login.js";
import { mountOffer } from "./ui/offer.js";
import { mountStatebar } from "./ui/statebar.js";
import { mountStats } from "./ui/stats.js";
import { mountToast, showToast } from "./ui/toast.js";
import { mountTransfer } from "./ui/transfer.js";
import { mountWorkspace } from "./ui/workspace.js";
import { mountWrapup } from "./ui/wrapup.js";

const STATS_EVERY_MS = 5 * 60 * 1000;

const store = createStore(initialDeskState());
let phone = null;
let phoneGeneration = 0;
let statsTimer = null;
let statsSoon = null;

// ------------------------------------------------------------------ announcements (screen readers)

function announcer(id) {
  const region = byId(id);
  return (message) => {
    region.textContent = "";
    setTimeout(() => {
      region.textContent = message;
    }, 30);
  };
}
const announce = announcer("announce");
const announceUrgent = announcer("announce-urgent");

// ------------------------------------------------------------------ server state

async function loadMe() {
  const me = await api.get("/api/me");
  store.update((s) => ({ ...withSnapshot(s, me.agent ?? null, me.call ?? null), config: { ...s.config, ...(me.config || {}) } }));
}

async function refreshStats() {
  try {
    const stats = await api.get("/api/me/stats");
    store.update({ stats, statsAt: Date.now() });
  } catch {
    /* keep the last figures */
  }
}

function refreshStatsSoon() {
  clearTimeout(statsSoon);
  statsSoon = setTimeout(refreshStats, 1500); // the outbox writes within ~0.2 s
}

/** How long a fresh offer waits for the server's `call.customer` before asking itself. */
const CUSTOMER_GRACE_MS = 1200;

/**
 * Customer data for a call: the `customer` sent with the offer when the server had it cached;
 * else the `call.customer` message that follows when the server's background lookup finds the
 * caller; else (not found, or a page loaded during the call) GET /api/customers/lookup.
 */
function ensureCustomer(call, { fresh = false } = {}) {
  if (!call || !call.call_id || call.direction === "outbound") return;
  if (store.get().customers[call.call_id]) return;
  const put = (entry) => store.update((s) => ({ ...s, customers: { ...s.customers, [call.call_id]: entry } }));
  if (call.customer !== undefined) {
    put({ customer: call.customer, customerSource: "stream" });
    return;
  }
  if (!call.caller_number) {
    put({ customer: null, customerSource: null });
    return;
  }
  put({ customerState: "loading" });
  const lookup = () => {
    if (store.get().customers[call.call_id]?.customerState !== "loading") return; // call.customer came
    api
      .get(`/api/customers/lookup?number=${encodeURIComponent(call.caller_number)}`)
      .then((answer) => {
        if (store.get().customers[call.call_id]?.customerState === "loading") {
          put({ customer: answer.customer ?? null, customerSource: "lookup" });
        }
      })
      .catch(() => put({ customerState: "error" }));
  };
  if (fresh) setTimeout(lookup, CUSTOMER_GRACE_MS);
  else lookup();
}

store.subscribe((state, prev) => {
  if (state.offer && state.offer !== prev.offer) ensureCustomer(state.offer, { fresh: Boolean(state.offer.leg_id) });
  if (state.call && state.call !== prev.call && state.call.direction !== "outbound") ensureCustomer(state.call);
  const was = prev.agent ? prev.agent.state : null;
  const now = state.agent ? state.agent.state : null;
  if (was === "wrap-up" && now !== "wrap-up") refreshStatsSoon();
});

// ------------------------------------------------------------------ live stream

const live = createLive({
  onMessage(kind, data) {
    if (!isMine(store.get(), kind, data)) return;
    if (kind === "reset") {
      loadMe().catch(() => {});
    } else if (kind === "call.customer") {
      // The server found the caller after the offer went out (an external CRM, a cold cache).
      if (data.call_id) {
        const entry = { customer: data.customer ?? null, customerSource: "stream" };
        store.update((s) => ({ ...s, customers: { ...s.customers, [data.call_id]: entry } }));
      }
    } else {
      store.update((s) => reduceLive(s, kind, data));
    }
    phone?.onLive?.(kind, data);
    if (kind === "call.ended") refreshStatsSoon();
  },
  onStatus(status) {
    store.update({ live: status === "open" ? "open" : status });
  },
  stillLoggedIn: () => stillLoggedIn(leaveDesk),
});

// ------------------------------------------------------------------ phone

function patchPhone(patch) {
  store.update((s) => ({ ...s, phone: { ...s.phone, ...patch } }));
}

async function startPhone() {
  const generation = ++phoneGeneration;
  patchPhone({ health: "connecting", detail: "", incoming: null, answering: false, muted: false });
  let created;
  try {
    created = await createPhone(api, byId("remote-audio"));
  } catch (err) {
    if (generation === phoneGeneration) patchPhone({ health: "failed", detail: err.message });
    return;
  }
  if (generation !== phoneGeneration) {
    created.stop();
    return;
  }
  phone = created;
  phone.on("health", ({ health, detail }) => patchPhone({ health, detail }));
  phone.on("incoming", (incoming) => patchPhone({ incoming, answering: false }));
  phone.on("incoming-gone", ({ id }) => {
    if (store.get().phone.incoming?.id === id) patchPhone({ incoming: null, answering: false });
  });
  phone.on("answered", () => patchPhone({ incoming: null, answering: false }));
  phone.on("ended", () => patchPhone({ muted: false }));
  await phone.start();
}

function stopPhone() {
  phoneGeneration += 1;
  const p = phone;
  phone = null;
  if (p) Promise.resolve(p.stop()).catch(() => {});
}

// ------------------------------------------------------------------ screens

const login = mountLogin((session) => enterDesk(session), unlock);

async function enterDesk(session) {
  setCsrfToken(session.csrf_token);
  store.update({ ...initialDeskState(), user: session.user, agent: session.agent ?? null });
  byId("boot").hidden = true;
  login.hide();
  byId("desk-view").hidden = false;
  try {
    await loadMe();
  } catch (err) {
    if (err.status !== 401) showToast(err.message);
  }
  live.start();
  startPhone();
  refreshStats();
  clearInterval(statsTimer);
  statsTimer = setInterval(refreshStats, STATS_EVERY_MS);
  byId("workspace-title").focus({ preventScroll: true });
}

function leaveDesk(message = "") {
  live.stop();
  stopPhone();
  stopRinging();
  clearInterval(statsTimer);
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  setCsrfToken(null);
  store.update(initialDeskState());
  byId("desk-view").hidden = true;
  byId("boot").hidden = true;
  login.show(message);
}

async function signOut() {
  try {
    await api.post("/api/logout");
  } catch {
    /* the session is gone either way */
  }
  leaveDesk();
}

onSessionLost(() => leaveDesk("Your session has ended. Please sign in again."));

// ------------------------------------------------------------------ panels

let transferDialog = null;
const actions = createActions({
  store,
  phone: () => phone,
  transferDialog: () => transferDialog,
  signOut,
  retryPhone: () => (phone ? phone.retry() : startPhone()),
});

mountToast();
mountHeader(store, actions, announce);
mountStatebar(store, actions);
mountOffer(store, actions, announceUrgent); // before the workspace: the popup closes, then focus moves
mountWorkspace(store);
mountCall(store, actions);
mountWrapup(store, actions);
mountDialpad(store, actions);
mountStats(store);
transferDialog = mountTransfer(store, actions);

// Any click may unlock audio (browsers allow it only after a gesture).
document.addEventListener("pointerdown", unlock, { capture: true });
document.addEventListener("keydown", unlock, { capture: true, once: true });

// ------------------------------------------------------------------ boot

async function boot() {
  try {
    const session = await api.get("/api/session", { expectAuth: false });
    await enterDesk(session);
  } catch (err) {
    byId("boot").hidden = true;
    login.show(err.status === 401 ? "" : err.message);
  }
}

setText(byId("boot"), "Loading…");
boot();
