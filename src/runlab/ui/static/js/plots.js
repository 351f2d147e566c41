// Small SVG plots for the compare view: a scatter of one value against another, and
// parallel coordinates across several params and metrics. Labels are SVG text nodes.

import { svg } from "./dom.js";
import { formatNumber } from "./format.js";

function numeric(values) {
  return values.every((v) => v === null || v === undefined || v === "" || Number.isFinite(Number(v)));
}

// An axis over numbers (linear) or strings (categories, in first-seen order).
function makeAxis(values, length) {
  const present = values.filter((v) => v !== null && v !== undefined && v !== "");
  if (numeric(present)) {
    const nums = present.map(Number);
    let lo = Math.min(...nums);
    let hi = Math.max(...nums);
    if (!nums.length) [lo, hi] = [0, 1];
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    return { kind: "num", pos: (v) => (Number(v) - lo) / (hi - lo) * length, ticks: [lo, (lo + hi) / 2, hi].map((t) => [t, formatNumber(Number(t.toPrecision(3)))]) };
  }
  const cats = [...new Set(present.map(String))];
  const step = cats.length > 1 ? length / (cats.length - 1) : 0;
  return { kind: "cat", pos: (v) => (cats.length > 1 ? cats.indexOf(String(v)) * step : length / 2), ticks: cats.map((c) => [c, c.length > 14 ? `${c.slice(0, 13)}…` : c]) };
}

// points: [{label, color, x, y}]
export function scatterPlot(points, xLabel, yLabel) {
  const W = 560;
  const H = 340;
  const M = { l: 70, r: 20, t: 16, b: 48 };
  const usable = points.filter((p) => p.x !== undefined && p.x !== null && p.x !== "" && p.y !== undefined && p.y !== null && Number.isFinite(Number(p.y)));
  const xa = makeAxis(usable.map((p) => p.x), W - M.l - M.r);
  const ya = makeAxis(usable.map((p) => p.y), H - M.t - M.b);
  const x = (v) => M.l + xa.pos(v);
  const y = (v) => H - M.b - ya.pos(v);
  return svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "scatter", role: "img", "aria-label": `Scatter of ${yLabel} against ${xLabel}` },
    svg("line", { x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b, class: "axis" }),
    svg("line", { x1: M.l, y1: M.t, x2: M.l, y2: H - M.b, class: "axis" }),
    xa.ticks.map(([v, t]) => svg("text", { x: x(v), y: H - M.b + 16, "text-anchor": "middle", class: "tick" }, t)),
    ya.ticks.map(([v, t]) => svg("text", { x: M.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, t)),
    svg("text", { x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle", class: "axis-label" }, xLabel),
    svg("text", { x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(M.t + H - M.b) / 2})`, class: "axis-label" }, yLabel),
    usable.map((p) => svg("circle", { cx: x(p.x), cy: y(p.y), r: 6, fill: p.color, class: "dot" }, svg("title", null, `${p.label}: ${xLabel}=${p.x}, ${yLabel}=${formatNumber(p.y)}`))),
    usable.length ? null : svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "tick" }, "No run has both values"),
  );
}

// dims: [{label, values: [...per run]}], runs: [{label, color}]
export function parallelCoordinates(dims, runs) {
  const W = Math.max(560, dims.length * 140);
  const H = 320;
  const M = { l: 50, r: 90, t: 30, b: 30 };
  const span = H - M.t - M.b;
  const gap = dims.length > 1 ? (W - M.l - M.r) / (dims.length - 1) : 0;
  const axes = dims.map((d) => makeAxis(d.values, span));
  const xOf = (i) => M.l + i * gap;
  const yOf = (i, v) => H - M.b - axes[i].pos(v);
  const lines = runs.map((run, r) => {
    const pts = [];
    dims.forEach((d, i) => {
      const v = d.values[r];
      if (v !== undefined && v !== null && v !== "") pts.push(`${xOf(i).toFixed(1)},${yOf(i, v).toFixed(1)}`);
    });
    return svg("polyline", { points: pts.join(" "), stroke: run.color, class: "pc-line" }, svg("title", null, run.label));
  });
  return svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "parcoords", role: "img", "aria-label": `Parallel coordinates of ${dims.map((d) => d.label).join(", ")}` },
    lines,
    dims.map((d, i) =>
      svg(
        "g",
        null,
        svg("line", { x1: xOf(i), y1: M.t, x2: xOf(i), y2: H - M.b, class: "axis" }),
        svg("text", { x: xOf(i), y: M.t - 12, "text-anchor": "middle", class: "axis-label" }, d.label),
        axes[i].ticks.map(([v, t]) => svg("text", { x: xOf(i) + 5, y: yOf(i, v) + 4, class: "tick" }, t)),
      ),
    ),
  );
}

