// Wrap-up: a disposition (required by some queues: the server answers 409 without one), the
// countdown to wrapup_until, overdue shown, "Finish wrap-up".

import { until } from "../clock.js";
import { byId, h, replaceChildren, setAttr, setText, show } from "../dom.js";
import { clock, reasonLabel, stateLabel } from "../format.js";
import { everySecond } from "../ticker.js";
import { callerTitle } from "./offer.js";

const ENDINGS = {
  "completed-by-caller": "ended: the caller hung up",
  "completed-by-agent": "ended",
  transferred: "was transferred",
};

/** The dispositions that apply to a queue: its own and the global ones (queue null). */
export function dispositionsFor(all, queue) {
  return (all || []).filter((d) => !d.queue || d.queue === queue);
}

export function mountWrapup(store, actions) {
  const form = byId("wrap-form");
  const options = byId("wrap-options");
  const fieldset = byId("wrap-dispositions");
  const error = byId("wrap-error");
  const endBtn = byId("btn-wrap-end");
  const countdown = byId("wrap-countdown");
  let optionsKey = "";

  options.addEventListener("change", (event) => {
    if (event.target.name === "disposition") actions.chooseDisposition(event.target.value);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    endBtn.disabled = true;
    try {
      await actions.endWrapup();
    } finally {
      endBtn.disabled = false;
    }
  });

  function render(state) {
    const agent = state.agent;
    if (!agent || agent.state !== "wrap-up") {
      optionsKey = "";
      return;
    }
    const call = state.lastCall;
    const list = dispositionsFor(state.config.dispositions, call ? call.queue : null);
    const key = JSON.stringify(list);
    if (key !== optionsKey) {
      optionsKey = key;
      replaceChildren(
        options,
        list.map((d) =>
          h(
            "label",
            {},
            h("input", { type: "radio", name: "disposition", value: d.code }),
            h("span", { text: d.label || d.code }),
          ),
        ),
      );
    }
    show(fieldset, list.length > 0);
    const chosen = state.wrapup.choice ?? agent.disposition ?? "";
    for (const input of options.querySelectorAll("input")) input.checked = input.value === chosen;
    show(byId("wrap-required"), Boolean(agent.disposition_required));

    if (call) {
      const who = call.direction === "outbound" ? call.number || "outbound call" : callerTitle(call.caller_name, call.caller_number);
      const talk = call.answered_at && call.ended_at ? ` · talked ${clock(call.ended_at - call.answered_at)}` : "";
      const how = ENDINGS[call.ended_reason] ?? "ended";
      setText(byId("wrap-summary"), `Call with ${who}${call.queue ? ` (${call.queue})` : ""} ${how}${talk}.`);
    } else {
      setText(byId("wrap-summary"), "The call ended.");
    }
    const p = agent.pending;
    const next = p ? (p.state === "not-ready" ? `Not ready (${reasonLabel(p.reason)})` : stateLabel(p.state)) : "Ready";
    setText(byId("wrap-next"), `Then: ${next}`);
    setText(error, state.wrapup.error || "");
    show(error, Boolean(state.wrapup.error));
  }

  function tick() {
    const state = store.get();
    const agent = state.agent;
    if (!agent || agent.state !== "wrap-up") return;
    const label = byId("wrap-countdown-label");
    const value = byId("wrap-countdown-value");
    if (!agent.wrapup_until) {
      setAttr(countdown, "data-overdue", "false");
      setText(label, "No time limit");
      setText(value, "");
      return;
    }
    const left = until(agent.wrapup_until);
    const overdue = state.wrapupOverdue || left < -1;
    setAttr(countdown, "data-overdue", overdue);
    setText(label, overdue ? "Overdue by" : "Time left");
    setText(value, clock(Math.abs(left)));
  }

  store.subscribe((state, prev) => {
    render(state);
    if (state.agent !== prev.agent || state.wrapupOverdue !== prev.wrapupOverdue) tick();
  });
  render(store.get());
  everySecond(tick);
}
