// A table artifact ({"columns": [...], "data": [[...], ...]}) as a sortable, paged table.
// Sorting reorders an array of row numbers; only the rows of the page shown become
// elements, so a table of a million rows costs one sort and fifty rows of DOM.

import { clear, h } from "./dom.js";

export const PAGE_ROWS = 50;
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const count = (n) => n.toLocaleString("en-US");

export function isTableShape(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Array.isArray(value.columns) &&
    Array.isArray(value.data) &&
    value.data.every(Array.isArray)
  );
}

// What a cell shows: text, never markup; nested values as JSON.
export function cellText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const asNumber = (v) => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);

// A column sorts as numbers when each value it holds (nulls aside) reads as a number.
function isNumeric(data, column) {
  let seen = false;
  for (const row of data) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    if (typeof v === "boolean" || !Number.isFinite(asNumber(v))) return false;
    seen = true;
  }
  return seen;
}

// Row numbers in order of `column`; missing values last in both directions, ties kept in
// the table's own order.
export function sortedRows(data, column, descending) {
  const numeric = isNumeric(data, column);
  const keys = data.map((row) => {
    const v = row[column];
    if (v === null || v === undefined) return null;
    return numeric ? asNumber(v) : cellText(v);
  });
  const sign = descending ? -1 : 1;
  const order = data.map((_, i) => i);
  order.sort((a, b) => {
    const x = keys[a];
    const y = keys[b];
    if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1;
    const c = numeric ? x - y : collator.compare(x, y);
    return c ? sign * c : a - b;
  });
  return { order, numeric };
}

export function tableView(table, { label = "Table", pageRows = PAGE_ROWS } = {}) {
  const columns = table.columns.map(cellText);
  const data = table.data;
  let order = null; // null: the table's own order
  let sort = null; // {column, descending}
  let page = 0;
  const pages = Math.max(1, Math.ceil(data.length / pageRows));

  const body = h("tbody");
  const heads = columns.map((name, c) =>
    h("th", { scope: "col", "data-column": String(c) }, h("button", { type: "button", class: "sort-button", onclick: () => sortBy(c) }, name, h("span", { class: "sort-mark", "aria-hidden": "true" }))),
  );
  const status = h("span", { class: "table-range muted", "aria-live": "polite" });
  const button = (text, title, go) => h("button", { type: "button", class: "btn small", "aria-label": title, onclick: () => show(go()) }, text);
  const first = button("«", "First page", () => 0);
  const prev = button("‹ Previous", "Previous page", () => page - 1);
  const next = button("Next ›", "Next page", () => page + 1);
  const last = button("»", "Last page", () => pages - 1);
  const el = h(
    "div",
    { class: "data-table" },
    h("div", { class: "table-meta" }, h("span", { class: "table-count" }, `${count(data.length)} rows`, ` · ${count(columns.length)} columns`), h("span", { class: "spacer" }), status, first, prev, next, last),
    h("div", { class: "table-wrap" }, h("table", { class: "table artifact-table", "aria-label": label }, h("thead", null, h("tr", null, heads)), body)),
  );

  function sortBy(column) {
    const descending = sort && sort.column === column ? !sort.descending : false;
    sort = { column, descending };
    const sorted = sortedRows(data, column, descending);
    order = sorted.order;
    heads.forEach((th, c) => {
      const on = c === column;
      if (on) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
      th.querySelector(".sort-mark").textContent = on ? (descending ? "▼" : "▲") : "";
    });
    heads[column].dataset.kind = sorted.numeric ? "number" : "text";
    show(0);
  }

  function show(target) {
    page = Math.min(Math.max(0, target), pages - 1);
    const start = page * pageRows;
    const end = Math.min(data.length, start + pageRows);
    clear(body);
    for (let i = start; i < end; i++) {
      const row = data[order ? order[i] : i];
      body.appendChild(h("tr", null, columns.map((_, c) => {
        const v = row[c];
        return h("td", { class: typeof v === "number" ? "num" : v === null || v === undefined ? "muted" : "" }, cellText(v));
      })));
    }
    if (!data.length) body.appendChild(h("tr", null, h("td", { colspan: Math.max(1, columns.length), class: "muted" }, "No rows.")));
    status.textContent = data.length ? `Rows ${count(start + 1)}–${count(end)} of ${count(data.length)} · page ${count(page + 1)} of ${count(pages)}` : "";
    first.disabled = prev.disabled = page === 0;
    next.disabled = last.disabled = page >= pages - 1;
  }

  show(0);
  return { el, sortBy, show };
}
