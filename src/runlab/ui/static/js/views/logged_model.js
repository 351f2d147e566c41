// One MLflow 3 logged model, at MLflow's address for it (#/experiments/E/models/M): where it
// came from (experiment, run), its status, params and tags, and the registered versions
// made from it (its mlflow.modelVersions tag).

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatTime } from "../format.js";
import { runLink, versionHash } from "../registry.js";
import { experimentHash } from "../state.js";

const VERSIONS_TAG = "mlflow.modelVersions";

function pairs(list) {
  const out = {};
  for (const item of list || []) out[item.key] = item.value;
  return out;
}

function registered(tags) {
  try {
    const listed = JSON.parse(tags[VERSIONS_TAG] || "[]");
    return Array.isArray(listed) ? listed.filter((v) => v && v.name && v.version !== undefined) : [];
  } catch {
    return [];
  }
}

function kvTable(label, values) {
  const keys = Object.keys(values).sort();
  return h(
    "div",
    { class: "card" },
    h("h2", null, label),
    keys.length
      ? h("table", { class: "table kv" }, h("tbody", null, keys.map((k) => h("tr", null, h("th", { scope: "row" }, k), h("td", { class: "mono" }, values[k])))))
      : h("p", { class: "muted" }, `No ${label.toLowerCase()}.`),
  );
}

export async function loggedModelView(ctx) {
  const { main, route } = ctx;
  const modelId = route.parts[3];
  const model = await api.getLoggedModel(modelId);
  if (!ctx.alive()) return;
  const info = model.info;
  const experiment = await api.getExperiment(info.experiment_id).catch(() => null);
  if (!ctx.alive()) return;
  document.title = `${info.name || modelId} · runlab`;
  const tags = pairs(info.tags);
  const versions = registered(tags);
  delete tags[VERSIONS_TAG];
  const seen = new Set();
  const unique = versions.filter((v) => !seen.has(`${v.name}\u0000${v.version}`) && seen.add(`${v.name}\u0000${v.version}`));

  const fields = [
    ["Model id", h("span", { class: "mono" }, info.model_id)],
    ["Experiment", h("a", { href: experimentHash([info.experiment_id]) }, experiment ? experiment.name : `#${info.experiment_id}`)],
    ["Source run", runLink(info.source_run_id, new Map())],
    ["Status", info.status || "—"],
    ["Type", info.model_type || "—"],
    ["Artifact location", h("span", { class: "mono source-uri" }, info.artifact_uri || "—")],
    ["Created", formatTime(info.creation_timestamp_ms)],
    ["Registered as", unique.length ? unique.map((v, i) => [i ? ", " : null, h("a", { href: versionHash(v.name, v.version) }, `${v.name} v${v.version}`)]) : "—"],
  ];
  main.appendChild(
    h(
      "section",
      { class: "page" },
      h(
        "nav",
        { class: "crumbs", "aria-label": "Breadcrumb" },
        h("a", { href: "#/" }, "Experiments"),
        " / ",
        h("a", { href: experimentHash([info.experiment_id]) }, experiment ? experiment.name : `#${info.experiment_id}`),
        " / ",
        h("span", null, "Logged models"),
      ),
      h("div", { class: "page-head" }, h("h1", { class: "logged-model-title" }, info.name || modelId)),
      h("div", { class: "overview-grid" }, h("div", { class: "card" }, h("h2", null, "Details"), h("dl", { class: "details" }, fields.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)])))),
      h("div", { class: "overview-grid" }, kvTable("Params", pairs(model.data && model.data.params)), kvTable("Tags", tags)),
    ),
  );
}
