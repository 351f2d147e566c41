// Compare runs: params side by side (differences highlighted), latest metrics, overlaid
// metric charts, a scatter of any param or metric against a metric, parallel coordinates,
// and the runs' evaluations side by side.

import { api, metricMap, paramMap, requests } from "../api.js";
import { chartGrid } from "../chart_grid.js";
import { runColor } from "../charts.js";
import { clear, h } from "../dom.js";
import { formatNumber } from "../format.js";
import { parallelCoordinates, scatterPlot } from "../plots.js";
import { compareHash, experimentHash, jsonList, replaceHash, runHash } from "../state.js";
import { evaluationCompare } from "./compare_eval.js";

// One search when the experiments are known (the runs table links here with them); runs it
// did not find, and links without experiments, are read one by one.
async function loadRuns(ids, experimentIds) {
  const found = new Map();
  if (experimentIds.length) {
    try {
      const page = await api.searchRuns(requests.compareSearchBody(ids, experimentIds));
      for (const run of page.runs || []) found.set(run.info.run_id, run);
    } catch {
      /* fall back to reading each run */
    }
  }
  return Promise.all(ids.map((id) => found.get(id) || api.getRun(id).catch(() => null)));
}

export async function compareView(ctx) {
  const { main, route } = ctx;
  const ids = jsonList(route.params, "runs");
  const experimentIds = jsonList(route.params, "experiments");
  const section = h("section", { class: "page page-wide" });
  main.appendChild(section);
  section.appendChild(
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/" }, "Experiments"),
      " / ",
      experimentIds.length ? [h("a", { href: experimentHash(experimentIds, { sel: ids }) }, "Runs"), " / "] : null,
      h("span", null, "Compare"),
    ),
  );
  section.appendChild(h("div", { class: "page-head" }, h("h1", null, `Comparing ${ids.length} runs`)));
  if (!ids.length) {
    section.appendChild(h("p", null, "No runs selected. Pick runs with the checkboxes of a runs table."));
    return;
  }
  const results = await loadRuns(ids, experimentIds);
  if (!ctx.alive()) return;
  const runs = results.filter(Boolean);
  const missing = ids.length - runs.length;
  if (missing) section.appendChild(h("p", { class: "error-box", role: "alert" }, `${missing} of the selected runs could not be loaded.`));
  const labels = runs.map((r) => r.info.run_name || r.info.run_id);
  const colors = runs.map((_, i) => runColor(i));
  const params = runs.map(paramMap);
  const metrics = runs.map(metricMap);
  const paramKeys = [...new Set(params.flatMap(Object.keys))].sort();
  const metricKeys = [...new Set(metrics.flatMap(Object.keys))].sort();

  const runHeader = () =>
    h(
      "tr",
      null,
      h("th", { scope: "col" }, "Key"),
      runs.map((r, i) => h("th", { scope: "col" }, h("span", { class: "swatch", style: { background: colors[i] }, "aria-hidden": "true" }), h("a", { href: runHash(r.info.experiment_id, r.info.run_id) }, labels[i]))),
    );

  // ---------------------------------------------------------------- params
  const onlyDiff = h("input", { type: "checkbox", checked: route.params.get("diff") === "1" });
  const paramBody = h("tbody");
  function drawParams() {
    clear(paramBody);
    for (const key of paramKeys) {
      const values = params.map((p) => p[key]);
      const differs = new Set(values.map((v) => (v === undefined ? "\u0000missing" : v))).size > 1;
      if (onlyDiff.checked && !differs) continue;
      paramBody.appendChild(
        h(
          "tr",
          { class: differs ? "differs" : "" },
          h("th", { scope: "row" }, key, differs ? h("span", { class: "sr-only" }, " (values differ)") : null),
          values.map((v) => h("td", { class: v === undefined ? "muted mono" : "mono" }, v === undefined ? "—" : v)),
        ),
      );
    }
    if (!paramBody.childNodes.length) paramBody.appendChild(h("tr", null, h("td", { colspan: runs.length + 1, class: "muted" }, onlyDiff.checked ? "All params are equal." : "No params logged.")));
    replaceHash(compareHash(ids, experimentIds, { diff: onlyDiff.checked ? "1" : "" }));
  }
  onlyDiff.addEventListener("change", drawParams);
  drawParams();
  section.appendChild(
    h(
      "div",
      { class: "card" },
      h("div", { class: "card-head" }, h("h2", null, `Parameters (${paramKeys.length})`), h("label", null, onlyDiff, " Only differing")),
      h("div", { class: "table-wrap" }, h("table", { class: "table compare-table params-compare" }, h("thead", null, runHeader()), paramBody)),
    ),
  );

  // ---------------------------------------------------------------- metrics
  section.appendChild(
    h(
      "div",
      { class: "card" },
      h("h2", null, `Latest metrics (${metricKeys.length})`),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table compare-table" },
          h("thead", null, runHeader()),
          h(
            "tbody",
            null,
            metricKeys.map((key) => {
              const values = metrics.map((m) => (m[key] ? Number(m[key].value) : null));
              const present = values.filter((v) => v !== null && Number.isFinite(v));
              const best = present.length > 1 ? Math.max(...present) : null;
              const worst = present.length > 1 ? Math.min(...present) : null;
              return h(
                "tr",
                null,
                h("th", { scope: "row" }, key),
                values.map((v) => h("td", { class: `num${v === best && best !== worst ? " hi" : ""}${v === worst && best !== worst ? " lo" : ""}` }, v === null ? "—" : formatNumber(v))),
              );
            }),
          ),
        ),
      ),
    ),
  );

  const evaluations = evaluationCompare(runs, labels, runHeader);
  if (evaluations) section.appendChild(evaluations);

  // The tables show in this frame; the plots and charts below are built in the next one.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  if (!ctx.alive()) return;

  // ---------------------------------------------------------------- scatter
  const choices = [...paramKeys.map((k) => ["p", k]), ...metricKeys.map((k) => ["m", k])];
  const option = ([kind, key], selected) => h("option", { value: `${kind}.${key}`, selected }, `${kind === "p" ? "param" : "metric"}: ${key}`);
  // Default x: the first param whose values differ between the runs.
  const differing = paramKeys.find((k) => new Set(params.map((p) => p[k])).size > 1);
  const xDefault = differing ? `p.${differing}` : choices.length ? `${choices[0][0]}.${choices[0][1]}` : "";
  const xSelect = h("select", { "aria-label": "Scatter x axis" }, choices.map((c) => option(c, `${c[0]}.${c[1]}` === xDefault)));
  const ySelect = h("select", { "aria-label": "Scatter y axis" }, metricKeys.map((k, i) => option(["m", k], i === 0)));
  const scatterBox = h("div", { class: "plot-box" });
  const valueOf = (id, r) => {
    const kind = id[0];
    const key = id.slice(2);
    if (kind === "p") return params[r][key];
    return metrics[r][key] ? Number(metrics[r][key].value) : null;
  };
  function drawScatter() {
    clear(scatterBox);
    if (!choices.length || !metricKeys.length) {
      scatterBox.appendChild(h("p", { class: "muted" }, "Needs at least one metric."));
      return;
    }
    const points = runs.map((_, r) => ({ label: labels[r], color: colors[r], x: valueOf(xSelect.value, r), y: valueOf(ySelect.value, r) }));
    scatterBox.appendChild(scatterPlot(points, xSelect.value.slice(2), ySelect.value.slice(2)));
  }
  xSelect.addEventListener("change", drawScatter);
  ySelect.addEventListener("change", drawScatter);
  drawScatter();

  // ---------------------------------------------------------------- parallel coordinates
  const dimBoxes = choices.map(([kind, key], i) =>
    h("label", { class: "check-option" }, h("input", { type: "checkbox", value: `${kind}.${key}`, checked: i < 6 || (kind === "m" && i < paramKeys.length + 2) }), `${kind === "p" ? "param" : "metric"}: ${key}`),
  );
  const pcBox = h("div", { class: "plot-box" });
  function drawParallel() {
    clear(pcBox);
    const dims = dimBoxes
      .map((l) => l.querySelector("input"))
      .filter((b) => b.checked)
      .map((b) => ({ label: b.value.slice(2), values: runs.map((_, r) => valueOf(b.value, r)) }));
    if (dims.length < 2) {
      pcBox.appendChild(h("p", { class: "muted" }, "Pick at least two dimensions."));
      return;
    }
    pcBox.appendChild(parallelCoordinates(dims, runs.map((_, r) => ({ label: labels[r], color: colors[r] }))));
  }
  for (const l of dimBoxes) l.querySelector("input").addEventListener("change", drawParallel);
  drawParallel();

  section.appendChild(
    h(
      "div",
      { class: "overview-grid" },
      h("div", { class: "card" }, h("h2", null, "Scatter"), h("div", { class: "toolbar" }, h("label", null, "X ", xSelect), h("label", null, "Y ", ySelect)), scatterBox),
      h("div", { class: "card" }, h("h2", null, "Parallel coordinates"), h("details", null, h("summary", null, "Dimensions"), h("div", { class: "dims" }, dimBoxes)), pcBox),
    ),
  );

  // ---------------------------------------------------------------- charts
  const grid = chartGrid(
    metricKeys,
    runs.map((r, i) => ({ run_id: r.info.run_id, name: labels[i], start_time: r.info.start_time, color: colors[i] })),
    { isLive: () => runs.some((r) => r.info.status === "RUNNING") },
  );
  section.appendChild(h("div", { class: "card" }, h("h2", null, "Metric charts"), grid.el));
  ctx.onCleanup(() => grid.destroy());
}
