// One panel of the charts workspace: a metric over steps for many runs (uPlot's mode 2,
// each run with its own x values, so no run's points are stretched onto the others'), or
// for groups of runs (each group's mean line over its min/max band), with the panel's
// controls: move earlier or later (or drag it), its size, hide it. The x axis is steps,
// wall time (a time scale) or seconds since each run started (model.axis).

import { h } from "./dom.js";
import { PALETTE } from "./charts.js";
import { formatNumber } from "./format.js";

let uPlot = null;
let uPlotLoading = null;
export function loadUPlot() {
  if (!uPlotLoading) uPlotLoading = import("../vendor/uPlot.esm.js").then((module) => (uPlot = module.default));
  return uPlotLoading;
}

const HEIGHTS = { small: 160, medium: 220, large: 320 };

// Ten palette colours, then evenly turned hues, so 100 runs stay apart.
export function colorOf(index) {
  if (index < PALETTE.length) return PALETTE[index];
  return `hsl(${Math.round((index * 137.508) % 360)}, 65%, 45%)`;
}

function withAlpha(color, alpha) {
  if (color.startsWith("#")) return `${color}${Math.round(alpha * 255).toString(16).padStart(2, "0")}`;
  return color.replace("hsl(", "hsla(").replace(")", `, ${alpha})`);
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// Seconds since a run started, as 45s, 12m 30s or 3h 5m.
function relative(seconds) {
  const s = Math.round(seconds);
  if (Math.abs(s) < 60) return `${s}s`;
  if (Math.abs(s) < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ""}`;
}

// actions: {move(key, delta), resize(key, size), hide(key)}; size: small | medium | large.
export function workspacePanel(key, size, actions) {
  const plotBox = h("div", { class: "chart-plot ws-plot" });
  const status = h("span", { class: "muted chart-status" }, "loading…");
  const sizeSelect = h(
    "select",
    { "aria-label": `Size of chart ${key}`, class: "ws-size" },
    ["small", "medium", "large"].map((s) => h("option", { value: s, selected: s === size }, s[0].toUpperCase() + s.slice(1))),
  );
  sizeSelect.addEventListener("change", () => actions.resize(key, sizeSelect.value));
  const button = (label, text, onclick) => h("button", { type: "button", class: "btn small", "aria-label": label, title: label, onclick }, text);
  const handle = h("span", { class: "ws-handle", title: "Drag to move", "aria-hidden": "true" }, "⠿");
  const el = h(
    "figure",
    { class: `chart ws-panel size-${size}`, "aria-label": `Chart of ${key}`, dataset: { key, series: "0", points: "0" }, draggable: "true" },
    h(
      "figcaption",
      null,
      handle,
      h("span", { class: "chart-title" }, key),
      status,
      button(`Move ${key} earlier`, "↑", () => actions.move(key, -1)),
      button(`Move ${key} later`, "↓", () => actions.move(key, 1)),
      sizeSelect,
      button(`Hide chart of ${key}`, "✕", () => actions.hide(key)),
    ),
    plotBox,
  );
  let plot = null;
  let model = null;
  let currentSize = size;

  function height() {
    return HEIGHTS[currentSize] || HEIGHTS.medium;
  }

  function axes() {
    const stroke = cssVar("--muted") || "#888";
    const grid = { stroke: cssVar("--grid") || "rgba(128,128,128,.15)", width: 1 };
    const x = { stroke, grid, ticks: grid };
    if (model && model.axis === "relative") x.values = (u, splits) => splits.map(relative);
    return [
      x,
      { stroke, grid, ticks: grid, size: 56, values: (u, splits) => splits.map((s) => formatNumber(s)) },
    ];
  }

  // lines: [{label, color, xs, ys}]: one line per run, each on its own x values.
  function linesPlot(lines) {
    const facets = [
      { scale: "x", auto: true },
      { scale: "y", auto: true },
    ];
    const series = [{}];
    const data = [null];
    for (const line of lines) {
      series.push({ label: line.label, stroke: line.color, width: 1.25, paths: uPlot.paths.linear(), points: { show: line.xs.length < 40 }, facets });
      data.push([line.xs, line.ys]);
    }
    // One x value alone is widened to a range (uPlot cannot split an empty one).
    const range = (u, lo, hi) => (lo === hi ? [lo - 1, hi + 1] : [lo, hi]);
    const opts = { mode: 2, series, scales: { x: { time: model.axis === "wall", range }, y: {} }, legend: { show: false }, cursor: { drag: { x: true, y: false } } };
    return { opts, data };
  }

  // bands: {xs, groups: [{label, color, mean, min, max}]}: a mean line over a min/max band.
  function bandsPlot({ xs, groups }) {
    const series = [{ label: model.axis || "step" }];
    const data = [xs];
    const bands = [];
    for (const g of groups) {
      const at = series.length;
      series.push({ label: `${g.label} mean`, stroke: g.color, width: 2, spanGaps: true, points: { show: false } });
      series.push({ label: `${g.label} min`, stroke: withAlpha(g.color, 0.35), width: 0.5, spanGaps: true, points: { show: false } });
      series.push({ label: `${g.label} max`, stroke: withAlpha(g.color, 0.35), width: 0.5, spanGaps: true, points: { show: false } });
      data.push(g.mean, g.min, g.max);
      bands.push({ series: [at + 2, at + 1], fill: withAlpha(g.color, 0.18) });
    }
    return { opts: { series, bands, scales: { x: { time: model.axis === "wall" } }, legend: { show: false } }, data };
  }

  function build() {
    if (plot) {
      plot.destroy();
      plot = null;
    }
    if (!model || !uPlot) return;
    const lines = model.lines || [];
    const empty = model.bands ? !model.bands.xs.length : !lines.some((l) => l.xs.length);
    const points = model.bands ? model.points : lines.reduce((n, l) => n + l.xs.length, 0);
    el.dataset.series = String(model.bands ? model.bands.groups.length : lines.filter((l) => l.xs.length).length);
    el.dataset.points = String(points);
    el.dataset.bands = String(model.bands ? model.bands.groups.length : 0);
    // The x range drawn, and over what: what the axis choice changed, readable by tests.
    const xs = model.bands ? model.bands.xs : lines.flatMap((l) => (l.xs.length ? [l.xs[0], l.xs[l.xs.length - 1]] : []));
    el.dataset.axis = model.axis || "step";
    el.dataset.xMin = xs.length ? String(Math.min(...xs)) : "";
    el.dataset.xMax = xs.length ? String(Math.max(...xs)) : "";
    status.textContent = empty ? "no data" : `${points.toLocaleString()} points`;
    if (empty) return;
    const { opts, data } = model.bands ? bandsPlot(model.bands) : linesPlot(lines.filter((l) => l.xs.length));
    const width = Math.max(200, plotBox.clientWidth || 400);
    plot = new uPlot({ ...opts, width, height: height(), axes: axes() }, data, plotBox);
  }

  const resizer = new ResizeObserver(() => {
    if (plot && plotBox.clientWidth && Math.abs(plot.width - plotBox.clientWidth) > 1) plot.setSize({ width: plotBox.clientWidth, height: height() });
  });
  resizer.observe(plotBox);
  const onTheme = () => build();
  window.addEventListener("runlab:theme", onTheme);

  return {
    el,
    key,
    async draw(next) {
      model = next;
      await loadUPlot();
      build();
      el.dataset.drawn = "true";
    },
    resize(next) {
      currentSize = next;
      el.className = `chart ws-panel size-${next}`;
      sizeSelect.value = next;
      if (plot) requestAnimationFrame(() => plot && plot.setSize({ width: Math.max(200, plotBox.clientWidth), height: height() }));
    },
    fail(message) {
      status.textContent = message;
      el.dataset.drawn = "error";
    },
    destroy() {
      resizer.disconnect();
      window.removeEventListener("runlab:theme", onTheme);
      if (plot) plot.destroy();
    },
  };
}
