// Runs table of one or several experiments: server-side filter, sort and paging, virtual
// scrolling (10,000 runs stay smooth and every one is reachable), a column chooser, nested
// runs under their parent, and checkboxes to pick runs to compare. The URL holds it all.

import { api, metricMap, paramMap, tagMap } from "../api.js";
import { clear, h } from "../dom.js";
import { formatDuration, formatNumber, formatTime, runDuration, shortCommit, shortSource, statusBadge } from "../format.js";
import { buildHash, listParam, replaceHash } from "../state.js";
import { GROUP_PAGE, fetchGroups, groupFilter, groupLabel, groupOptions, summaryCell } from "./run_groups.js";

const ROW_HEIGHT = 34;
const FIRST_PAGE = 100;
const PAGE = 1000;
const OVERSCAN = 12;
const PARENT_TAG = "mlflow.parentRunId";

// Fixed attribute columns: id -> [label, order_by key or null]
const ATTRIBUTES = {
  name: ["Run", "attributes.run_name"],
  status: ["Status", "attributes.status"],
  start: ["Started", "attributes.start_time"],
  duration: ["Duration", null],
  user: ["User", "attributes.user_id"],
  source: ["Source", "tags.`mlflow.source.name`"],
  commit: ["Commit", "tags.`mlflow.source.git.commit`"],
};
const DEFAULT_ATTRIBUTES = ["name", "status", "start", "duration", "user", "source", "commit"];
const KIND_LABEL = { m: "metric", p: "param", t: "tag" };
const KIND_ORDER = { m: "metrics", p: "params", t: "tags" };

// In the URL, the attribute columns are left out while all of them are shown.
function columnsForUrl(columns) {
  const allAttributes = DEFAULT_ATTRIBUTES.every((c) => columns.includes(c));
  const kept = allAttributes ? columns.filter((c) => !ATTRIBUTES[c]) : columns;
  return kept.length ? kept : ["name"];
}

function columnsFromUrl(columns) {
  const known = columns.filter((c) => ATTRIBUTES[c] || /^[mpt]\./.test(c));
  return known.some((c) => ATTRIBUTES[c]) ? known : [...DEFAULT_ATTRIBUTES, ...known];
}

export function orderKeyFor(column) {
  if (ATTRIBUTES[column]) return ATTRIBUTES[column][1];
  const kind = column.slice(0, 1);
  const key = column.slice(2);
  return `${KIND_ORDER[kind]}.\`${key}\``;
}

function parseOrder(text) {
  if (!text) return null;
  const match = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(text.trim());
  return { key: match[1], desc: (match[2] || "ASC").toUpperCase() === "DESC" };
}

export async function runsView(ctx) {
  const { main, route } = ctx;
  const state = {
    experimentIds: listParam(route.params, "e"),
    filter: route.params.get("q") || "",
    order: parseOrder(route.params.get("o")),
    columns: route.params.has("c") ? columnsFromUrl(listParam(route.params, "c")) : null,
    selected: new Set(listParam(route.params, "sel")),
    view: route.params.get("view") || "ACTIVE_ONLY",
    group: route.params.get("g") || "",
    expanded: new Set(),
  };
  if (!state.experimentIds.length) state.experimentIds = ["0"];

  // ---------------------------------------------------------------- data
  let runs = [];
  let byId = new Map();
  let nextToken = null;
  let exhausted = false;
  let total = null;
  let loading = null;
  let queryGeneration = 0;
  // Group view: null while ungrouped, else the groups in display order.
  let groups = null;
  let groupsTruncated = false;
  const seenParams = new Set();
  const seenTags = new Set();

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
  const columnsButton = h("button", { class: "btn", type: "button", "aria-haspopup": "dialog", onclick: chooseColumns }, "Columns");
  const thead = h("thead");
  const tbody = h("tbody");
  const table = h("table", { class: "table runs-table", role: "grid", "aria-rowcount": "-1" }, thead, tbody);
  const scroller = h("div", { class: "grid-scroll", tabindex: "0", "aria-label": "Runs" }, table);

  main.appendChild(
    h(
      "section",
      { class: "page page-wide" },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "Experiments"), " / ", h("span", null, "Runs")),
      h("div", { class: "page-head" }, title, totalLabel),
      h(
        "form",
        { class: "toolbar", role: "search", onsubmit: (e) => (e.preventDefault(), applyFilter()) },
        filterInput,
        h("button", { class: "btn", type: "submit" }, "Apply"),
        viewSelect,
        groupSelect,
        h("button", { class: "btn", type: "button", title: "Load the runs again", onclick: () => restart() }, "Refresh"),
        columnsButton,
        compareButton,
      ),
      filterError,
      scroller,
    ),
  );

  viewSelect.addEventListener("change", () => {
    state.view = viewSelect.value;
    restart();
  });
  groupSelect.addEventListener("change", () => {
    state.group = groupSelect.value;
    restart();
  });
  filterInput.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && filterInput.value) {
      filterInput.value = "";
      applyFilter();
    }
  });

  // Experiment names in the title.
  Promise.all(state.experimentIds.map((id) => api.getExperiment(id).catch(() => ({ name: `#${id}`, experiment_id: id })))).then((exps) => {
    if (!ctx.alive()) return;
    clear(title);
    title.appendChild(document.createTextNode(exps.map((e) => e.name).join(", ")));
    document.title = `${exps.map((e) => e.name).join(", ")} · runlab`;
  });

  function searchBody(extra = {}) {
    return {
      experiment_ids: state.experimentIds,
      filter: state.filter || undefined,
      run_view_type: state.view,
      order_by: state.order ? [`${state.order.key} ${state.order.desc ? "DESC" : "ASC"}`] : undefined,
      ...extra,
    };
  }

  function saveUrl() {
    replaceHash(
      buildHash("/runs", {
        e: state.experimentIds,
        q: state.filter,
        o: state.order ? `${state.order.key} ${state.order.desc ? "DESC" : "ASC"}` : "",
        c: state.columns ? columnsForUrl(state.columns) : null,
        view: state.view === "ACTIVE_ONLY" ? "" : state.view,
        g: state.group,
        sel: [...state.selected],
      }),
    );
  }

  function noteKeys(list) {
    let added = false;
    for (const run of list) {
      for (const p of run.data.params || []) if (!seenParams.has(p.key)) (seenParams.add(p.key), (added = true));
      for (const t of run.data.tags || []) if (!t.key.startsWith("mlflow.") && !seenTags.has(t.key)) (seenTags.add(t.key), (added = true));
    }
    if (added) {
      clear(groupSelect);
      for (const option of groupOptions(state.group, seenParams, seenTags)) groupSelect.appendChild(option);
    }
  }

  async function loadMore() {
    if (groups) return;
    if (exhausted) return;
    if (loading) return loading;
    const generation = queryGeneration;
    loading = (async () => {
      try {
        const page = await api.searchRuns(searchBody({ max_results: runs.length ? PAGE : FIRST_PAGE, page_token: nextToken || undefined }));
        if (generation !== queryGeneration || !ctx.alive()) return;
        for (const run of page.runs || []) {
          if (byId.has(run.info.run_id)) continue;
          byId.set(run.info.run_id, run);
          runs.push(run);
        }
        noteKeys(page.runs || []);
        nextToken = page.next_page_token || null;
        exhausted = !nextToken;
        showFilterError(null);
      } catch (err) {
        if (generation !== queryGeneration) return;
        exhausted = true;
        showFilterError(err);
      } finally {
        if (generation === queryGeneration) loading = null;
      }
      if (generation !== queryGeneration) return;
      table.removeAttribute("aria-busy");
      if (!state.columns) state.columns = defaultColumns();
      rebuildDisplay();
      renderHead();
      renderRows();
      updateTotal();
    })();
    return loading;
  }

  function restart() {
    queryGeneration++;
    runs = [];
    byId = new Map();
    nextToken = null;
    exhausted = false;
    loading = null;
    total = null;
    groups = null;
    groupsTruncated = false;
    scroller.scrollTop = 0;
    saveUrl();
    updateTotal();
    // The old rows stay until the new ones arrive (no flicker); aria-busy says they are stale.
    table.setAttribute("aria-busy", "true");
    if (state.group) {
      loadGroups();
      return;
    }
    api
      .countRuns(searchBody())
      .then((n) => {
        total = n;
        rebuildDisplay();
        renderRows();
        updateTotal();
      })
      .catch(() => {});
    loadMore();
  }

  // ---------------------------------------------------------------- groups
  async function loadGroups() {
    const generation = queryGeneration;
    if (!state.columns) {
      // The default columns come from a sample of the runs, and decide which metrics the
      // groups summarise.
      try {
        const sample = await api.searchRuns(searchBody({ max_results: 50 }));
        if (generation !== queryGeneration || !ctx.alive()) return;
        noteKeys(sample.runs || []);
        state.columns = defaultColumns(sample.runs || []);
      } catch {
        // The groups request below reports a bad filter.
      }
    }
    const metricKeys = visibleColumns()
      .filter((c) => c.startsWith("m."))
      .map((c) => c.slice(2));
    try {
      const answer = await fetchGroups(searchBody(), state.group, metricKeys);
      if (generation !== queryGeneration || !ctx.alive()) return;
      groups = answer.groups;
      groupsTruncated = answer.truncated;
      total = groups.reduce((n, g) => n + g.count, 0);
      exhausted = true;
      showFilterError(null);
      // A lone group opens by itself.
      if (groups.length === 1) toggleGroup(groups[0]);
    } catch (err) {
      if (generation !== queryGeneration) return;
      groups = [];
      exhausted = true;
      showFilterError(err);
    }
    table.removeAttribute("aria-busy");
    rebuildDisplay();
    renderHead();
    renderRows();
    updateTotal();
  }

  function toggleGroup(group) {
    group.expanded = !group.expanded;
    if (group.expanded && !group.runs.length && !group.exhausted) loadGroupRuns(group);
    rebuildDisplay();
    renderRows();
  }

  function loadGroupRuns(group) {
    if (group.loading || group.exhausted) return group.loading;
    const generation = queryGeneration;
    const body = searchBody({
      filter: groupFilter(state.filter, state.group, group.value),
      max_results: GROUP_PAGE,
      page_token: group.token || undefined,
    });
    group.loading = api
      .searchRuns(body)
      .then((page) => {
        if (generation !== queryGeneration || !ctx.alive()) return;
        for (const run of page.runs || []) {
          if (byId.has(run.info.run_id)) continue;
          byId.set(run.info.run_id, run);
          group.runs.push(run);
          runs.push(run);
        }
        noteKeys(page.runs || []);
        group.token = page.next_page_token || null;
        group.exhausted = !group.token;
      })
      .catch((err) => {
        if (generation !== queryGeneration) return;
        group.exhausted = true;
        showFilterError(err);
      })
      .finally(() => {
        group.loading = null;
        if (generation !== queryGeneration || !ctx.alive()) return;
        if (!state.columns) state.columns = defaultColumns();
        rebuildDisplay();
        renderHead();
        renderRows();
        updateTotal();
      });
    return group.loading;
  }

  function applyFilter() {
    state.filter = filterInput.value.trim();
    restart();
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
    const loaded = runs.length;
    if (groups) {
      const more = groupsTruncated ? "+" : "";
      totalLabel.textContent = `${total.toLocaleString()}${more} run${total === 1 ? "" : "s"} in ${groups.length.toLocaleString()}${more} group${groups.length === 1 ? "" : "s"} by ${groupLabel(state.group)}`;
      compareButton.disabled = state.selected.size < 1;
      compareButton.textContent = state.selected.size ? `Compare ${state.selected.size}` : "Compare";
      return;
    }
    if (total !== null && loaded >= total) totalLabel.textContent = `${total.toLocaleString()} run${total === 1 ? "" : "s"}`;
    else if (total !== null) totalLabel.textContent = `${total.toLocaleString()} runs (${loaded.toLocaleString()} loaded)`;
    else totalLabel.textContent = exhausted ? `${loaded.toLocaleString()} runs` : `${loaded.toLocaleString()}+ runs`;
    compareButton.disabled = state.selected.size < 1;
    compareButton.textContent = state.selected.size ? `Compare ${state.selected.size}` : "Compare";
  }

  // ---------------------------------------------------------------- columns
  function defaultColumns(sample = runs) {
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

  function visibleColumns() {
    const chosen = state.columns || DEFAULT_ATTRIBUTES;
    // Attribute columns always come first, in their usual order.
    const attrs = DEFAULT_ATTRIBUTES.filter((c) => chosen.includes(c) || c === "name");
    return [...attrs, ...chosen.filter((c) => !ATTRIBUTES[c])];
  }

  function columnLabel(column) {
    if (ATTRIBUTES[column]) return ATTRIBUTES[column][0];
    return column.slice(2);
  }

  function renderHead() {
    clear(thead);
    const allLoadedSelected = runs.length > 0 && runs.every((r) => state.selected.has(r.info.run_id));
    const selectAll = h("input", {
      type: "checkbox",
      "aria-label": "Select all loaded runs",
      checked: allLoadedSelected,
      onchange: (e) => {
        for (const r of runs) {
          if (e.target.checked) state.selected.add(r.info.run_id);
          else state.selected.delete(r.info.run_id);
        }
        saveUrl();
        renderRows();
        updateTotal();
      },
    });
    const cells = [h("th", { class: "col-check", scope: "col" }, selectAll)];
    for (const column of visibleColumns()) {
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

  function sortBy(orderKey, column) {
    if (state.order && state.order.key === orderKey) {
      state.order = { key: orderKey, desc: !state.order.desc };
    } else {
      const numeric = column.startsWith("m.") || column === "start";
      state.order = { key: orderKey, desc: numeric };
    }
    restart();
    renderHead();
    const button = thead.querySelector(`th[data-column="${CSS.escape(column)}"] button`);
    if (button) button.focus();
  }

  async function chooseColumns() {
    const groups = { m: new Set(), p: new Set(), t: new Set() };
    for (const run of runs) {
      for (const m of run.data.metrics || []) groups.m.add(m.key);
      for (const p of run.data.params || []) groups.p.add(p.key);
      for (const t of run.data.tags || []) if (!t.key.startsWith("mlflow.")) groups.t.add(t.key);
    }
    for (const c of state.columns || []) if (!ATTRIBUTES[c]) groups[c[0]].add(c.slice(2));
    const chosen = new Set(state.columns || DEFAULT_ATTRIBUTES);
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
      if (apply) {
        const picked = boxes.filter((b) => b.checked || b.value === "name").map((b) => b.value);
        state.columns = picked;
        saveUrl();
        renderHead();
        renderRows();
        if (groups) restart(); // the groups summarise the metric columns now shown
      }
      dialog.close();
      dialog.remove();
      columnsButton.focus();
    }
    dialog.querySelector("form").addEventListener("submit", (e) => (e.preventDefault(), done(true)));
    dialog.addEventListener("cancel", (e) => (e.preventDefault(), done(false)));
    document.body.appendChild(dialog);
    dialog.showModal();
    search.focus();
  }

  // ---------------------------------------------------------------- rows
  // The display list: loaded runs in server order, children tucked under a loaded parent.
  let display = [];
  function rebuildDisplay() {
    if (groups) {
      display = [];
      for (const group of groups) {
        display.push({ group });
        if (!group.expanded) continue;
        for (const run of group.runs) display.push({ run, depth: 0, childCount: 0 });
        if (!group.exhausted || group.loading) display.push({ more: group });
      }
      return;
    }
    const children = new Map();
    const topLevel = [];
    for (const run of runs) {
      const parent = tagValue(run, PARENT_TAG);
      if (parent && byId.has(parent) && parent !== run.info.run_id) {
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
    if (groups) return display.length;
    const pending = total !== null ? Math.max(0, total - runs.length) : exhausted ? 0 : 1;
    return display.length + pending;
  }

  function renderRows() {
    const columns = visibleColumns();
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
    if (!count && exhausted && groups) {
      tbody.appendChild(h("tr", null, h("td", { colspan: columns.length + 1, class: "empty" }, "No run matches this filter.")));
    } else if (!count && exhausted) {
      tbody.appendChild(h("tr", null, h("td", { colspan: columns.length + 1, class: "empty" }, state.filter ? "No run matches this filter." : "No runs yet in this experiment.")));
    }
    for (let i = first; i < last; i++) {
      const item = display[i];
      const row = !item
        ? h("tr", { class: "placeholder", "aria-rowindex": i + 2 }, h("td", { colspan: columns.length + 1 }, "Loading…"))
        : item.group
          ? groupRow(item.group, columns, i)
          : item.more
            ? moreRow(item.more, columns, i)
            : runRow(item, columns, i);
      tbody.appendChild(row);
    }
    if (last < count) tbody.appendChild(h("tr", { class: "spacer", "aria-hidden": "true", style: { height: `${(count - last) * ROW_HEIGHT}px` } }));
    if (focusKey !== null && focusKey !== undefined) {
      const row = [...tbody.querySelectorAll("tr")].find((r) => (r.dataset.groupIndex ?? r.dataset.runId) === focusKey);
      const toggle = row && row.querySelector(".tree-toggle");
      if (toggle) toggle.focus();
    }
    if (last > display.length && !exhausted) loadMore();
  }

  function groupRow(group, columns, index) {
    const label = group.value === null ? `no ${groupLabel(state.group)}` : group.value;
    const cells = [h("td", { class: "col-check" })];
    for (const column of columns) {
      if (column === "name") {
        const toggle = h(
          "button",
          {
            type: "button",
            class: "tree-toggle group-toggle",
            "aria-expanded": String(group.expanded),
            "aria-label": `${group.expanded ? "Collapse" : "Expand"} group ${label}, ${group.count} run${group.count === 1 ? "" : "s"}`,
            onclick: () => {
              toggleGroup(group);
              const again = [...tbody.querySelectorAll("tr.group-row .group-toggle")].find((b) => b.closest("tr").dataset.groupIndex === String(groups.indexOf(group)));
              if (again) again.focus();
            },
          },
          group.expanded ? "▾" : "▸",
        );
        cells.push(
          h(
            "td",
            { class: "group-cell" },
            toggle,
            h("span", { class: group.value === null ? "group-value muted" : "group-value" }, label),
            h("span", { class: "group-count muted" }, ` ${group.count.toLocaleString()} run${group.count === 1 ? "" : "s"}`),
          ),
        );
      } else if (column.startsWith("m.")) {
        const { text, title } = summaryCell(group.metrics[column.slice(2)]);
        cells.push(h("td", { class: "num group-summary", title }, text));
      } else cells.push(h("td"));
    }
    return h("tr", { class: "group-row", dataset: { groupIndex: String(groups.indexOf(group)) }, "aria-rowindex": index + 2, "aria-level": "1" }, cells);
  }

  function moreRow(group, columns, index) {
    const left = group.count - group.runs.length;
    const button = group.loading
      ? h("span", { class: "muted" }, "Loading…")
      : h("button", { type: "button", class: "btn small", onclick: () => loadGroupRuns(group) }, `Load ${Math.min(left, GROUP_PAGE).toLocaleString()} more of ${left.toLocaleString()}`);
    return h("tr", { class: "more-row", "aria-rowindex": index + 2 }, h("td", { colspan: columns.length + 1 }, button));
  }

  function runRow({ run, depth, childCount }, columns, index) {
    const info = run.info;
    const tags = tagMap(run);
    const params = paramMap(run);
    const metrics = metricMap(run);
    const id = info.run_id;
    const check = h("input", {
      type: "checkbox",
      checked: state.selected.has(id),
      "aria-label": `Select run ${info.run_name || id}`,
      onchange: (e) => {
        if (e.target.checked) state.selected.add(id);
        else state.selected.delete(id);
        e.target.closest("tr").classList.toggle("selected", e.target.checked);
        saveUrl();
        updateTotal();
      },
    });
    const cells = [h("td", { class: "col-check" }, check)];
    for (const column of columns) {
      let content = "";
      let title;
      let cls = "";
      switch (column) {
        case "name": {
          const toggle = childCount
            ? h(
                "button",
                {
                  type: "button",
                  class: "tree-toggle",
                  "aria-expanded": String(state.expanded.has(id)),
                  "aria-label": `${state.expanded.has(id) ? "Collapse" : "Expand"} ${childCount} child run${childCount === 1 ? "" : "s"}`,
                  onclick: () => {
                    if (state.expanded.has(id)) state.expanded.delete(id);
                    else state.expanded.add(id);
                    rebuildDisplay();
                    renderRows();
                    const again = tbody.querySelector(`tr[data-run-id="${CSS.escape(id)}"] .tree-toggle`);
                    if (again) again.focus();
                  },
                },
                state.expanded.has(id) ? "▾" : "▸",
                h("span", { class: "child-count" }, String(childCount)),
              )
            : h("span", { class: "tree-spacer" });
          content = h("span", { class: "run-name", style: { paddingLeft: `${depth * 18}px` } }, toggle, h("a", { href: buildHash(`/run/${id}`), title: info.run_name || id }, info.run_name || id));
          break;
        }
        case "status":
          content = statusBadge(info.status);
          break;
        case "start":
          content = formatTime(info.start_time);
          break;
        case "duration":
          content = formatDuration(runDuration(info));
          cls = "num";
          break;
        case "user":
          content = info.user_id || "";
          break;
        case "source":
          content = shortSource(tags["mlflow.source.name"]);
          title = tags["mlflow.source.name"];
          break;
        case "commit":
          content = shortCommit(tags["mlflow.source.git.commit"]);
          title = tags["mlflow.source.git.commit"];
          cls = "mono";
          break;
        default: {
          const key = column.slice(2);
          if (column[0] === "m") {
            const m = metrics[key];
            content = m ? formatNumber(m.value) : "";
            title = m ? `${m.value} (step ${m.step})` : undefined;
            cls = "num";
          } else if (column[0] === "p") {
            content = params[key] ?? "";
            title = params[key];
          } else {
            content = tags[key] ?? "";
            title = tags[key];
          }
        }
      }
      cells.push(h("td", { class: cls, title }, content));
    }
    return h("tr", { dataset: { runId: id, depth: String(depth) }, "aria-rowindex": index + 2, class: state.selected.has(id) ? "selected" : "" }, cells);
  }

  function tagValue(run, key) {
    for (const t of run.data.tags || []) if (t.key === key) return t.value;
    return null;
  }

  function compare() {
    if (!state.selected.size) return;
    if (state.selected.size === 1) {
      location.hash = buildHash(`/run/${[...state.selected][0]}`);
      return;
    }
    location.hash = buildHash("/compare", { runs: [...state.selected], e: state.experimentIds });
  }

  let frame = 0;
  scroller.addEventListener("scroll", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(renderRows);
  });
  const onResize = () => renderRows();
  window.addEventListener("resize", onResize);
  ctx.onCleanup(() => window.removeEventListener("resize", onResize));

  renderHead();
  restart();
  if (!state.selected.size) compareButton.disabled = true;
}
