// The transfer dialog: to a queue, an agent, or a number (a blind transfer by the engine).

import { byId, h, replaceChildren, setText, show } from "../dom.js";

export function mountTransfer(store, actions) {
  const dialog = byId("transfer-dialog");
  const form = byId("transfer-form");
  const queue = byId("transfer-queue");
  const target = byId("transfer-target");
  const error = byId("transfer-error");
  const go = byId("transfer-go");

  function kind() {
    return form.querySelector('input[name="kind"]:checked').value;
  }

  function syncKind() {
    const k = kind();
    show(byId("transfer-queue-field"), k === "queue");
    show(byId("transfer-target-field"), k !== "queue");
    setText(byId("transfer-target-label"), k === "agent" ? "Agent ID" : "Phone number");
    target.inputMode = k === "number" ? "tel" : "text";
  }

  function showError(message) {
    setText(error, message);
    show(error, Boolean(message));
  }

  form.addEventListener("change", syncKind);
  byId("transfer-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const k = kind();
    const value = k === "queue" ? queue.value : target.value.trim();
    if (!value) {
      showError(k === "agent" ? "Enter the agent ID." : k === "number" ? "Enter a phone number." : "Choose a queue.");
      return;
    }
    go.disabled = true;
    try {
      await actions.transfer(k, value);
      dialog.close();
    } catch (err) {
      showError(err.message);
    } finally {
      go.disabled = false;
    }
  });

  // The dialog makes no sense once the call is gone.
  store.subscribe((state) => {
    if (dialog.open && !state.call) dialog.close();
  });

  return {
    open() {
      const state = store.get();
      const names = (state.config.queues || []).map((q) => (typeof q === "string" ? q : q.name ?? q.queue)).filter(Boolean);
      replaceChildren(queue, names.map((q) => h("option", { value: q, text: q })));
      showError("");
      target.value = "";
      syncKind();
      dialog.showModal();
      form.querySelector('input[name="kind"]:checked').focus();
    },
  };
}
