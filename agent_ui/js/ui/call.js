// The call panel: who, for how long, on hold or not; mute, hold, transfer, hang up.

import { since } from "../clock.js";
import { byId, setAttr, setText, show } from "../dom.js";
import { clock, timeOfDay } from "../format.js";
import { everySecond } from "../ticker.js";
import { renderCustomer } from "./customer.js";
import { callerTitle } from "./offer.js";
import { busy } from "./toast.js";

/** "Waited 0:42 in the queue · answered at 14:05" (what the agent may be asked about). */
function facts(call) {
  const parts = [];
  const queued = call.first_entered_at || call.entered_at;
  if (call.direction !== "outbound" && queued && call.answered_at) parts.push(`Waited ${clock(call.answered_at - queued)} in the queue`);
  if (call.answered_at) parts.push(`answered at ${timeOfDay(new Date(call.answered_at * 1000))}`);
  const text = parts.join(" · ");
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

export function mountCall(store, actions) {
  const status = byId("call-status");
  const mute = byId("btn-mute");
  const hold = byId("btn-hold");
  const transfer = byId("btn-transfer");
  const hangup = byId("btn-hangup");
  const holdLine = byId("call-hold");

  mute.addEventListener("click", () => actions.toggleMute());
  hold.addEventListener("click", () => busy(hold, () => actions.toggleHold()));
  transfer.addEventListener("click", () => actions.openTransfer());
  hangup.addEventListener("click", () => busy(hangup, () => actions.hangup()));

  function render(state) {
    const agent = state.agent;
    if (!agent || (agent.state !== "on-call" && agent.state !== "on-hold")) return;
    const call = state.call;
    const held = agent.state === "on-hold" || Boolean(call && call.held);
    const dialing = call && call.state === "dialing";
    const outbound = call && call.direction === "outbound";
    setAttr(status, "data-status", held ? "held" : dialing ? "dialing" : "connected");
    setText(status, held ? "On hold" : dialing ? "Calling…" : "Connected");
    if (call) {
      const title = outbound ? call.number || "Outbound call" : callerTitle(call.caller_name, call.caller_number);
      setText(byId("call-title"), title);
      setText(byId("call-number"), !outbound && call.caller_number !== title ? call.caller_number : "");
      setText(byId("call-meta"), outbound ? "Outbound" : call.queue ? `Inbound · ${call.queue}` : "Inbound");
      setText(byId("call-facts"), facts(call));
    } else {
      setText(byId("call-title"), "Connecting…");
      setText(byId("call-number"), "");
      setText(byId("call-meta"), "");
      setText(byId("call-facts"), "");
    }
    renderCustomer(byId("call-customer"), call && !outbound ? state.customers[call.call_id] : null);
    setAttr(mute, "aria-pressed", state.phone.muted);
    setText(mute, state.phone.muted ? "Unmute" : "Mute");
    setAttr(hold, "aria-pressed", held);
    setText(hold, held ? "Resume" : "Hold");
    hold.disabled = !call || dialing;
    transfer.disabled = !call || dialing || outbound;
    show(holdLine, held);
  }

  function tick() {
    const state = store.get();
    const call = state.call;
    if (!call) {
      setText(byId("call-duration"), "0:00");
      return;
    }
    setText(byId("call-duration"), clock(since(call.answered_at || call.entered_at)));
    const agent = state.agent;
    if (agent && agent.state === "on-hold") {
      setText(holdLine, `On hold for ${clock(since(agent.since))} · the caller hears music`);
    }
  }

  store.subscribe((state, prev) => {
    render(state);
    if (state.call !== prev.call || state.agent !== prev.agent) tick();
  });
  render(store.get());
  everySecond(tick);
}
