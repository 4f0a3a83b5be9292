// The main card: which panel shows (idle, call, wrap-up) follows the agent's state.
// Focus moves to the new panel's heading (never to a button: a held Enter key must not hang up).

import { byId, h, replaceChildren, setAttr, setText, show } from "../dom.js";
import { reasonLabel } from "../format.js";

export function panelFor(agentState) {
  if (agentState === "on-call" || agentState === "on-hold") return "call";
  if (agentState === "wrap-up") return "wrapup";
  return "idle";
}

export function mountWorkspace(store) {
  const panels = { idle: byId("panel-idle"), call: byId("panel-call"), wrapup: byId("panel-wrapup") };
  const headings = { idle: byId("workspace-title"), call: byId("call-title"), wrapup: byId("wrap-title") };
  const idleQueues = byId("idle-queues");
  let current = null;
  let queuesKey = "";

  function renderIdle(state) {
    const agent = state.agent;
    const st = agent ? agent.state : "none";
    setAttr(panels.idle, "data-state", st);
    let title;
    let text;
    if (!agent) {
      title = "No agent profile";
      text = "Your account cannot take calls. Ask an administrator to add you to a queue.";
    } else if (st === "ready") {
      title = "Waiting for calls";
      text = "You are ready. Calls from your queues ring here.";
    } else if (st === "not-ready") {
      title = `Not ready: ${reasonLabel(agent.reason)}`;
      text = "You will not get calls. Choose Ready when you are back.";
    } else if (st === "offered") {
      title = "Incoming call…";
      text = "Answer or decline the call in the popup.";
    } else {
      title = "Logged out of the queues";
      text = "Choose Ready to start taking calls.";
    }
    if (agent && agent.reachable === false) text = `Your phone is not reachable: check that it is connected. ${text}`;
    setText(headings.idle, title);
    setText(byId("idle-text"), text);
    const queues = agent ? Object.entries(agent.queues || {}) : [];
    const key = JSON.stringify(queues);
    if (key !== queuesKey) {
      queuesKey = key;
      replaceChildren(
        idleQueues,
        queues.map(([name, level]) => h("li", { class: "chip", text: level > 1 ? `${name} · level ${level}` : name })),
      );
    }
  }

  function render(state) {
    const which = state.agent ? panelFor(state.agent.state) : "idle";
    for (const [name, el] of Object.entries(panels)) show(el, name === which);
    if (which === "idle") renderIdle(state);
    if (current !== null && which !== current && !state.offer) {
      const active = document.activeElement;
      const typing = active && active.matches("input[type=text], input[type=tel], input:not([type]), textarea");
      const lost = !active || active === document.body || panels[current].contains(active);
      // A call or a wrap-up takes the agent's attention; other changes move focus only if it was lost.
      if ((which !== "idle" && !typing) || lost) headings[which].focus({ preventScroll: true });
    }
    current = which;
  }

  store.subscribe(render);
  render(store.get());
}
