// Wallboard: one card per queue, live (waiting, oldest wait ticking) and today's figures.

import { since } from "../clock.js";
import { h, replaceChildren, setAttr, setText } from "../dom.js";
import { clock, percent, stateLabel } from "../format.js";

/** Oldest waits (seconds) from which a queue card turns amber, then red. */
export const WARN_AFTER = 30;
export const ALERT_AFTER = 120;

const AGENT_STATES = ["ready", "offered", "on-call", "on-hold", "wrap-up", "not-ready"];

export function queueLevel(queue, oldest) {
  if (!queue.waiting) return "ok";
  if (oldest >= ALERT_AFTER) return "alert";
  if (oldest >= WARN_AFTER) return "warn";
  return "ok";
}

function metric(label, cls) {
  const value = h("div", { class: `metric-value ${cls}` });
  return [h("div", {}, h("div", { class: "metric-label", text: label }), value), value];
}

function card(name) {
  const title = h("h3", { class: "qname", text: name });
  const flag = h("span", { class: "qflag" });
  const [waitingBox, waiting] = metric("Waiting", "metric-waiting");
  const [oldestBox, oldest] = metric("Oldest wait", "metric-oldest");
  const [slBox, sl] = metric("SL today", "metric-sl");
  slBox.title = "Service level today: calls answered within the queue's target";
  const [ansBox, answered] = metric("Answered", "metric-answered");
  const [abBox, abandoned] = metric("Abandoned", "metric-abandoned");
  ansBox.title = "Answered today";
  abBox.title = "Abandoned today";
  const agents = h("p", { class: "qagents" });
  const el = h(
    "article",
    { class: "qcard", dataset: { queue: name }, "aria-label": `Queue ${name}` },
    h("div", { class: "qcard-head" }, title, flag),
    h("div", { class: "qbig" }, waitingBox, oldestBox),
    h("div", { class: "qsmall" }, slBox, ansBox, abBox),
    agents,
  );
  return { el, flag, waiting, oldest, sl, answered, abandoned, agents };
}

export function createQueueCards(container) {
  const cards = new Map();

  function oldestOf(q) {
    return q.waiting && q.oldest_entered_at ? since(q.oldest_entered_at) : 0;
  }

  function update(c, q) {
    const oldest = oldestOf(q);
    const level = queueLevel(q, oldest);
    setAttr(c.el, "data-level", level);
    setText(c.flag, level === "alert" ? "▲ Long wait" : level === "warn" ? "● Waiting" : "");
    setText(c.waiting, String(q.waiting ?? 0));
    setText(c.oldest, q.waiting ? clock(oldest) : "–");
    setText(c.sl, percent(q.service_level));
    setText(c.answered, String(q.answered ?? "–"));
    setText(c.abandoned, String(q.abandoned ?? "–"));
    const counts = q.agents || {};
    const parts = AGENT_STATES.filter((s) => counts[s]).map((s) => `${counts[s]} ${stateLabel(s).toLowerCase()}`);
    setText(c.agents, parts.length ? `Agents: ${parts.join(" · ")}` : "No agents logged in");
  }

  return {
    render(queues) {
      const names = [...queues.keys()].sort();
      if (names.join("\n") !== [...cards.keys()].join("\n")) {
        for (const name of [...cards.keys()]) if (!queues.has(name)) cards.delete(name);
        for (const name of names) if (!cards.has(name)) cards.set(name, card(name));
        const ordered = new Map(names.map((n) => [n, cards.get(n)]));
        cards.clear();
        for (const [k, v] of ordered) cards.set(k, v);
        replaceChildren(container, [...cards.values()].map((c) => c.el));
      }
      for (const [name, c] of cards) update(c, queues.get(name));
    },
  };
}
