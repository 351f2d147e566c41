// One run: overview (status, duration, user, source, commit, re-run command, parent and
// children, description), params and latest metrics, evaluations (when the run has any),
// charts, editable tags, datasets, artifacts.

import { api, metricMap, paramMap, tagMap } from "../api.js";
import { evaluationPaths } from "../artifact_data.js";
import { chartGrid } from "../chart_grid.js";
import { runColor } from "../charts.js";
import { clear, h } from "../dom.js";
import { descriptionCard, tagsCard } from "../editable.js";
import { evaluationPanel } from "../evaluation.js";
import { formatDuration, formatNumber, formatTime, runDuration, runStatusBadge, runStatusDetail } from "../format.js";
import { stageBadge, versionHash } from "../registry.js";
import { experimentHash, quoteString, replaceHash, runHash } from "../state.js";
import { runPlace } from "../mlflow_urls.js";
import { artifactsPanel } from "./run_artifacts.js";
import { datasetsPanel } from "./run_datasets.js";
import { sourceFields } from "./run_source.js";

const ALL_TABS = [
  ["overview", "Overview"],
  ["evaluation", "Evaluation"],
  ["charts", "Charts"],
  ["tags", "Tags"],
  ["datasets", "Datasets"],
  ["artifacts", "Artifacts"],
];
const NOTE = "mlflow.note.content";
const PARENT = "mlflow.parentRunId";

export async function runView(ctx) {
  const { main, route } = ctx;
  // #/experiments/E/runs/R/TAB/PATH, or the earlier #/run/R?tab=TAB&path=PATH.
  const legacy = route.parts[0] === "run";
  const runId = legacy ? route.parts[1] : route.parts[3];
  const place = legacy ? { tab: route.params.get("tab") || "overview", path: route.params.get("path") || "" } : runPlace(route.parts);
  let run = await api.getRun(runId);
  if (!ctx.alive()) return;
  // The Evaluation tab shows only for a run that names evaluations.
  const TABS = ALL_TABS.filter(([id]) => id !== "evaluation" || evaluationPaths(run).length);
  let tab = TABS.some(([id]) => id === place.tab) ? place.tab : "overview";
  const here = (id, path = "") => runHash(run.info.experiment_id, runId, id, path);
  // The earlier address, or one naming another experiment, becomes the run's own in place.
  if (legacy || route.parts[1] !== run.info.experiment_id) replaceHash(here(tab, place.path));
  const experiment = await api.getExperiment(run.info.experiment_id).catch(() => null);
  if (!ctx.alive()) return;

  const statusSlot = h("span");
  const title = h("h1", { class: "run-title" });
  const panel = h("div", { class: "tab-panel", role: "tabpanel", tabindex: "0" });
  const tabButtons = TABS.map(([id, label]) =>
    h("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": "run-panel", onclick: () => select(id), onkeydown: tabKeys }, label),
  );
  panel.id = "run-panel";
  main.appendChild(
    h(
      "section",
      { class: "page" },
      h(
        "nav",
        { class: "crumbs", "aria-label": "Breadcrumb" },
        h("a", { href: "#/" }, "Experiments"),
        " / ",
        h("a", { href: experimentHash([run.info.experiment_id]) }, experiment ? experiment.name : `#${run.info.experiment_id}`),
        " / ",
        h("span", null, run.info.run_name || runId),
      ),
      h("div", { class: "page-head" }, title, statusSlot),
      h("div", { class: "tabs", role: "tablist", "aria-label": "Run sections" }, tabButtons),
      panel,
    ),
  );

  let destroyPanel = null;
  ctx.onCleanup(() => destroyPanel && destroyPanel());

  function header() {
    clear(title).appendChild(document.createTextNode(run.info.run_name || runId));
    clear(statusSlot).appendChild(runStatusBadge(run));
    document.title = `${run.info.run_name || runId} · runlab`;
  }

  function tabKeys(event) {
    const index = TABS.findIndex(([id]) => id === tab);
    let next = null;
    if (event.key === "ArrowRight") next = (index + 1) % TABS.length;
    if (event.key === "ArrowLeft") next = (index - 1 + TABS.length) % TABS.length;
    if (next !== null) {
      event.preventDefault();
      select(TABS[next][0]);
      tabButtons[next].focus();
    }
  }

  function select(id) {
    tab = id;
    // The artifacts tab keeps the file in its address (its view puts it there).
    if (!(id === "artifacts" && location.hash.startsWith(here("artifacts")))) replaceHash(here(id));
    TABS.forEach(([tid], i) => {
      tabButtons[i].setAttribute("aria-selected", String(tid === id));
      tabButtons[i].tabIndex = tid === id ? 0 : -1;
    });
    panel.setAttribute("aria-labelledby", `tab-${id}`);
    if (destroyPanel) destroyPanel();
    destroyPanel = null;
    clear(panel);
    const render = { overview, evaluation, charts, tags, datasets, artifacts }[id];
    destroyPanel = render() || null;
  }

  // ---------------------------------------------------------------- overview
  function overview() {
    const info = run.info;
    const tagsNow = tagMap(run);
    const parentId = tagsNow[PARENT];
    const parentCell = h("span", null, parentId ? h("a", { href: `#/run/${encodeURIComponent(parentId)}` }, parentId) : "—");
    if (parentId) {
      api.getRun(parentId).then((p) => {
        clear(parentCell).appendChild(h("a", { href: runHash(p.info.experiment_id, parentId) }, p.info.run_name || parentId));
      }, () => {});
    }
    const childrenCell = h("span", { class: "muted" }, "…");
    api
      .searchRuns({ experiment_ids: [info.experiment_id], filter: `tags.\`${PARENT}\` = ${quoteString(runId)}`, max_results: 100 })
      .then((data) => {
        const kids = data.runs || [];
        clear(childrenCell);
        childrenCell.className = "";
        if (!kids.length) childrenCell.appendChild(document.createTextNode("—"));
        kids.forEach((kid, i) => {
          if (i) childrenCell.appendChild(document.createTextNode(", "));
          childrenCell.appendChild(h("a", { href: runHash(kid.info.experiment_id, kid.info.run_id) }, kid.info.run_name || kid.info.run_id));
        });
        if (data.next_page_token) childrenCell.appendChild(document.createTextNode(" and more"));
      })
      .catch(() => (childrenCell.textContent = "—"));
    // Lineage: the registered model versions made from this run.
    const versionsCell = h("span", { class: "muted registered-versions" }, "…");
    api
      .searchVersions({ filter: `run_id = ${quoteString(runId)}`, order_by: ["name ASC", "version_number ASC"], max_results: 100 })
      .then((data) => {
        const found = data.model_versions || [];
        clear(versionsCell);
        versionsCell.classList.remove("muted");
        if (!found.length) versionsCell.appendChild(document.createTextNode("—"));
        found.forEach((v, i) => {
          if (i) versionsCell.appendChild(document.createTextNode(", "));
          versionsCell.appendChild(h("a", { href: versionHash(v.name, v.version) }, `${v.name} version ${v.version}`));
          if (v.current_stage && v.current_stage !== "None") versionsCell.append(" ", stageBadge(v.current_stage));
        });
        if (data.next_page_token) versionsCell.appendChild(document.createTextNode(" and more"));
      })
      .catch(() => (versionsCell.textContent = "—"));
    const fields = [
      ["Run ID", h("span", { class: "mono" }, info.run_id)],
      ["Status", runStatusDetail(run)],
      ["Started", formatTime(info.start_time)],
      ["Ended", formatTime(info.end_time) || "—"],
      ["Duration", formatDuration(runDuration(info)) || "—"],
      ["User", info.user_id || "—"],
      ...sourceFields(run, tagsNow),
      ["Parent run", parentCell],
      ["Child runs", childrenCell],
      ["Registered as", versionsCell],
      ["Artifact URI", h("span", { class: "mono" }, info.artifact_uri || "")],
    ];
    const details = h("dl", { class: "details" }, fields.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
    panel.appendChild(h("div", { class: "overview-grid" }, h("div", { class: "card" }, h("h2", null, "Details"), details), description()));
    panel.appendChild(h("div", { class: "overview-grid" }, paramsCard(), metricsCard()));
  }

  function description() {
    return descriptionCard({
      text: tagMap(run)[NOTE],
      save: async (text) => {
        await api.setTag(runId, NOTE, text);
        run = await api.getRun(runId);
        return tagMap(run)[NOTE];
      },
    });
  }

  function paramsCard() {
    const params = Object.entries(paramMap(run)).sort(([a], [b]) => a.localeCompare(b));
    return h(
      "div",
      { class: "card" },
      h("h2", null, `Parameters (${params.length})`),
      params.length
        ? h("table", { class: "table kv" }, h("tbody", null, params.map(([k, v]) => h("tr", null, h("th", { scope: "row" }, k), h("td", { class: "mono" }, v)))))
        : h("p", { class: "muted" }, "None."),
    );
  }

  function metricsCard() {
    const metrics = Object.values(metricMap(run)).sort((a, b) => a.key.localeCompare(b.key));
    return h(
      "div",
      { class: "card" },
      h("h2", null, `Metrics (${metrics.length})`),
      metrics.length
        ? h(
            "table",
            { class: "table kv" },
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Key"), h("th", { scope: "col", class: "num" }, "Latest"), h("th", { scope: "col", class: "num" }, "Step"))),
            h(
              "tbody",
              null,
              metrics.map((m) =>
                h(
                  "tr",
                  null,
                  h("th", { scope: "row" }, h("a", { href: here("charts"), onclick: (e) => (e.preventDefault(), select("charts")) }, m.key)),
                  h("td", { class: "num", title: String(m.value) }, formatNumber(m.value)),
                  h("td", { class: "num" }, String(m.step)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "None."),
    );
  }

  // ---------------------------------------------------------------- charts
  function charts() {
    const keys = Object.keys(metricMap(run)).sort();
    const grid = chartGrid(keys, [{ run_id: runId, name: run.info.run_name || runId, start_time: run.info.start_time, color: runColor(0) }], {
      isLive: () => run.info.status === "RUNNING",
    });
    panel.appendChild(grid.el);
    return () => grid.destroy();
  }

  // ---------------------------------------------------------------- tags
  function tags() {
    const refresh = async () => {
      run = await api.getRun(runId);
      return tagMap(run);
    };
    panel.appendChild(
      tagsCard({
        tags: tagMap(run),
        set: async (key, value) => {
          await api.setTag(runId, key, value);
          return refresh();
        },
        remove: async (key) => {
          await api.deleteTag(runId, key);
          return refresh();
        },
      }),
    );
  }

  // ---------------------------------------------------------------- evaluation, datasets, artifacts
  function evaluation() {
    panel.appendChild(evaluationPanel(runId, run));
  }

  function datasets() {
    panel.append(...datasetsPanel(run));
  }

  function artifacts() {
    panel.append(...artifactsPanel(runId, run, place.path).filter(Boolean));
  }

  header();
  select(tab);

  // Live: a running run refreshes its header (and its charts poll on their own).
  const timer = setInterval(async () => {
    if (run.info.status !== "RUNNING") return;
    try {
      const fresh = await api.getRun(runId);
      if (!ctx.alive()) return;
      const changed = fresh.info.status !== run.info.status;
      run = fresh;
      header();
      if (changed && tab === "overview") select("overview");
    } catch {
      /* try again at the next tick */
    }
  }, 5000);
  ctx.onCleanup(() => clearInterval(timer));
}
