// The runs table's columns: the fixed attribute columns and the metric, param and tag ones
// (`m.<key>`, `p.<key>`, `t.<key>`), how they appear in the URL, their sort keys and labels,
// the default choice, and the dialog that picks them.

import { h } from "../dom.js";

// Fixed attribute columns: id -> [label, order_by key or null]
export const ATTRIBUTES = {
  name: ["Run", "attributes.run_name"],
  status: ["Status", "attributes.status"],
  start: ["Started", "attributes.start_time"],
  duration: ["Duration", null],
  user: ["User", "attributes.user_id"],
  source: ["Source", "tags.`mlflow.source.name`"],
  commit: ["Commit", "tags.`mlflow.source.git.commit`"],
};
export const DEFAULT_ATTRIBUTES = ["name", "status", "start", "duration", "user", "source", "commit"];
export const KIND_LABEL = { m: "metric", p: "param", t: "tag" };
const KIND_ORDER = { m: "metrics", p: "params", t: "tags" };

// In the URL, the attribute columns are left out while all of them are shown.
export function columnsForUrl(columns) {
  const allAttributes = DEFAULT_ATTRIBUTES.every((c) => columns.includes(c));
  const kept = allAttributes ? columns.filter((c) => !ATTRIBUTES[c]) : columns;
  return kept.length ? kept : ["name"];
}

export function columnsFromUrl(columns) {
  const known = columns.filter((c) => ATTRIBUTES[c] || /^[mpt]\./.test(c));
  return known.some((c) => ATTRIBUTES[c]) ? known : [...DEFAULT_ATTRIBUTES, ...known];
}

export function orderKeyFor(column) {
  if (ATTRIBUTES[column]) return ATTRIBUTES[column][1];
  const kind = column.slice(0, 1);
  const key = column.slice(2);
  return `${KIND_ORDER[kind]}.\`${key}\``;
}

// Until the user picks: every attribute, and the first five metrics and params of a sample.
export function defaultColumns(sample) {
  const metrics = new Set();
  const params = new Set();
  for (const run of sample.slice(0, 200)) {
    for (const m of run.data.metrics || []) metrics.add(m.key);
    for (const p of run.data.params || []) params.add(p.key);
  }
  return [
    ...DEFAULT_ATTRIBUTES,
    ...[...metrics].sort().slice(0, 5).map((k) => `m.${k}`),
    ...[...params].sort().slice(0, 5).map((k) => `p.${k}`),
  ];
}

export function visibleColumns(columns) {
  const chosen = columns || DEFAULT_ATTRIBUTES;
  // Attribute columns always come first, in their usual order.
  const attrs = DEFAULT_ATTRIBUTES.filter((c) => chosen.includes(c) || c === "name");
  return [...attrs, ...chosen.filter((c) => !ATTRIBUTES[c])];
}

export function columnLabel(column) {
  if (ATTRIBUTES[column]) return ATTRIBUTES[column][0];
  return column.slice(2);
}

// The column chooser: every key of the loaded runs, searchable. onApply(columns) on Apply;
// the focus goes back to `opener` either way.
export function chooseColumns(runs, columns, onApply, opener) {
  const groups = { m: new Set(), p: new Set(), t: new Set() };
  for (const run of runs) {
    for (const m of run.data.metrics || []) groups.m.add(m.key);
    for (const p of run.data.params || []) groups.p.add(p.key);
    for (const t of run.data.tags || []) if (!t.key.startsWith("mlflow.")) groups.t.add(t.key);
  }
  for (const c of columns || []) if (!ATTRIBUTES[c]) groups[c[0]].add(c.slice(2));
  const chosen = new Set(columns || DEFAULT_ATTRIBUTES);
  const search = h("input", { type: "search", class: "search", placeholder: "Find a column", "aria-label": "Find a column" });
  const boxes = [];
  function option(id, label) {
    const box = h("input", { type: "checkbox", checked: chosen.has(id), value: id, disabled: id === "name" });
    boxes.push(box);
    return h("label", { class: "check-option", dataset: { label: label.toLowerCase() } }, box, h("span", null, label));
  }
  const sections = [
    h("fieldset", null, h("legend", null, "Attributes"), DEFAULT_ATTRIBUTES.map((c) => option(c, ATTRIBUTES[c][0]))),
    ...["m", "p", "t"].map((kind) =>
      h(
        "fieldset",
        null,
        h("legend", null, { m: "Metrics", p: "Parameters", t: "Tags" }[kind]),
        groups[kind].size ? [...groups[kind]].sort().map((k) => option(`${kind}.${k}`, k)) : h("p", { class: "muted" }, "none in the loaded runs"),
      ),
    ),
  ];
  const list = h("div", { class: "column-list" }, sections);
  search.addEventListener("input", () => {
    const needle = search.value.toLowerCase();
    for (const label of list.querySelectorAll("label.check-option")) label.hidden = needle && !label.dataset.label.includes(needle);
  });
  const dialog = h(
    "dialog",
    { class: "dialog columns-dialog", "aria-label": "Choose columns" },
    h(
      "form",
      { method: "dialog" },
      h("h2", null, "Columns"),
      search,
      list,
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { class: "btn", type: "button", onclick: () => done(false) }, "Cancel"),
        h("button", { class: "btn primary", type: "submit" }, "Apply"),
      ),
    ),
  );
  function done(apply) {
    if (apply) onApply(boxes.filter((b) => b.checked || b.value === "name").map((b) => b.value));
    dialog.close();
    dialog.remove();
    opener.focus();
  }
  dialog.querySelector("form").addEventListener("submit", (e) => (e.preventDefault(), done(true)));
  dialog.addEventListener("cancel", (e) => (e.preventDefault(), done(false)));
  document.body.appendChild(dialog);
  dialog.showModal();
  search.focus();
}
