// The compare page's evaluation section: for each dataset evaluated, the metrics of the
// compared runs side by side (one row per metric, the best value marked) and their plots
// side by side, one row per plot name.

import { baseName, evaluationPaths } from "../artifact_data.js";
import { clear, h } from "../dom.js";
import { lowerIsBetter, loadEvaluations } from "../evaluation.js";
import { formatNumber } from "../format.js";
import { thumbnail } from "../image_viewer.js";

// runs[i]'s evaluations grouped by dataset name: Map name -> (run index -> manifest); a
// run's later evaluation of a dataset replaces its earlier one.
function byDataset(evaluations) {
  const groups = new Map();
  evaluations.forEach((entries, r) => {
    for (const { manifest } of entries) {
      if (!manifest) continue;
      if (!groups.has(manifest.datasetName)) groups.set(manifest.datasetName, new Map());
      groups.get(manifest.datasetName).set(r, manifest);
    }
  });
  return groups;
}

// The index of the best of the values (null when fewer than two differ).
export function bestIndex(name, values) {
  const present = values.map((v, i) => [v, i]).filter(([v]) => typeof v === "number" && Number.isFinite(v));
  if (present.length < 2 || present.every(([v]) => v === present[0][0])) return null;
  const low = lowerIsBetter(name);
  return present.reduce((best, item) => ((low ? item[0] < best[0] : item[0] > best[0]) ? item : best))[1];
}

function metricsTable(group, runs, header) {
  const names = [];
  for (const m of group.values()) for (const name of Object.keys(m.metrics)) if (!names.includes(name)) names.push(name);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table compare-table eval-compare" },
      h("thead", null, header()),
      h(
        "tbody",
        null,
        names.map((name) => {
          const values = runs.map((_, r) => (group.has(r) ? group.get(r).metrics[name] : undefined));
          const best = bestIndex(name, values);
          return h(
            "tr",
            { "data-metric": name },
            h("th", { scope: "row" }, name, h("span", { class: "muted direction", title: lowerIsBetter(name) ? "lower is better" : "higher is better" }, lowerIsBetter(name) ? " ↓" : " ↑")),
            values.map((v, r) =>
              h("td", { class: `num${r === best ? " hi best" : ""}`, title: v === undefined ? "" : String(v) }, v === undefined ? "—" : formatNumber(v), r === best ? h("span", { class: "sr-only" }, " (best)") : null),
            ),
          );
        }),
      ),
    ),
  );
}

function plotsGrid(group, runs, labels) {
  const plotNames = [];
  for (const m of group.values()) for (const p of m.plots) if (!plotNames.includes(baseName(p))) plotNames.push(baseName(p));
  if (!plotNames.length) return null;
  const columns = { gridTemplateColumns: `repeat(${runs.length}, minmax(180px, 1fr))` };
  return h(
    "div",
    { class: "eval-plot-compare" },
    plotNames.map((plot) => {
      // One viewer per plot name: next and previous step through the runs.
      const cells = runs.map((run, r) => {
        const m = group.get(r);
        const path = m && m.plots.find((p) => baseName(p) === plot);
        return path ? { runId: run.info.run_id, path, label: `${labels[r]} · ${plot}`, caption: labels[r] } : null;
      });
      const items = cells.filter(Boolean);
      return h(
        "div",
        { class: "plot-row", "data-plot": plot },
        h("h3", { class: "subhead" }, plot),
        h("div", { class: "plot-cells", style: columns }, cells.map((cell, r) => h("div", { class: "plot-cell", "data-run": runs[r].info.run_id }, cell ? thumbnail(items, items.indexOf(cell)) : h("span", { class: "muted" }, `${labels[r]}: —`)))),
      );
    }),
  );
}

// A card for the runs' evaluations, or null when none has any.
export function evaluationCompare(runs, labels, header) {
  if (!runs.some((r) => evaluationPaths(r).length)) return null;
  const card = h("div", { class: "card eval-compare-card" }, h("h2", null, "Evaluation"), h("p", { class: "muted" }, "Loading evaluations…"));
  Promise.all(runs.map((r) => loadEvaluations(r.info.run_id, r))).then((evaluations) => {
    clear(card).appendChild(h("h2", null, "Evaluation"));
    const failed = evaluations.flat().filter((e) => e.error);
    for (const e of failed) card.appendChild(h("p", { class: "error-box" }, `Could not load ${e.path}: ${e.error}`));
    for (const [dataset, group] of byDataset(evaluations)) {
      card.appendChild(
        h(
          "section",
          { class: "eval-group", "data-dataset": dataset },
          h("h3", null, `Dataset: ${dataset}`),
          metricsTable(group, runs, header),
          plotsGrid(group, runs, labels),
        ),
      );
    }
  });
  return card;
}
