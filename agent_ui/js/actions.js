// What the agent can do, as functions the panels call. Each one talks to the API or the phone and
// folds the answer into the store at once (the live stream confirms it a moment later).

import { api, seg } from "./api.js";
import { reduceLive } from "./state.js";

export function createActions({ store, phone, transferDialog, signOut, retryPhone }) {
  // The disposition picked in wrap-up is saved at once; leaving the wrap-up waits for it.
  let dispositionSaved = Promise.resolve();

  function applyAgent(view) {
    if (view && view.agent_id) store.update((s) => reduceLive(s, "agent.state", view));
  }

  function patchPhone(patch) {
    store.update((s) => ({ ...s, phone: { ...s.phone, ...patch } }));
  }

  async function loginFirst() {
    await dispositionSaved;
    const agent = store.get().agent;
    if (agent && agent.state === "logged-out") applyAgent(await api.post("/api/me/login"));
  }

  function requirePhone() {
    const p = phone();
    if (!p) throw new Error("Your phone is not connected yet.");
    return p;
  }

  return {
    async ready() {
      await loginFirst();
      applyAgent(await api.post("/api/me/ready"));
    },

    async notReady(reason) {
      await loginFirst();
      applyAgent(await api.post("/api/me/not-ready", { reason }));
    },

    async logoutAcd() {
      await dispositionSaved;
      applyAgent(await api.post("/api/me/logout"));
    },

    async answer() {
      const s = store.get();
      const incoming = s.phone.incoming;
      if (!incoming || s.phone.answering) return;
      patchPhone({ answering: true });
      try {
        await requirePhone().answer(incoming.id);
      } catch (err) {
        patchPhone({ answering: false });
        throw err;
      }
    },

    async reject(statusCode) {
      const s = store.get();
      const incoming = s.phone.incoming;
      if (!incoming || s.phone.answering) return;
      await requirePhone().reject(incoming.id, statusCode);
    },

    /** Hang up through the engine; if the server cannot be reached, hang up the phone itself. */
    async hangup() {
      const call = store.get().call;
      if (call && call.state !== "dialing") {
        try {
          await api.post(`/api/calls/${seg(call.call_id)}/hangup`);
          return;
        } catch (err) {
          if (err.status !== 0 && err.status !== 404 && err.status !== 409) throw err;
        }
      }
      await phone()?.hangup();
    },

    toggleMute() {
      const muted = !store.get().phone.muted;
      phone()?.setMuted(muted);
      patchPhone({ muted });
    },

    async toggleHold() {
      const { call, agent } = store.get();
      if (!call) return;
      const held = (agent && agent.state === "on-hold") || call.held;
      const view = await api.post(`/api/calls/${seg(call.call_id)}/${held ? "unhold" : "hold"}`);
      if (view && view.call_id) store.update((s) => reduceLive(s, "call.state", view));
    },

    openTransfer() {
      transferDialog().open();
    },

    async transfer(kind, target) {
      const call = store.get().call;
      if (!call) throw new Error("There is no call to transfer.");
      await api.post(`/api/calls/${seg(call.call_id)}/transfer`, { kind, target });
    },

    sendDtmf(digit) {
      phone()?.sendDtmf(digit);
    },

    async dial(number) {
      await requirePhone().dial(number);
    },

    chooseDisposition(code) {
      store.update((s) => ({ ...s, wrapup: { choice: code, error: "" } }));
      dispositionSaved = api
        .post("/api/me/disposition", { disposition: code })
        .then(applyAgent)
        .catch((err) => store.update((s) => ({ ...s, wrapup: { ...s.wrapup, error: err.message } })));
    },

    async endWrapup() {
      await dispositionSaved;
      const s = store.get();
      const code = s.wrapup.choice ?? s.agent?.disposition ?? null;
      try {
        applyAgent(await api.post("/api/me/wrapup/end", code ? { disposition: code } : {}));
      } catch (err) {
        store.update((st) => ({ ...st, wrapup: { ...st.wrapup, error: err.message } }));
      }
    },

    signOut,
    retryPhone,
  };
}
