// The customer block (ringing popup and call panel). Every value is inserted as text.

import { h, replaceChildren } from "../dom.js";

const SOURCES = { builtin: "Customer directory", external: "CRM" };

/**
 * @param {HTMLElement} container
 * @param {{customer: object|null|undefined, customerSource: string|null, customerState?: string}} info
 */
export function renderCustomer(container, info) {
  if (!info || info.customerState === "hidden") {
    replaceChildren(container);
    return;
  }
  const key = JSON.stringify([info.customer ?? null, info.customerState ?? null, info.customerSource ?? null]);
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  const c = info.customer;
  if (info.customerState === "loading") {
    replaceChildren(container, h("p", { class: "none", text: "Looking up the customer…" }));
    return;
  }
  if (info.customerState === "error") {
    replaceChildren(container, h("p", { class: "none", text: "Customer data unavailable." }));
    return;
  }
  if (!c) {
    replaceChildren(container, h("p", { class: "none", text: "No customer record for this number." }));
    return;
  }
  const source = SOURCES[c.source] ?? "Customer data";
  const via = info.customerSource === "stream" ? "sent with the call" : "looked up";
  const rows = [];
  if (c.name) rows.push(["Customer", c.name]);
  if (c.account) rows.push(["Account", c.account]);
  if (c.notes) rows.push(["Notes", c.notes]);
  const tags = Array.isArray(c.tags) ? c.tags.filter(Boolean) : [];
  replaceChildren(
    container,
    h(
      "div",
      { class: "customer-head" },
      h("span", { class: "card-title", text: "Customer" }),
      h("span", { class: "customer-source", text: `${source} · ${via}` }),
    ),
    h(
      "dl",
      {},
      rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]),
      tags.length ? [h("dt", { text: "Tags" }), h("dd", { class: "tags" }, tags.map((t) => h("span", { class: "chip", text: t })))] : null,
    ),
  );
}
