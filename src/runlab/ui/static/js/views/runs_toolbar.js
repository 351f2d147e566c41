// The runs view's head and toolbar: the title and run total, the filter box (with the
// server's message and a caret under the position it names), which runs to show, group-by,
// Refresh, Columns, and Compare for the ticked runs.

import { clear, h } from "../dom.js";
import { compareHash, runHash } from "../state.js";
import { groupLabel, groupOptions } from "./run_groups.js";
import { chooseColumns } from "./runs_columns.js";

// `view` is the runs view (runs.js): its state, its data and its actions.
export function runsToolbar(view) {
  const { state } = view;
  const title = h("h1", null, "Runs");
  const totalLabel = h("span", { class: "muted total", role: "status", "aria-live": "polite" });
  const filterInput = h("input", {
    type: "search",
    class: "search filter-input mono",
    placeholder: "Filter: metrics.accuracy > 0.9 AND params.model = 'cnn'",
    "aria-label": "Filter runs (search language)",
    "aria-describedby": "filter-error",
    value: state.filter,
    spellcheck: "false",
    autocomplete: "off",
  });
  const filterError = h("div", { id: "filter-error", class: "filter-error", role: "alert", hidden: true });
  const viewSelect = h(
    "select",
    { "aria-label": "Which runs to show" },
    ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"].map((v) =>
      h("option", { value: v, selected: state.view === v }, { ACTIVE_ONLY: "Active", DELETED_ONLY: "Deleted", ALL: "All" }[v]),
    ),
  );
  const groupSelect = h("select", { "aria-label": "Group runs by" }, groupOptions(state.group, [], []));
  const compareButton = h("button", { class: "btn primary", type: "button", onclick: compare }, "Compare");
  // Table | Charts: the same runs as rows, or as the charts workspace (views/workspace.js).
  const showButton = (mode, label) =>
    h("button", { type: "button", class: "btn small", "aria-pressed": String(state.show === mode), dataset: { show: mode }, onclick: () => view.showAs(mode) }, label);
  const showToggle = h("div", { class: "view-toggle", role: "group", "aria-label": "Show runs as" }, showButton("table", "Table"), showButton("charts", "Charts"));
  function updateToggle() {
    for (const b of showToggle.children) b.setAttribute("aria-pressed", String(b.dataset.show === state.show));
  }
  const columnsButton = h("button", { class: "btn", type: "button", "aria-haspopup": "dialog", onclick: pickColumns }, "Columns");
  const form = h(
    "form",
    { class: "toolbar", role: "search", onsubmit: (e) => (e.preventDefault(), applyFilter()) },
    filterInput,
    h("button", { class: "btn", type: "submit" }, "Apply"),
    viewSelect,
    groupSelect,
    h("button", { class: "btn", type: "button", title: "Load the runs again", onclick: () => view.restart() }, "Refresh"),
    columnsButton,
    compareButton,
  );

  viewSelect.addEventListener("change", () => {
    state.view = viewSelect.value;
    view.restart();
  });
  groupSelect.addEventListener("change", () => {
    state.group = groupSelect.value;
    view.restart();
  });
  filterInput.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && filterInput.value) {
      filterInput.value = "";
      applyFilter();
    }
  });

  function applyFilter() {
    state.filter = filterInput.value.trim();
    view.restart();
  }

  function pickColumns() {
    chooseColumns(
      view.runs,
      state.columns,
      (picked) => {
        state.columns = picked;
        view.saveUrl();
        view.table.renderHead();
        view.table.renderRows();
        if (view.groups) view.restart(); // the groups summarise the metric columns now shown
      },
      columnsButton,
    );
  }

  // The params and tags seen so far in the loaded runs, offered by the group-by select.
  function noteKeys(list) {
    let added = false;
    for (const run of list) {
      for (const p of run.data.params || []) if (!view.seenParams.has(p.key)) (view.seenParams.add(p.key), (added = true));
      for (const t of run.data.tags || []) if (!t.key.startsWith("mlflow.") && !view.seenTags.has(t.key)) (view.seenTags.add(t.key), (added = true));
    }
    if (added) {
      clear(groupSelect);
      for (const option of groupOptions(state.group, view.seenParams, view.seenTags)) groupSelect.appendChild(option);
    }
  }

  function showFilterError(err) {
    clear(filterError);
    filterInput.removeAttribute("aria-invalid");
    if (!err) {
      filterError.hidden = true;
      return;
    }
    filterError.hidden = false;
    filterInput.setAttribute("aria-invalid", "true");
    // The server's message may repeat the filter with its own caret on later lines; the
    // first line is the sentence, and the caret is drawn here under the filter.
    filterError.appendChild(h("div", { class: "filter-error-message" }, err.message.split("\n")[0]));
    const position = err.position;
    if (position !== null && state.filter) {
      // Show the filter with a caret under the offending position.
      filterError.appendChild(
        h(
          "pre",
          { class: "filter-caret", "aria-hidden": "true" },
          state.filter,
          "\n",
          " ".repeat(Math.min(position, state.filter.length)),
          h("span", { class: "caret" }, "^"),
        ),
      );
      filterInput.focus();
      filterInput.setSelectionRange(position, Math.min(state.filter.length, position + 1));
    }
  }

  function updateTotal() {
    const { groups, total } = view;
    const loaded = view.runs.length;
    if (groups) {
      const more = view.groupsTruncated ? "+" : "";
      totalLabel.textContent = `${total.toLocaleString()}${more} run${total === 1 ? "" : "s"} in ${groups.length.toLocaleString()}${more} group${groups.length === 1 ? "" : "s"} by ${groupLabel(state.group)}`;
    } else if (total !== null && loaded >= total) totalLabel.textContent = `${total.toLocaleString()} run${total === 1 ? "" : "s"}`;
    else if (total !== null) totalLabel.textContent = `${total.toLocaleString()} runs (${loaded.toLocaleString()} loaded)`;
    else totalLabel.textContent = view.exhausted ? `${loaded.toLocaleString()} runs` : `${loaded.toLocaleString()}+ runs`;
    compareButton.disabled = state.selected.size < 1;
    compareButton.textContent = state.selected.size ? `Compare ${state.selected.size}` : "Compare";
  }

  // One ticked run opens its page; several, the comparison.
  function compare() {
    if (!state.selected.size) return;
    if (state.selected.size === 1) {
      location.hash = ((id) => (view.byId.has(id) ? runHash(view.byId.get(id).info.experiment_id, id) : `#/run/${encodeURIComponent(id)}`))([...state.selected][0]);
      return;
    }
    location.hash = compareHash([...state.selected], state.experimentIds);
  }

  return {
    title,
    head: h("div", { class: "page-head" }, title, totalLabel, showToggle),
    updateToggle,
    form,
    filterError,
    compareButton,
    noteKeys,
    showFilterError,
    updateTotal,
  };
}
