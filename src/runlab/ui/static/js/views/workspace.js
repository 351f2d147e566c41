// The runs view's "Charts" tab: one panel per metric key for the runs the table shows (its
// filter, and only the ticked runs when some are), at most MAX_RUNS of them, a colour per
// run, or per group when the table is grouped (each group's mean over its min/max band),
// system metrics in their own section. Panels can be moved, resized and hidden; the layout
// is kept per experiment. While a shown run is RUNNING and the tab is visible, a poll
// every POLL_MS asks for the points after the last step held, and stops when none runs.

import { api, paramMap, requests, tagMap } from "../api.js";
import { metricGroups } from "../chart_grid.js";
import { clear, h } from "../dom.js";
import { quoteString } from "../state.js";
import { colorOf, workspacePanel } from "../workspace_chart.js";
import { loadLayout, moveBefore, moveBy, orderKeys, saveLayout, setHidden, sizeOf } from "../workspace_layout.js";
import { groupBands, pointsPerSeries, seriesStore } from "../workspace_series.js";
import { groupLabel, sortGroups } from "./run_groups.js";

export const MAX_RUNS = 100;
export const POLL_MS = 3000;

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
  const el = h("section", { class: "workspace", hidden: true, "aria-label": "Charts", dataset: { state: "idle", live: "off", polls: "0" } }, note, legend, hiddenBar, body);
  const store = seriesStore();
  let layout = loadLayout(state.experimentIds);
  let runs = [];
  let keys = [];
  let panels = new Map();
  let statuses = new Map();
  let generation = 0;
  let timer = null;
  let polling = false;
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
      const xs = [];
      const ys = [];
      s.steps.forEach((x, i) => {
        if (s.values[i] !== null) (xs.push(x), ys.push(s.values[i]));
      });
      return { xs, ys };
    };
    const groups = groupsOfRuns();
    if (!state.group) return { lines: groups.map((g) => ({ label: g.label, color: g.color, ...series(g.runs[0]) })) };
    const parts = groups.map((g) => ({ ...g, series: g.runs.map(series) }));
    const { xs, stats } = groupBands(parts);
    const points = parts.reduce((n, g) => n + g.series.reduce((m, s) => m + s.xs.length, 0), 0);
    return { points, bands: { xs, groups: parts.map((g, i) => ({ label: g.label, color: g.color, ...stats[i] })) } };
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

  async function reload() {
    stop();
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
    statuses = new Map(runs.map((r) => [r.info.run_id, r.info.status]));
    keys = [...new Set(runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
    const more = page.next_page_token ? ` (the first ${MAX_RUNS}; narrow the filter or tick runs to choose)` : "";
    const what = state.selected.size ? "ticked run" : "run";
    note.textContent = `${runs.length} ${what}${runs.length === 1 ? "" : "s"}${more}, ${keys.length} metric${keys.length === 1 ? "" : "s"}`;
    drawLegend();
    for (const key of keys) panels.set(key, workspacePanel(key, sizeOf(layout, key), actions));
    arrange();
    if (!keys.length) body.appendChild(h("p", { class: "muted" }, runs.length ? "No metrics logged." : "No runs to chart."));
    const ids = runs.map((r) => r.info.run_id);
    const maxPoints = pointsPerSeries(ids.length);
    await Promise.all(
      keys.map((key) =>
        store
          .load(ids, key, maxPoints)
          .then(() => mine === generation && panels.get(key).draw(modelOf(key)))
          .catch((err) => mine === generation && panels.get(key).fail(err.message)),
      ),
    );
    if (mine !== generation) return;
    el.dataset.drawMs = String(Math.round(performance.now() - started));
    el.dataset.state = "ready";
    schedule();
  }

  function running() {
    return runs.map((r) => r.info.run_id).filter((id) => statuses.get(id) === "RUNNING");
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    const live = running().length > 0 && keys.length > 0 && document.visibilityState === "visible" && !el.hidden;
    el.dataset.live = live ? "on" : "off";
    if (live) timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    timer = null;
    if (polling) return;
    polling = true;
    const mine = generation;
    try {
      const ids = running();
      const maxPoints = pointsPerSeries(runs.length);
      const { statuses: fresh, changed, behind } = await store.poll(ids, keys, maxPoints);
      if (mine !== generation || !ctx.alive()) return;
      fresh.forEach((status, id) => statuses.set(id, status));
      el.dataset.polls = String(Number(el.dataset.polls) + 1);
      const all = runs.map((r) => r.info.run_id);
      for (const key of behind) await store.load(all, key, maxPoints);
      for (const key of changed) panels.get(key) && panels.get(key).draw(modelOf(key));
    } catch (err) {
      note.textContent = `Live update failed: ${err.message}`;
    } finally {
      polling = false;
    }
    if (mine === generation) schedule();
  }

  // A hidden tab asks nothing; back in view, it catches up at once.
  function onVisibility() {
    if (document.visibilityState !== "visible") return stop();
    if (el.dataset.state === "ready" && !el.hidden && running().length) poll();
  }
  document.addEventListener("visibilitychange", onVisibility);

  function stop() {
    clearTimeout(timer);
    timer = null;
    el.dataset.live = "off";
  }

  return {
    el,
    reload,
    stop,
    destroy() {
      generation++;
      stop();
      document.removeEventListener("visibilitychange", onVisibility);
      panels.forEach((p) => p.destroy());
    },
  };
}
