// Wallboard: one row per agent, live (state badge, time in state, current call, queues), with the
// supervisor's actions: force not-ready (with a reason) and log out. Rows are kept and updated in
// place, in a stable order, so keyboard focus is never lost while the board changes.

import { since } from "../clock.js";
import { h, replaceChildren, setAttr, setText, show } from "../dom.js";
import { clock, reasonLabel, stateLabel } from "../format.js";

function callText(call, agent) {
  if (!call) return agent.call_id && agent.state !== "wrap-up" ? "Call in progress" : "";
  const who = call.direction === "outbound" ? `→ ${call.number || ""}` : call.caller_name || call.caller_number || "Unknown caller";
  return call.queue ? `${who} (${call.queue})` : who;
}

function row(agent, actions) {
  const name = h("span", { class: "agent-name" });
  const id = h("span", { class: "agent-id", text: agent.agent_id });
  const badgeLabel = h("span");
  const badgeReason = h("span", { class: "badge-reason" });
  const badge = h("span", { class: "badge" }, badgeLabel, badgeReason);
  const unreachable = h("span", { class: "unreachable", text: "⚠ phone offline" });
  const time = h("td", { class: "time" });
  const callWhat = h("span");
  const callTime = h("span", { class: "num" });
  const queues = h("td");
  const force = h("button", { type: "button", class: "btn", text: "Not ready…" });
  const logout = h("button", { type: "button", class: "btn", text: "Log out" });
  force.addEventListener("click", () => actions.forceNotReady(agent.agent_id));
  logout.addEventListener("click", () => actions.forceLogout(agent.agent_id));
  const tr = h(
    "tr",
    { dataset: { agent: agent.agent_id } },
    h("td", {}, name, id),
    h("td", {}, badge, unreachable),
    time,
    h("td", { class: "call-cell" }, callWhat, callTime),
    queues,
    h("td", { class: "actions-cell" }, h("div", { class: "actions" }, force, logout)),
  );
  return { tr, name, badge, badgeLabel, badgeReason, unreachable, time, callWhat, callTime, queues, force, logout, queuesKey: "" };
}

export function createAgentRows(tbody, empty, actions) {
  const rows = new Map();

  function update(r, agent, call) {
    setAttr(r.tr, "data-state", agent.state);
    setText(r.name, agent.name || agent.agent_id);
    setAttr(r.badge, "data-state", agent.state);
    setText(r.badgeLabel, stateLabel(agent.state));
    setText(r.badgeReason, agent.state === "not-ready" && agent.reason ? `· ${reasonLabel(agent.reason)}` : "");
    show(r.unreachable, agent.reachable === false && agent.state !== "logged-out");
    setText(r.callWhat, callText(call, agent));
    const key = JSON.stringify(agent.queues || {});
    if (key !== r.queuesKey) {
      r.queuesKey = key;
      replaceChildren(r.queues, Object.keys(agent.queues || {}).sort().map((q) => h("span", { class: "chip", text: q })));
    }
    r.force.disabled = agent.state === "logged-out" || agent.state === "not-ready";
    r.logout.disabled = agent.state === "logged-out";
    const pending = agent.pending ? ` (then ${stateLabel(agent.pending.state).toLowerCase()})` : "";
    r.force.title = pending ? `Pending${pending}` : "";
  }

  function tickRow(r, agent, call) {
    setText(r.time, clock(since(agent.since)));
    setText(r.callTime, call ? clock(since(call.answered_at || call.entered_at)) : "");
  }

  return {
    render(agents, callOf) {
      const ids = [...agents.keys()].sort((a, b) => {
        const x = agents.get(a);
        const y = agents.get(b);
        return (x.name || x.agent_id).localeCompare(y.name || y.agent_id) || a.localeCompare(b);
      });
      let changed = ids.length !== rows.size;
      for (const id of [...rows.keys()]) {
        if (!agents.has(id)) {
          rows.get(id).tr.remove();
          rows.delete(id);
          changed = true;
        }
      }
      for (const id of ids) {
        if (!rows.has(id)) {
          rows.set(id, row(agents.get(id), actions));
          changed = true;
        }
        const agent = agents.get(id);
        update(rows.get(id), agent, callOf(agent));
        tickRow(rows.get(id), agent, callOf(agent));
      }
      if (changed) replaceChildren(tbody, ids.map((id) => rows.get(id).tr));
      show(empty, ids.length === 0);
    },
    tick(agents, callOf) {
      for (const [id, r] of rows) {
        const agent = agents.get(id);
        if (agent) tickRow(r, agent, callOf(agent));
      }
    },
  };
}
