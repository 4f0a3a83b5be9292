// Formatting of durations, states and reasons for display.

const STATE_LABELS = {
  "logged-out": "Logged out",
  "not-ready": "Not ready",
  ready: "Ready",
  offered: "Ringing",
  "on-call": "On call",
  "on-hold": "On hold",
  "wrap-up": "Wrap-up",
};

const REASON_LABELS = {
  login: "Just logged in",
  "missed-call": "Missed call",
  unreachable: "Phone unreachable",
  disconnected: "Page disconnected",
  supervisor: "Set by supervisor",
  "after-call": "After-call work",
};

export function stateLabel(state) {
  return STATE_LABELS[state] ?? humanize(state ?? "");
}

export function reasonLabel(reason) {
  if (!reason) return "";
  return REASON_LABELS[reason] ?? humanize(reason);
}

/** "after-call" -> "After call", "coffee_break" -> "Coffee break". */
export function humanize(code) {
  const text = String(code).replace(/[-_]+/g, " ").trim();
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

/** A clock-style duration: 0:07, 12:34, 1:02:03. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

/** A compact human duration for totals: 45s, 12m, 3h 05m. */
export function span(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** A ratio (0..1, as the API sends service levels) as a percentage; "–" when unknown. */
export function percent(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(Number(ratio))) return "–";
  return `${Math.round(Number(ratio) * 100)}%`;
}

export function timeOfDay(date = new Date()) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
