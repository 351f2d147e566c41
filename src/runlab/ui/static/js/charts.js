// Metric charts on uPlot: one key, several runs overlaid, x over step / relative time / wall
// time, smoothing, log scale, drag to zoom and a reset. Points come from the downsampled
// endpoint, so a million-point series arrives as a few thousand points with its extremes.

import { api } from "./api.js";
import { h } from "./dom.js";
import { formatNumber } from "./format.js";

// uPlot is fetched with the first chart, not with every page of the app.
let uPlot = null;
let uPlotLoading = null;
function loadUPlot() {
  if (!uPlotLoading) uPlotLoading = import("../vendor/uPlot.esm.js").then((module) => (uPlot = module.default));
  return uPlotLoading;
}

export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#4f46e5"];

export function runColor(index) {
  return PALETTE[index % PALETTE.length];
}

// Exponential moving average with TensorBoard's debiasing, NaN-safe.
export function smooth(values, weight) {
  if (!weight) return values;
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = last / (1 - Math.pow(weight, count));
  }
  return out;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// The shared control bar: x axis, smoothing, log scale. onChange(options) on every change.
export function chartControls(options, onChange) {
  const xSelect = h(
    "select",
    { "aria-label": "X axis" },
    h("option", { value: "step", selected: options.xAxis === "step" }, "Step"),
    h("option", { value: "relative", selected: options.xAxis === "relative" }, "Relative time"),
    h("option", { value: "wall", selected: options.xAxis === "wall" }, "Wall time"),
  );
  const smoothing = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(options.smoothing), "aria-label": "Smoothing" });
  const smoothingValue = h("output", null, String(options.smoothing));
  const log = h("input", { type: "checkbox", checked: options.log, "aria-label": "Logarithmic y axis" });
  const emit = () => {
    options.xAxis = xSelect.value;
    options.smoothing = Number(smoothing.value);
    options.log = log.checked;
    smoothingValue.textContent = smoothing.value;
    onChange(options);
  };
  xSelect.addEventListener("change", emit);
  smoothing.addEventListener("change", emit);
  smoothing.addEventListener("input", () => (smoothingValue.textContent = smoothing.value));
  log.addEventListener("change", emit);
  return h(
    "div",
    { class: "chart-controls", role: "group", "aria-label": "Chart options" },
    h("label", null, "X axis ", xSelect),
    h("label", null, "Smoothing ", smoothing, smoothingValue),
    h("label", null, log, " Log scale"),
    h("span", { class: "muted hint" }, "Drag to zoom, double-click to reset"),
  );
}

// One chart: `runs` is [{run_id, name, start_time, color}]. Returns {el, refresh, destroy}.
export function metricChart(key, runs, options) {
  const plotBox = h("div", { class: "chart-plot" });
  const status = h("span", { class: "muted chart-status" });
  const reset = h("button", { type: "button", class: "btn small", onclick: () => resetZoom() }, "Reset zoom");
  const el = h(
    "figure",
    { class: "chart", "aria-label": `Chart of ${key}` },
    h("figcaption", null, h("span", { class: "chart-title" }, key), status, reset),
    plotBox,
  );
  let plot = null;
  let raw = null; // [{run, xs, ys}]
  let destroyed = false;
  let zoomed = false;

  async function fetchAll() {
    const axis = options.xAxis === "step" ? "step" : "timestamp";
    const results = await Promise.all(
      runs.map((run) =>
        api
          .downsampled(run.run_id, key, axis)
          .then((columns) => ({ run, columns }))
          .catch((err) => ({ run, columns: null, error: err })),
      ),
    );
    return results.map(({ run, columns, error }) => {
      const steps = (columns && columns.step) || [];
      const times = (columns && columns.timestamp) || [];
      const values = (columns && columns.value) || [];
      const n = values.length;
      const xs = new Array(n);
      const ys = new Array(n);
      const start = Number(run.start_time) || (n ? Number(times[0]) : 0);
      for (let i = 0; i < n; i++) {
        xs[i] = options.xAxis === "step" ? Number(steps[i]) : options.xAxis === "relative" ? (Number(times[i]) - start) / 1000 : Number(times[i]) / 1000;
        const v = typeof values[i] === "number" ? values[i] : Number(values[i]);
        ys[i] = Number.isFinite(v) ? v : null;
      }
      return { run, xs, ys, error };
    });
  }

  function build() {
    if (destroyed || !raw || !uPlot) return;
    const tables = [];
    const series = [{ label: options.xAxis === "step" ? "step" : options.xAxis === "relative" ? "seconds" : "time" }];
    for (const { run, xs, ys } of raw) {
      if (!xs.length) continue;
      let values = smooth(ys, options.smoothing);
      if (options.log) values = values.map((v) => (v !== null && v > 0 ? v : null));
      tables.push([xs, values]);
      series.push({
        label: run.name,
        stroke: run.color,
        width: 1.5,
        spanGaps: true,
        points: { show: xs.length < 60 },
        value: (u, v) => (v === null || v === undefined ? "–" : formatNumber(v)),
      });
    }
    const total = raw.reduce((n, r) => n + r.xs.length, 0);
    const only = raw.length === 1 && raw[0].ys.length ? raw[0].ys[raw[0].ys.length - 1] : undefined;
    const latest = only === undefined ? "" : ` · latest ${only === null ? "NaN" : formatNumber(only)}`;
    status.textContent = tables.length ? `${total.toLocaleString()} points shown${latest}` : "no data";
    if (plot) {
      plot.destroy();
      plot = null;
    }
    if (!tables.length) return;
    const data = tables.length === 1 ? [tables[0][0], tables[0][1]] : uPlot.join(tables);
    const axisColor = cssVar("--muted") || "#888";
    const gridColor = cssVar("--grid") || "rgba(128,128,128,.15)";
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
    plot = new uPlot(
      {
        width: Math.max(240, plotBox.clientWidth || 600),
        height: 240,
        series,
        scales: {
          x: { time: options.xAxis === "wall" },
          y: options.log ? { distr: 3 } : {},
        },
        axes: [
          { ...axis, values: options.xAxis === "relative" ? (u, splits) => splits.map((s) => formatSeconds(s)) : undefined },
          { ...axis, size: 60, values: (u, splits) => splits.map((s) => formatNumber(s)) },
        ],
        cursor: { drag: { x: true, y: false } },
        legend: { live: true },
        hooks: {
          setSelect: [() => (zoomed = true)],
        },
      },
      data,
      plotBox,
    );
    plot.over.addEventListener("dblclick", () => (zoomed = false));
  }

  function resetZoom() {
    if (!plot) return;
    zoomed = false;
    const xs = plot.data[0];
    if (xs.length) plot.setScale("x", { min: xs[0], max: xs[xs.length - 1] });
  }

  // One fetch at a time: a poll that comes while the last answer is still on its way
  // waits for that answer instead of piling another query onto the server.
  let inflight = null;
  function refresh() {
    if (!inflight) inflight = load().finally(() => (inflight = null));
    return inflight;
  }

  async function load() {
    status.textContent = raw ? status.textContent : "loading…";
    const [fresh] = await Promise.all([fetchAll(), loadUPlot()]);
    if (destroyed) return;
    const keepZoom = zoomed && plot ? { min: plot.scales.x.min, max: plot.scales.x.max } : null;
    raw = fresh;
    build();
    if (keepZoom && plot) plot.setScale("x", keepZoom);
  }

  const resizer = new ResizeObserver(() => {
    if (plot && plotBox.clientWidth) plot.setSize({ width: plotBox.clientWidth, height: 240 });
  });
  resizer.observe(plotBox);
  const onTheme = () => build();
  window.addEventListener("runlab:theme", onTheme);

  return {
    el,
    refresh,
    rebuild: async () => {
      if (inflight) await inflight;
      raw = null;
      await refresh();
    },
    destroy() {
      destroyed = true;
      resizer.disconnect();
      window.removeEventListener("runlab:theme", onTheme);
      if (plot) plot.destroy();
    },
  };
}

function formatSeconds(s) {
  if (Math.abs(s) < 120) return `${+s.toFixed(1)}s`;
  if (Math.abs(s) < 7200) return `${+(s / 60).toFixed(1)}m`;
  return `${+(s / 3600).toFixed(1)}h`;
}
