// Availability controls: Ready, Not ready with a reason, log out of the queues; a change asked
// during a call waits for its end and is shown as pending.

import { byId, h, replaceChildren, setAttr, setText, show } from "../dom.js";
import { reasonLabel, stateLabel } from "../format.js";
import { busy } from "./toast.js";

export function mountStatebar(store, actions) {
  const ready = byId("btn-ready");
  const notReady = byId("btn-not-ready");
  const select = byId("nr-reason");
  const pending = byId("pending");
  const acdLogout = byId("btn-acd-logout");
  let reasonsKey = "";

  ready.addEventListener("click", () => busy(ready, () => actions.ready()));
  notReady.addEventListener("click", () => busy(notReady, () => actions.notReady(select.value)));
  acdLogout.addEventListener("click", () => busy(acdLogout, () => actions.logoutAcd()));

  function render(state) {
    const reasons = state.config.not_ready_reasons || [];
    const key = reasons.join("\n");
    if (key !== reasonsKey) {
      reasonsKey = key;
      const current = select.value;
      replaceChildren(select, reasons.map((r) => h("option", { value: r, text: reasonLabel(r) })));
      if (reasons.includes(current)) select.value = current;
    }
    const agent = state.agent;
    const st = agent ? agent.state : "logged-out";
    setAttr(ready, "aria-pressed", st === "ready");
    setAttr(notReady, "aria-pressed", st === "not-ready");
    const disabled = !agent;
    ready.disabled = disabled;
    notReady.disabled = disabled || reasons.length === 0;
    select.disabled = disabled || reasons.length === 0;
    acdLogout.disabled = disabled || st === "logged-out";

    const p = agent && agent.pending;
    show(pending, Boolean(p));
    if (p) {
      const what = p.state === "not-ready" ? `${stateLabel(p.state)} (${reasonLabel(p.reason)})` : stateLabel(p.state);
      setText(pending, `After this call: ${what}`);
    }
  }

  store.subscribe(render);
  render(store.get());
}
