// Runs of one or several experiments: the view's state, which the URL holds, and its data,
// loaded from the server page by page (filter, sort and paging happen there), or as groups
// whose runs load when opened. Its parts: runs_toolbar.js (title, filter, selects, Compare),
// runs_table.js (head, display list, virtual scrolling), runs_rows.js (the rows),
// runs_columns.js (columns and their chooser), run_groups.js (the group view's requests).

import { api, requests } from "../api.js";
import { clear, h } from "../dom.js";
import { experimentHash, listParam, replaceHash } from "../state.js";
import { GROUP_PAGE, fetchGroups, groupFilter } from "./run_groups.js";
import { columnsForUrl, columnsFromUrl, defaultColumns, visibleColumns } from "./runs_columns.js";
import { runsTable } from "./runs_table.js";
import { runsToolbar } from "./runs_toolbar.js";
import { runsWorkspace } from "./workspace.js";

const PAGE = 1000;

export async function runsView(ctx) {
  const { main, route } = ctx;
  const state = {
    // experimentIds, filter, order and view, read as prefetch.js reads them.
    ...requests.runsQuery(route.params),
    columns: route.params.has("c") ? columnsFromUrl(listParam(route.params, "c")) : null,
    selected: new Set(listParam(route.params, "sel")),
    group: route.params.get("g") || "",
    expanded: new Set(),
    show: route.params.get("show") === "charts" ? "charts" : "table",
    xAxis: route.params.get("x") || "step",
  };

  // The view: its state and data, and the actions its parts call.
  const view = {
    ctx,
    state,
    runs: [],
    byId: new Map(),
    nextToken: null,
    exhausted: false,
    total: null,
    loading: null,
    generation: 0,
    // Group view: null while ungrouped, else the groups in display order.
    groups: null,
    groupsTruncated: false,
    seenParams: new Set(),
    seenTags: new Set(),
    saveUrl,
    restart,
    loadMore,
    toggleGroup,
    loadGroupRuns,
    showAs,
  };
  const toolbar = runsToolbar(view);
  const table = runsTable(view);
  const workspace = runsWorkspace(view);
  view.toolbar = toolbar;
  view.table = table;
  ctx.onCleanup(() => workspace.destroy());

  main.appendChild(
    h(
      "section",
      { class: "page page-wide" },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/" }, "Experiments"), " / ", h("span", null, "Runs")),
      toolbar.head,
      toolbar.form,
      toolbar.filterError,
      table.scroller,
      workspace.el,
    ),
  );

  // Experiment names in the title.
  Promise.all(state.experimentIds.map((id) => api.getExperiment(id).catch(() => ({ name: `#${id}`, experiment_id: id })))).then((exps) => {
    if (!ctx.alive()) return;
    clear(toolbar.title);
    toolbar.title.appendChild(document.createTextNode(exps.map((e) => e.name).join(", ")));
    document.title = `${exps.map((e) => e.name).join(", ")} · runlab`;
  });

  const searchBody = (extra) => requests.runsSearchBody(state, extra);

  function saveUrl() {
    replaceHash(
      experimentHash(state.experimentIds, {
        q: state.filter,
        o: state.order ? `${state.order.key} ${state.order.desc ? "DESC" : "ASC"}` : "",
        c: state.columns ? columnsForUrl(state.columns) : null,
        view: state.view === "ACTIVE_ONLY" ? "" : state.view,
        g: state.group,
        sel: [...state.selected],
        show: state.show === "charts" ? "charts" : "",
        x: state.xAxis === "step" ? "" : state.xAxis,
      }),
    );
  }

  // Everything drawn again from the data: head, rows and total.
  function redraw() {
    table.rebuildDisplay();
    table.renderHead();
    table.renderRows();
    toolbar.updateTotal();
  }

  async function loadMore() {
    if (view.groups) return;
    if (view.exhausted) return;
    if (view.loading) return view.loading;
    const generation = view.generation;
    view.loading = (async () => {
      try {
        const max = view.runs.length ? PAGE : requests.RUNS_FIRST_PAGE;
        const page = await api.searchRuns(searchBody({ max_results: max, page_token: view.nextToken || undefined }));
        if (generation !== view.generation || !ctx.alive()) return;
        for (const run of page.runs || []) {
          if (view.byId.has(run.info.run_id)) continue;
          view.byId.set(run.info.run_id, run);
          view.runs.push(run);
        }
        toolbar.noteKeys(page.runs || []);
        view.nextToken = page.next_page_token || null;
        view.exhausted = !view.nextToken;
        toolbar.showFilterError(null);
      } catch (err) {
        if (generation !== view.generation) return;
        view.exhausted = true;
        toolbar.showFilterError(err);
      } finally {
        if (generation === view.generation) view.loading = null;
      }
      if (generation !== view.generation) return;
      table.table.removeAttribute("aria-busy");
      if (!state.columns) state.columns = defaultColumns(view.runs);
      redraw();
    })();
    return view.loading;
  }

  // The table, or the charts of the same runs (loaded again each time they are shown).
  function showAs(mode) {
    state.show = mode;
    table.scroller.hidden = mode === "charts";
    workspace.el.hidden = mode !== "charts";
    if (mode === "charts") workspace.reload();
    else workspace.stop();
    toolbar.updateToggle();
    saveUrl();
  }

  function restart() {
    view.generation++;
    if (state.show === "charts") workspace.reload();
    view.runs = [];
    view.byId = new Map();
    view.nextToken = null;
    view.exhausted = false;
    view.loading = null;
    view.total = null;
    view.groups = null;
    view.groupsTruncated = false;
    table.scroller.scrollTop = 0;
    saveUrl();
    toolbar.updateTotal();
    // The old rows stay until the new ones arrive (no flicker); aria-busy says they are stale.
    table.table.setAttribute("aria-busy", "true");
    if (state.group) {
      loadGroups();
      return;
    }
    api
      .countRuns(searchBody())
      .then((n) => {
        view.total = n;
        table.rebuildDisplay();
        table.renderRows();
        toolbar.updateTotal();
      })
      .catch(() => {});
    loadMore();
  }

  async function loadGroups() {
    const generation = view.generation;
    if (!state.columns) {
      // The default columns come from a sample of the runs, and decide which metrics the
      // groups summarise.
      try {
        const sample = await api.searchRuns(searchBody({ max_results: 50 }));
        if (generation !== view.generation || !ctx.alive()) return;
        toolbar.noteKeys(sample.runs || []);
        state.columns = defaultColumns(sample.runs || []);
      } catch {
        // The groups request below reports a bad filter.
      }
    }
    const metricKeys = visibleColumns(state.columns)
      .filter((c) => c.startsWith("m."))
      .map((c) => c.slice(2));
    try {
      const answer = await fetchGroups(searchBody(), state.group, metricKeys);
      if (generation !== view.generation || !ctx.alive()) return;
      view.groups = answer.groups;
      view.groupsTruncated = answer.truncated;
      view.total = view.groups.reduce((n, g) => n + g.count, 0);
      view.exhausted = true;
      toolbar.showFilterError(null);
      // A lone group opens by itself.
      if (view.groups.length === 1) toggleGroup(view.groups[0]);
    } catch (err) {
      if (generation !== view.generation) return;
      view.groups = [];
      view.exhausted = true;
      toolbar.showFilterError(err);
    }
    table.table.removeAttribute("aria-busy");
    redraw();
  }

  function toggleGroup(group) {
    group.expanded = !group.expanded;
    if (group.expanded && !group.runs.length && !group.exhausted) loadGroupRuns(group);
    table.rebuildDisplay();
    table.renderRows();
  }

  function loadGroupRuns(group) {
    if (group.loading || group.exhausted) return group.loading;
    const generation = view.generation;
    const body = searchBody({
      filter: groupFilter(state.filter, state.group, group.value),
      max_results: GROUP_PAGE,
      page_token: group.token || undefined,
    });
    group.loading = api
      .searchRuns(body)
      .then((page) => {
        if (generation !== view.generation || !ctx.alive()) return;
        for (const run of page.runs || []) {
          if (view.byId.has(run.info.run_id)) continue;
          view.byId.set(run.info.run_id, run);
          group.runs.push(run);
          view.runs.push(run);
        }
        toolbar.noteKeys(page.runs || []);
        group.token = page.next_page_token || null;
        group.exhausted = !group.token;
      })
      .catch((err) => {
        if (generation !== view.generation) return;
        group.exhausted = true;
        toolbar.showFilterError(err);
      })
      .finally(() => {
        group.loading = null;
        if (generation !== view.generation || !ctx.alive()) return;
        if (!state.columns) state.columns = defaultColumns(view.runs);
        redraw();
      });
    return group.loading;
  }

  table.renderHead();
  table.scroller.hidden = state.show === "charts";
  workspace.el.hidden = state.show !== "charts";
  restart();
  if (!state.selected.size) toolbar.compareButton.disabled = true;
}
