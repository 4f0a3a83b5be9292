// The top bar: who, the state badge with its ticking time, the phone's health, sign out;
// and the status line under it while the live stream reconnects.

import { since } from "../clock.js";
import { byId, setAttr, setText, show } from "../dom.js";
import { clock, reasonLabel, stateLabel } from "../format.js";
import { everySecond } from "../ticker.js";

const HEALTH_TEXT = {
  connecting: "Phone connecting…",
  registered: "Phone ready",
  failed: "Phone offline",
  demo: "Demo phone",
};

export function mountHeader(store, actions, announce) {
  const badge = byId("state-badge");
  const label = byId("state-label");
  const reason = byId("state-reason");
  const timer = byId("state-since");
  const health = byId("phone-health");
  const healthText = byId("phone-health-text");
  const retry = byId("phone-retry");
  const liveLine = byId("live-status");
  const liveText = byId("live-status-text");

  byId("logout").addEventListener("click", () => actions.signOut());
  retry.addEventListener("click", () => actions.retryPhone());

  function render(state, prev) {
    const user = state.user;
    setText(byId("agent-name"), user ? user.name : "");
    setText(byId("agent-id"), user ? user.agent_id : "");

    const agent = state.agent;
    const st = agent ? agent.state : "logged-out";
    setAttr(badge, "data-state", st);
    setText(label, stateLabel(st));
    const why = agent && st === "not-ready" ? reasonLabel(agent.reason) : "";
    setText(reason, why ? `· ${why}` : "");
    if (prev && prev.agent && agent && (prev.agent.state !== agent.state || prev.agent.reason !== agent.reason)) {
      announce(`Your state: ${stateLabel(st)}${why ? `, ${why}` : ""}.`);
    }
    document.title = `${st === "offered" ? "☎ Incoming call" : stateLabel(st)} · Agent desk`;

    const p = state.phone;
    setAttr(health, "data-health", p.health);
    setText(healthText, p.health === "failed" && p.detail ? `Phone offline: ${p.detail}` : HEALTH_TEXT[p.health] ?? p.health);
    health.title = p.detail || "";
    show(retry, p.health === "failed");

    const live = state.live;
    byId("desk-view").dataset.live = live;
    show(liveLine, live !== "open");
    setText(
      liveText,
      live === "connecting" ? "Connecting to the server…" : "Connection to the server lost. Reconnecting… your state will refresh when it is back.",
    );
  }

  function tick() {
    const agent = store.get().agent;
    setText(timer, clock(agent ? since(agent.since) : 0));
  }

  store.subscribe((state, prev) => {
    render(state, prev);
    if (state.agent !== prev.agent) tick();
  });
  render(store.get(), null);
  everySecond(tick);
}
