// The runs view's "Charts" tab: one panel per metric key for the runs the table shows (its
// filter, and only the ticked runs when some are), at most MAX_RUNS of them, a colour per
// run, or per group when the table is grouped (each group's mean over its min/max band),
// system metrics in their own section. Panels can be moved, resized and hidden; the layout
// is kept per experiment. The x axis is the step, the wall time or the time since each
// run started (`x` in the URL). New points, runs and keys arrive live (workspace_live.js).

import { api, paramMap, requests, tagMap } from "../api.js";
import { metricGroups } from "../chart_grid.js";
import { clear, h } from "../dom.js";
import { quoteString } from "../state.js";
import { colorOf, workspacePanel } from "../workspace_chart.js";
import { loadLayout, moveBefore, moveBy, orderKeys, saveLayout, setHidden, sizeOf } from "../workspace_layout.js";
import { liveUpdates } from "../workspace_live.js";
import { groupBands, pointsPerSeries, seriesStore } from "../workspace_series.js";
import { groupLabel, sortGroups } from "./run_groups.js";

export const MAX_RUNS = 100;
export const X_AXES = [
  ["step", "Step"],
  ["wall", "Wall time"],
  ["relative", "Relative time"],
];

// The x of each point of series `s` of `run`: its step, its time in seconds since the epoch
// (wall) or in seconds since the run started (relative).
function xsOf(s, run, axis) {
  if (axis === "step") return s.steps;
  if (axis === "wall") return s.times.map((t) => t / 1000);
  const start = Number(run.info.start_time) || s.times[0] || 0;
  return s.times.map((t) => (t - start) / 1000);
}

function groupValue(run, choice) {
  const key = choice.slice(2);
  if (choice === "a.status") return run.info.status;
  if (choice === "a.user_id") return run.info.user_id ?? null;
  const found = choice[0] === "p" ? paramMap(run)[key] : tagMap(run)[key];
  return found === undefined ? null : found;
}

// `view` is the runs view (runs.js): its state (filter, selection, grouping) and context.
export function runsWorkspace(view) {
  const { state, ctx } = view;
  const note = h("p", { class: "muted ws-note", role: "status" });
  const legend = h("div", { class: "ws-legend", "aria-label": "Runs shown" });
  const hiddenBar = h("div", { class: "ws-hidden", hidden: true });
  const body = h("div", { class: "ws-body" });
  if (!X_AXES.some(([id]) => id === state.xAxis)) state.xAxis = "step";
  const axisSelect = h("select", { "aria-label": "X axis", class: "ws-x-axis" }, X_AXES.map(([id, label]) => h("option", { value: id, selected: id === state.xAxis }, label)));
  axisSelect.addEventListener("change", () => {
    state.xAxis = axisSelect.value;
    view.saveUrl();
    redraw(keys);
  });
  const bar = h("div", { class: "ws-bar" }, note, h("label", { class: "ws-axis" }, "X axis ", axisSelect));
  const el = h("section", { class: "workspace", hidden: true, "aria-label": "Charts", dataset: { state: "idle", live: "off", watch: "off", polls: "0" } }, bar, legend, hiddenBar, body);
  const store = seriesStore();
  let layout = loadLayout(state.experimentIds);
  let runs = [];
  let keys = [];
  let panels = new Map();
  const statuses = new Map();
  let generation = 0;
  let started = 0;

  function searchBody() {
    const picked = [...state.selected].slice(0, MAX_RUNS);
    let filter = state.filter;
    if (picked.length) {
      const only = `attributes.run_id IN (${picked.map(quoteString).join(", ")})`;
      filter = filter ? `(${filter}) AND ${only}` : only;
    }
    return requests.runsSearchBody({ ...state, filter }, { max_results: MAX_RUNS });
  }

  // The colour and label of each run, and its group when grouped: [{label, color, runs}].
  function groupsOfRuns() {
    if (!state.group) return runs.map((run, i) => ({ label: run.info.run_name || run.info.run_id, color: colorOf(i), runs: [run] }));
    const byValue = new Map();
    for (const run of runs) {
      const value = groupValue(run, state.group);
      if (!byValue.has(value)) byValue.set(value, { value, runs: [] });
      byValue.get(value).runs.push(run);
    }
    return sortGroups([...byValue.values()]).map((g, i) => ({
      label: g.value === null ? `no ${groupLabel(state.group)}` : `${groupLabel(state.group)} = ${g.value}`,
      color: colorOf(i),
      runs: g.runs,
    }));
  }

  function modelOf(key) {
    const of = store.get(key);
    const series = (run) => {
      const s = of.get(run.info.run_id);
      if (!s) return { xs: [], ys: [] };
      const all = xsOf(s, run, state.xAxis);
      let pairs = [];
      all.forEach((x, i) => {
        if (s.values[i] !== null && Number.isFinite(x)) pairs.push([x, s.values[i]]);
      });
      // Over time a run's points need not be in step order.
      if (pairs.some((p, i) => i && p[0] < pairs[i - 1][0])) pairs = pairs.sort((a, b) => a[0] - b[0]);
      return { xs: pairs.map((p) => p[0]), ys: pairs.map((p) => p[1]) };
    };
    const groups = groupsOfRuns();
    const axis = state.xAxis;
    if (!state.group) return { axis, lines: groups.map((g) => ({ label: g.label, color: g.color, ...series(g.runs[0]) })) };
    const parts = groups.map((g) => ({ ...g, series: g.runs.map(series) }));
    const { xs, stats } = groupBands(parts);
    const points = parts.reduce((n, g) => n + g.series.reduce((m, s) => m + s.xs.length, 0), 0);
    return { axis, points, bands: { xs, groups: parts.map((g, i) => ({ label: g.label, color: g.color, ...stats[i] })) } };
  }

  const actions = {
    move(key, delta) {
      const section = metricGroups(keys).find((g) => g.keys.includes(key));
      if (moveBy(layout, keys, section.keys, key, delta)) (saveLayout(state.experimentIds, layout), arrange());
    },
    resize(key, size) {
      layout.sizes[key] = size;
      saveLayout(state.experimentIds, layout);
      panels.get(key).resize(size);
    },
    hide(key) {
      setHidden(layout, key, true);
      saveLayout(state.experimentIds, layout);
      arrange();
    },
  };

  // Drag a panel onto another to put it there.
  let dragged = null;
  body.addEventListener("dragstart", (e) => {
    const panel = e.target.closest && e.target.closest(".ws-panel");
    dragged = panel ? panel.dataset.key : null;
    if (dragged) e.dataTransfer.setData("text/plain", dragged);
  });
  body.addEventListener("dragover", (e) => dragged && e.preventDefault());
  body.addEventListener("drop", (e) => {
    const target = e.target.closest && e.target.closest(".ws-panel");
    if (!dragged || !target || target.dataset.key === dragged) return;
    e.preventDefault();
    moveBefore(layout, keys, dragged, target.dataset.key);
    saveLayout(state.experimentIds, layout);
    dragged = null;
    arrange();
  });

  // Sections and panels in layout order; hidden ones listed to bring back.
  function arrange() {
    clear(body);
    clear(hiddenBar);
    const hidden = new Set(layout.hidden);
    for (const group of metricGroups(keys)) {
      const grid = h("div", { class: "ws-grid" });
      for (const key of orderKeys(group.keys, layout)) if (!hidden.has(key)) grid.appendChild(panels.get(key).el);
      const title = group.title ? h("h2", { class: "ws-section-title" }, group.title) : null;
      body.appendChild(h("div", { class: "ws-section", dataset: { group: group.id } }, title, grid));
    }
    const gone = keys.filter((k) => hidden.has(k));
    hiddenBar.hidden = !gone.length;
    if (gone.length) hiddenBar.appendChild(h("span", { class: "muted" }, "Hidden: "));
    for (const key of gone) {
      const show = () => (setHidden(layout, key, false), saveLayout(state.experimentIds, layout), arrange());
      hiddenBar.appendChild(h("button", { type: "button", class: "btn small", "aria-label": `Show chart of ${key}`, onclick: show }, key));
    }
  }

  function drawLegend() {
    clear(legend);
    for (const g of groupsOfRuns()) {
      const title = state.group ? `${g.runs.length} run${g.runs.length === 1 ? "" : "s"}` : g.runs[0].info.run_id;
      legend.appendChild(h("span", { class: "ws-chip", title }, h("span", { class: "ws-swatch", style: { background: g.color } }), g.label));
    }
  }

  let more = "";
  function describe() {
    const what = state.selected.size ? "ticked run" : "run";
    note.textContent = `${runs.length} ${what}${runs.length === 1 ? "" : "s"}${more}, ${keys.length} metric${keys.length === 1 ? "" : "s"}`;
  }

  const keysOf = (list) => list.flatMap((r) => (r.data.metrics || []).map((m) => m.key));

  // Panels of `which` keys drawn again from the series held.
  function redraw(which) {
    for (const key of which) if (panels.has(key)) panels.get(key).draw(modelOf(key));
  }

  // Load `key` for `ids` (merged with the runs held when `merge`) and draw its panel.
  function loadKey(mine, ids, key, merge) {
    return store
      .load(ids, key, pointsPerSeries(runs.length), merge)
      .then(() => mine === generation && panels.get(key).draw(modelOf(key)))
      .catch((err) => mine === generation && panels.get(key).fail(err.message));
  }

  // Keys first logged after the workspace opened: a panel each, in layout order.
  async function addKeys(fresh) {
    const mine = generation;
    fresh = fresh.filter((k) => !panels.has(k));
    if (!fresh.length) return;
    keys = [...keys, ...fresh].sort();
    for (const key of fresh) panels.set(key, workspacePanel(key, sizeOf(layout, key), actions));
    arrange();
    describe();
    const ids = runs.map((r) => r.info.run_id);
    await Promise.all(fresh.map((key) => loadKey(mine, ids, key, false)));
  }

  // Runs that started after the workspace opened: after the others, so colours stay.
  async function addRuns(fresh) {
    const mine = generation;
    runs = [...runs, ...fresh].slice(0, MAX_RUNS);
    fresh.forEach((r) => statuses.set(r.info.run_id, r.info.status));
    drawLegend();
    describe();
    const ids = fresh.map((r) => r.info.run_id);
    await Promise.all(keys.map((key) => loadKey(mine, ids, key, true)));
    await addKeys([...new Set(keysOf(fresh))]);
  }

  const live = liveUpdates({
    el,
    state,
    store,
    statuses,
    maxRuns: MAX_RUNS,
    runs: () => runs,
    keys: () => keys,
    alive: () => ctx.alive(),
    addRuns,
    addKeys,
    redraw,
    note: (text) => (note.textContent = text),
  });

  async function reload() {
    live.reset();
    const mine = ++generation;
    started = performance.now();
    el.dataset.state = "loading";
    panels.forEach((p) => p.destroy());
    panels = new Map();
    store.clear();
    clear(body);
    layout = loadLayout(state.experimentIds);
    let page;
    try {
      page = await api.searchRuns(searchBody());
    } catch (err) {
      if (mine !== generation) return;
      note.textContent = err.message;
      el.dataset.state = "error";
      return;
    }
    if (mine !== generation || !ctx.alive()) return;
    runs = page.runs || [];
    statuses.clear();
    runs.forEach((r) => statuses.set(r.info.run_id, r.info.status));
    keys = [...new Set(keysOf(runs))].sort();
    more = page.next_page_token ? ` (the first ${MAX_RUNS}; narrow the filter or tick runs to choose)` : "";
    describe();
    drawLegend();
    for (const key of keys) panels.set(key, workspacePanel(key, sizeOf(layout, key), actions));
    arrange();
    if (!keys.length) body.appendChild(h("p", { class: "muted" }, runs.length ? "No metrics logged." : "No runs to chart."));
    const ids = runs.map((r) => r.info.run_id);
    await Promise.all(keys.map((key) => loadKey(mine, ids, key, false)));
    if (mine !== generation) return;
    el.dataset.drawMs = String(Math.round(performance.now() - started));
    el.dataset.state = "ready";
    live.start();
  }

  return {
    el,
    reload,
    stop: () => live.stop(),
    destroy() {
      generation++;
      live.destroy();
      panels.forEach((p) => p.destroy());
    },
  };
}
