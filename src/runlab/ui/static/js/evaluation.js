// Evaluation results of a run (the manifests named by the runlab.evaluations tag): each
// evaluation's metrics, beside its baseline's when it has one, its plots and its tables.

import { artifactJson, baseName, evaluationPaths } from "./artifact_data.js";
import { clear, h } from "./dom.js";
import { formatNumber } from "./format.js";
import { thumbnailGrid } from "./image_viewer.js";
import { isTableShape, tableView } from "./table_view.js";

// Losses and errors improve downwards, everything else (accuracy, F1, AUC, R²) upwards.
export function lowerIsBetter(name) {
  return /loss|error|(^|[_\s])(mae|mse|rmse|mape|msle)($|[_\s])/i.test(name);
}

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

// A manifest as the UI uses it: every field checked, anything malformed left out.
export function readManifest(path, raw) {
  const m = raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  const obj = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : null);
  const strings = (v) => (Array.isArray(v) ? v.filter((p) => typeof p === "string" && p) : []);
  const dataset = obj(m.dataset) || {};
  return {
    path,
    modelType: typeof m.model_type === "string" ? m.model_type : "",
    datasetName: typeof dataset.name === "string" && dataset.name ? dataset.name : "dataset",
    rows: isNumber(dataset.rows) ? dataset.rows : null,
    metrics: obj(m.metrics) || {},
    baseline: obj(m.baseline_metrics),
    plots: strings(m.plots),
    tables: strings(m.tables),
  };
}

// The run's evaluations, in order: {path, manifest} or {path, error}.
export function loadEvaluations(runId, run) {
  return Promise.all(
    evaluationPaths(run).map((path) =>
      artifactJson(runId, path).then(
        (raw) => ({ path, manifest: readManifest(path, raw) }),
        (err) => ({ path, error: err.message }),
      ),
    ),
  );
}

export function formatDelta(d) {
  if (!isNumber(d)) return "";
  return d > 0 ? `+${formatNumber(d)}` : d === 0 ? "0" : formatNumber(d);
}

function metricsTable(m) {
  const names = Object.keys(m.metrics);
  const withBaseline = Boolean(m.baseline);
  const head = ["Metric", "Value", ...(withBaseline ? ["Baseline", "Difference"] : [])];
  return h(
    "table",
    { class: "table kv eval-metrics" },
    h("thead", null, h("tr", null, head.map((t, i) => h("th", { scope: "col", class: i ? "num" : "" }, t)))),
    h(
      "tbody",
      null,
      names.map((name) => {
        const value = m.metrics[name];
        const cells = [h("th", { scope: "row" }, name), h("td", { class: "num", title: String(value) }, formatNumber(value))];
        if (withBaseline) {
          const base = m.baseline[name];
          const delta = isNumber(value) && isNumber(base) ? value - base : null;
          const better = delta === null || delta === 0 ? "" : (delta < 0) === lowerIsBetter(name) ? "better" : "worse";
          cells.push(h("td", { class: "num", title: base === undefined ? "" : String(base) }, base === undefined ? "—" : formatNumber(base)));
          cells.push(h("td", { class: `num delta ${better}`.trim() }, delta === null ? "—" : formatDelta(delta)));
        }
        return h("tr", { "data-metric": name }, cells);
      }),
    ),
  );
}

function tableSection(runId, path) {
  const box = h("div", { class: "eval-table", "data-path": path }, h("h3", { class: "subhead" }, baseName(path)), h("p", { class: "muted" }, "Loading…"));
  artifactJson(runId, path).then(
    (data) => {
      box.lastChild.remove();
      box.appendChild(isTableShape(data) ? tableView(data, { label: path }).el : h("p", { class: "error-box" }, `${path} is not a table ({"columns": [...], "data": [[...]]}).`));
    },
    (err) => box.lastChild.replaceWith(h("p", { class: "error-box" }, `Could not load ${path}: ${err.message}`)),
  );
  return box;
}

function evaluationCard(runId, entry, index, total) {
  const heading = total > 1 ? `Evaluation ${index + 1}` : "Evaluation";
  if (entry.error) return h("div", { class: "card eval-card" }, h("h2", null, heading), h("p", { class: "error-box" }, `Could not load ${entry.path}: ${entry.error}`));
  const m = entry.manifest;
  const facts = [m.datasetName, m.rows === null ? null : `${m.rows.toLocaleString("en-US")} rows`, m.modelType || null].filter(Boolean).join(" · ");
  const plots = m.plots.map((path) => ({ runId, path }));
  return h(
    "div",
    { class: "card eval-card", "data-manifest": m.path },
    h("div", { class: "card-head" }, h("h2", null, heading, " ", h("span", { class: "pill" }, facts)), h("span", { class: "muted mono" }, m.path)),
    Object.keys(m.metrics).length ? metricsTable(m) : h("p", { class: "muted" }, "No metrics."),
    plots.length ? [h("h3", { class: "subhead" }, `Plots (${plots.length})`), thumbnailGrid(plots, { className: "eval-plots" })] : null,
    m.tables.map((path) => tableSection(runId, path)),
  );
}

// The run page's Evaluation panel; filled once the manifests arrive.
export function evaluationPanel(runId, run) {
  const el = h("div", { class: "evaluations" }, h("p", { class: "muted" }, "Loading evaluations…"));
  loadEvaluations(runId, run).then((entries) => {
    clear(el);
    if (!entries.length) el.appendChild(h("p", { class: "muted" }, "No evaluations."));
    entries.forEach((entry, i) => el.appendChild(evaluationCard(runId, entry, i, entries.length)));
  });
  return el;
}
