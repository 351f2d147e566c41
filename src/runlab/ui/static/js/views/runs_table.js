// The runs table: its head (sort by a column, select every loaded run), the display list
// (loaded runs in server order with children tucked under a loaded parent, or the groups
// and their opened runs) and virtual scrolling, which puts in the document only the rows in
// view and placeholders' height for the rest, so the scrollbar spans every run.

import { clear, h } from "../dom.js";
import { ATTRIBUTES, KIND_LABEL, columnLabel, orderKeyFor, visibleColumns } from "./runs_columns.js";
import { groupRow, moreRow, runRow } from "./runs_rows.js";

const ROW_HEIGHT = 34;
const OVERSCAN = 12;
const PARENT_TAG = "mlflow.parentRunId";

function tagValue(run, key) {
  for (const t of run.data.tags || []) if (t.key === key) return t.value;
  return null;
}

// `view` is the runs view (runs.js): its state, its data and its actions.
export function runsTable(view) {
  const { ctx, state } = view;
  const thead = h("thead");
  const tbody = h("tbody");
  const table = h("table", { class: "table runs-table", role: "grid", "aria-rowcount": "-1" }, thead, tbody);
  const scroller = h("div", { class: "grid-scroll", tabindex: "0", "aria-label": "Runs" }, table);

  function renderHead() {
    clear(thead);
    const allLoadedSelected = view.runs.length > 0 && view.runs.every((r) => state.selected.has(r.info.run_id));
    const selectAll = h("input", {
      type: "checkbox",
      "aria-label": "Select all loaded runs",
      checked: allLoadedSelected,
      onchange: (e) => {
        for (const r of view.runs) {
          if (e.target.checked) state.selected.add(r.info.run_id);
          else state.selected.delete(r.info.run_id);
        }
        view.saveUrl();
        renderRows();
        view.toolbar.updateTotal();
      },
    });
    const cells = [h("th", { class: "col-check", scope: "col" }, selectAll)];
    for (const column of visibleColumns(state.columns)) {
      const orderKey = orderKeyFor(column);
      const sorted = state.order && orderKey && state.order.key === orderKey;
      const kind = ATTRIBUTES[column] ? null : KIND_LABEL[column[0]];
      const label = h("span", { class: "th-label" }, kind ? h("span", { class: `kind kind-${column[0]}`, "aria-label": kind }, column[0].toUpperCase()) : null, columnLabel(column));
      const content = orderKey
        ? h(
            "button",
            {
              type: "button",
              class: "sort-button",
              title: `Sort by ${columnLabel(column)}`,
              onclick: () => sortBy(orderKey, column),
            },
            label,
            h("span", { class: "sort-mark", "aria-hidden": "true" }, sorted ? (state.order.desc ? "▼" : "▲") : ""),
          )
        : label;
      cells.push(
        h(
          "th",
          {
            scope: "col",
            class: `col-${ATTRIBUTES[column] ? column : "data"}`,
            "aria-sort": sorted ? (state.order.desc ? "descending" : "ascending") : orderKey ? "none" : undefined,
            dataset: { column },
          },
          content,
        ),
      );
    }
    thead.appendChild(h("tr", null, cells));
  }

  // A header click sorts by the column (numbers and start time from the top), again reverses.
  function sortBy(orderKey, column) {
    if (state.order && state.order.key === orderKey) {
      state.order = { key: orderKey, desc: !state.order.desc };
    } else {
      const numeric = column.startsWith("m.") || column === "start";
      state.order = { key: orderKey, desc: numeric };
    }
    view.restart();
    renderHead();
    const button = thead.querySelector(`th[data-column="${CSS.escape(column)}"] button`);
    if (button) button.focus();
  }

  // The display list: loaded runs in server order, children tucked under a loaded parent.
  let display = [];
  function rebuildDisplay() {
    if (view.groups) {
      display = [];
      for (const group of view.groups) {
        display.push({ group });
        if (!group.expanded) continue;
        for (const run of group.runs) display.push({ run, depth: 0, childCount: 0 });
        if (!group.exhausted || group.loading) display.push({ more: group });
      }
      return;
    }
    const children = new Map();
    const topLevel = [];
    for (const run of view.runs) {
      const parent = tagValue(run, PARENT_TAG);
      if (parent && view.byId.has(parent) && parent !== run.info.run_id) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent).push(run);
      } else topLevel.push(run);
    }
    display = [];
    const walk = (run, depth) => {
      const kids = children.get(run.info.run_id) || [];
      display.push({ run, depth, childCount: kids.length });
      if (kids.length && state.expanded.has(run.info.run_id) && depth < 20) for (const kid of kids) walk(kid, depth + 1);
    };
    for (const run of topLevel) walk(run, 0);
  }

  function rowCount() {
    // Rows not loaded yet are placeholders, so the scrollbar spans every run.
    if (view.groups) return display.length;
    const pending = view.total !== null ? Math.max(0, view.total - view.runs.length) : view.exhausted ? 0 : 1;
    return display.length + pending;
  }

  function renderRows() {
    const columns = visibleColumns(state.columns);
    const count = rowCount();
    const viewport = scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(count, Math.ceil((scroller.scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
    // Rows are rebuilt on every render: keep the keyboard focus on the same toggle.
    const focused = tbody.contains(document.activeElement) ? document.activeElement.closest("tr") : null;
    const focusKey = focused ? focused.dataset.groupIndex ?? focused.dataset.runId : null;
    clear(tbody);
    table.setAttribute("aria-rowcount", String(count + 1));
    if (first > 0) tbody.appendChild(h("tr", { class: "spacer", "aria-hidden": "true", style: { height: `${first * ROW_HEIGHT}px` } }));
    if (!count && view.exhausted && view.groups) {
      tbody.appendChild(h("tr", null, h("td", { colspan: columns.length + 1, class: "empty" }, "No run matches this filter.")));
    } else if (!count && view.exhausted) {
      tbody.appendChild(h("tr", null, h("td", { colspan: columns.length + 1, class: "empty" }, state.filter ? "No run matches this filter." : "No runs yet in this experiment.")));
    }
    for (let i = first; i < last; i++) {
      const item = display[i];
      const row = !item
        ? h("tr", { class: "placeholder", "aria-rowindex": i + 2 }, h("td", { colspan: columns.length + 1 }, "Loading…"))
        : item.group
          ? groupRow(view, item.group, columns, i)
          : item.more
            ? moreRow(view, item.more, columns, i)
            : runRow(view, item, columns, i);
      tbody.appendChild(row);
    }
    if (last < count) tbody.appendChild(h("tr", { class: "spacer", "aria-hidden": "true", style: { height: `${(count - last) * ROW_HEIGHT}px` } }));
    if (focusKey !== null && focusKey !== undefined) {
      const row = [...tbody.querySelectorAll("tr")].find((r) => (r.dataset.groupIndex ?? r.dataset.runId) === focusKey);
      const toggle = row && row.querySelector(".tree-toggle");
      if (toggle) toggle.focus();
    }
    if (last > display.length && !view.exhausted) view.loadMore();
  }

  let frame = 0;
  scroller.addEventListener("scroll", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(renderRows);
  });
  const onResize = () => renderRows();
  window.addEventListener("resize", onResize);
  ctx.onCleanup(() => window.removeEventListener("resize", onResize));

  return { table, tbody, scroller, renderHead, rebuildDisplay, renderRows };
}
