// A transient message at the bottom right (errors from the server, phone problems).

import { byId, setText } from "../dom.js";

let timer = null;

export function showToast(message, kind = "error", seconds = 7) {
  const toast = byId("toast");
  setText(byId("toast-text"), message);
  toast.dataset.kind = kind;
  toast.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(hideToast, seconds * 1000);
}

export function hideToast() {
  clearTimeout(timer);
  byId("toast").hidden = true;
}

export function mountToast() {
  byId("toast-close").addEventListener("click", hideToast);
}

/** Run an async action with its button disabled; errors become a toast (or `onError`). */
export async function busy(button, fn, onError = (err) => showToast(err.message || String(err))) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    onError(err);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
