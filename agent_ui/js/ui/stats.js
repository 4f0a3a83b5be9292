// Today's own figures (GET /api/me/stats), refreshed after each call.

import { byId, h, replaceChildren, setText } from "../dom.js";
import { span, timeOfDay } from "../format.js";

const FIELDS = [
  ["answered", "Answered", (v) => String(v ?? 0)],
  ["missed", "Missed", (v) => String(v ?? 0)],
  ["aht", "Avg handle", (v) => (v ? span(v) : "–")],
  ["talk_seconds", "Talk", span],
  ["hold_seconds", "Hold", span],
  ["not_ready_seconds", "Not ready", span],
];

export function mountStats(store) {
  const list = byId("stats-list");
  let shown = null;

  function render(state) {
    if (state.stats === shown) return;
    shown = state.stats;
    const stats = state.stats || {};
    replaceChildren(
      list,
      FIELDS.map(([key, label, fmt]) =>
        h("div", { dataset: { stat: key } }, h("dt", { text: label }), h("dd", { text: state.stats ? fmt(stats[key]) : "–" })),
      ),
    );
    setText(byId("stats-updated"), state.statsAt ? `updated ${timeOfDay(new Date(state.statsAt))}` : "");
  }

  store.subscribe(render);
  render(store.get());
}
