// The charts of a run or a comparison: one chart per metric key under one control bar,
// system metrics in a section of their own; charts load as they scroll into view.

import { h } from "./dom.js";
import { chartControls, metricChart } from "./charts.js";

// A grid of charts, one per key, sharing one control bar; polls while a run is RUNNING.
// System metrics (MLflow's "system/" keys: CPU, memory, disk, network, GPU) get a section
// of their own under the model's metrics, as in MLflow's run page; without any, the
// charts stay one untitled grid.
const SYSTEM_PREFIX = "system/";

export function metricGroups(keys) {
  const system = keys.filter((k) => k.startsWith(SYSTEM_PREFIX));
  if (!system.length) return [{ id: "model", title: null, keys }];
  const model = keys.filter((k) => !k.startsWith(SYSTEM_PREFIX));
  return [
    { id: "model", title: "Model metrics", keys: model },
    { id: "system", title: "System metrics", keys: system },
  ].filter((g) => g.keys.length);
}

export function chartGrid(keys, runs, { isLive = () => false, pollMs = 5000 } = {}) {
  const options = { xAxis: "step", smoothing: 0, log: false };
  const charts = [];
  const filter = h("input", { type: "search", class: "search", placeholder: "Filter metrics", "aria-label": "Filter metric charts" });
  const controls = chartControls(options, () => controls.dispatchEvent(new CustomEvent("runlab:options")));
  const el = h("div", { class: "charts" }, h("div", { class: "toolbar" }, filter, controls));
  const sections = [];
  for (const group of metricGroups(keys)) {
    const grid = h("div", { class: "chart-grid" });
    for (const key of group.keys) {
      const chart = metricChart(key, runs, options);
      charts.push(chart);
      chart.el.dataset.key = key.toLowerCase();
      grid.appendChild(chart.el);
    }
    if (!group.title) {
      el.appendChild(grid);
      continue;
    }
    const count = h("span", { class: "muted" }, ` (${group.keys.length})`);
    const section = h("details", { class: "chart-section", open: true, dataset: { group: group.id } }, h("summary", null, h("h2", null, group.title, count)), grid);
    sections.push({ section, grid, count });
    el.appendChild(section);
  }
  if (!keys.length) el.appendChild(h("p", { class: "muted" }, "No metrics logged."));
  filter.addEventListener("input", () => {
    const needle = filter.value.toLowerCase();
    for (const c of charts) c.el.hidden = needle && !c.el.dataset.key.includes(needle);
    for (const { section, grid, count } of sections) {
      const shown = [...grid.children].filter((c) => !c.hidden).length;
      section.hidden = shown === 0;
      count.textContent = ` (${shown})`;
    }
  });
  // A chart loads its data when it first scrolls into view (a run may log hundreds of
  // keys), and only charts in view refresh while a run is live.
  const visible = new Set();
  const drawn = new Set();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const chart = charts.find((c) => c.el === entry.target);
        if (!chart) continue;
        if (entry.isIntersecting) {
          visible.add(chart);
          if (!drawn.has(chart)) {
            drawn.add(chart);
            chart.refresh();
          }
        } else visible.delete(chart);
      }
    },
    { rootMargin: "200px" },
  );
  charts.forEach((c) => observer.observe(c.el));
  const controlsChanged = () => {
    drawn.clear();
    for (const c of visible) {
      drawn.add(c);
      c.rebuild();
    }
  };
  controls.addEventListener("runlab:options", controlsChanged);
  const timer = setInterval(() => {
    if (isLive()) visible.forEach((c) => c.refresh());
  }, pollMs);
  return {
    el,
    destroy() {
      clearInterval(timer);
      observer.disconnect();
      charts.forEach((c) => c.destroy());
    },
  };
}
