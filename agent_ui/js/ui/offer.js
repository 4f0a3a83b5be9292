// The ringing popup: who calls (as text), the customer, the queue, the time waited; Answer with
// Enter, Decline with Esc. The ring tone plays while it is open.

import { since } from "../clock.js";
import { byId, setText } from "../dom.js";
import { clock } from "../format.js";
import { startRinging, stopRinging } from "../ringtone.js";
import { everySecond } from "../ticker.js";
import { renderCustomer } from "./customer.js";
import { busy } from "./toast.js";

export function callerTitle(name, number) {
  return (name && name.trim()) || (number && number.trim()) || "Unknown caller";
}

export function mountOffer(store, actions, announceUrgent) {
  const dialog = byId("offer-dialog");
  const answer = byId("btn-answer");
  const decline = byId("btn-decline");
  const busyBtn = byId("btn-busy");
  const phoneLine = byId("offer-phone");
  const progress = byId("offer-progress");
  let shownCall = null;

  const run = (fn) => busy(null, fn);
  answer.addEventListener("click", () => run(() => actions.answer()));
  decline.addEventListener("click", () => run(() => actions.reject(603)));
  busyBtn.addEventListener("click", () => run(() => actions.reject(486)));
  dialog.addEventListener("keydown", (event) => {
    if (event.isComposing) return;
    if (event.key === "Escape") {
      event.preventDefault();
      if (!event.repeat) run(() => actions.reject(603));
    } else if (event.key === "Enter") {
      if (event.target === decline || event.target === busyBtn) return; // their own click
      event.preventDefault();
      if (!event.repeat) run(() => actions.answer());
    }
  });
  // The dialog closes only when the offer ends; reopen it if the browser closed it by itself.
  dialog.addEventListener("close", () => {
    if (store.get().offer) dialog.showModal();
  });

  function render(state) {
    const offer = state.offer;
    if (!offer) {
      shownCall = null;
      stopRinging();
      if (dialog.open) dialog.close();
      return;
    }
    const title = callerTitle(offer.caller_name, offer.caller_number);
    setText(byId("offer-caller"), title);
    setText(byId("offer-number"), offer.caller_number && offer.caller_number !== title ? offer.caller_number : "");
    setText(byId("offer-queue"), offer.queue ? `Queue: ${offer.queue}` : "Direct call");
    renderCustomer(byId("offer-customer"), state.customers[offer.call_id] ?? { customerState: "loading" });

    const p = state.phone;
    const answerable = Boolean(p.incoming) && !p.answering;
    answer.disabled = !answerable;
    decline.disabled = !p.incoming || p.answering;
    busyBtn.disabled = !p.incoming || p.answering;
    if (p.answering) stopRinging();
    phoneLine.dataset.ready = String(Boolean(p.incoming));
    setText(phoneLine, p.answering ? "Answering…" : p.incoming ? "Your phone is ringing" : "Waiting for your phone…");

    if (shownCall !== offer.call_id) {
      shownCall = offer.call_id;
      if (!dialog.open) dialog.showModal();
      if (answerable) answer.focus();
      startRinging();
      announceUrgent(`Incoming call from ${title}${offer.queue ? `, queue ${offer.queue}` : ""}. Press Enter to answer, Escape to decline.`);
    }
  }

  function tick() {
    const offer = store.get().offer;
    if (!offer) return;
    const start = offer.first_entered_at || offer.entered_at;
    const waited = start ? since(start) : (offer.waited || 0) + (Date.now() - offer.receivedAt) / 1000;
    setText(byId("offer-waited"), clock(waited));
    if (offer.ring_timeout) {
      const left = Math.max(0, 1 - (Date.now() - offer.receivedAt) / 1000 / offer.ring_timeout);
      progress.style.transform = `scaleX(${left.toFixed(3)})`;
    } else {
      progress.style.transform = "scaleX(1)";
    }
  }

  store.subscribe((state, prev) => {
    render(state);
    if (state.offer !== prev.offer) tick();
  });
  render(store.get());
  everySecond(tick);
  // Focus Answer as soon as it becomes usable.
  store.subscribe((state, prev) => {
    if (state.offer && state.phone.incoming && !prev.phone.incoming) answer.focus();
  });
}
