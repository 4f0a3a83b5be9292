// The dialpad: outbound calls when idle, DTMF tones to the other party during a call.

import { byId, h, setText } from "../dom.js";
import { keyBeep } from "../ringtone.js";
import { busy } from "./toast.js";

const KEYS = [
  ["1", ""], ["2", "ABC"], ["3", "DEF"],
  ["4", "GHI"], ["5", "JKL"], ["6", "MNO"],
  ["7", "PQRS"], ["8", "TUV"], ["9", "WXYZ"],
  ["*", ""], ["0", "+"], ["#", ""],
];
const DTMF = /^[0-9*#]$/;

/** Dialpad mode from the state: "dtmf" on a connected call, "dial" when a call may be placed, "off". */
export function dialpadMode(state) {
  const agent = state.agent;
  if (!agent) return "off";
  if ((agent.state === "on-call" || agent.state === "on-hold") && state.call && state.call.state !== "dialing") return "dtmf";
  if (agent.state === "ready" || agent.state === "not-ready" || agent.state === "wrap-up") return "dial";
  return "off";
}

export function mountDialpad(store, actions) {
  const form = byId("dial-form");
  const input = byId("dial-number");
  const dial = byId("btn-dial");
  const keys = byId("dialpad-keys");
  let mode = "off";

  for (const [digit, letters] of KEYS) {
    keys.append(
      h(
        "button",
        { type: "button", class: "key", "aria-label": digit === "*" ? "star" : digit === "#" ? "pound" : digit, dataset: { digit } },
        h("span", { class: "key-digit", text: digit }),
        h("span", { class: "key-letters", "aria-hidden": "true", text: letters }),
      ),
    );
  }

  function press(digit) {
    keyBeep(digit);
    if (mode === "dtmf") {
      actions.sendDtmf(digit);
      input.value = (input.value + digit).slice(-32);
    } else if (mode === "dial") {
      input.value = (input.value + digit).slice(0, 32);
      input.focus();
    }
  }

  keys.addEventListener("click", (event) => {
    const key = event.target.closest(".key");
    if (key) press(key.dataset.digit);
  });
  input.addEventListener("keydown", (event) => {
    if (mode === "dtmf" && DTMF.test(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (mode !== "dial") return;
    const number = input.value.replace(/[\s().-]/g, "");
    if (!number) {
      input.focus();
      return;
    }
    busy(dial, async () => {
      await actions.dial(number);
      input.value = "";
    });
  });

  function render(state) {
    const next = dialpadMode(state);
    if (next !== mode) {
      if (mode === "dtmf" || next === "dtmf") input.value = "";
      mode = next;
    }
    setText(byId("dialpad-mode"), mode === "dtmf" ? "Tones to the caller" : mode === "dial" ? "Outbound call" : "");
    input.placeholder = mode === "dtmf" ? "Keys sent" : "Number to call";
    input.readOnly = mode === "dtmf";
    input.disabled = mode === "off";
    dial.hidden = mode === "dtmf";
    dial.disabled = mode !== "dial";
    for (const key of keys.children) key.disabled = mode === "off";
  }

  store.subscribe(render);
  render(store.get());
}
