// Pieces shared by the model registry pages: links, stage badges, alias pills, reading a
// model's versions.

import { api } from "./api.js";
import { h } from "./dom.js";
import { quoteString } from "./state.js";

export const STAGES = ["None", "Staging", "Production", "Archived"];

// A model name may hold any character but '/' and ':', so it travels encoded in the hash.
export const modelHash = (name) => `#/models/${encodeURIComponent(name)}`;
export const versionHash = (name, version) => `${modelHash(name)}/versions/${encodeURIComponent(String(version))}`;

export function stageBadge(stage) {
  const s = stage || "None";
  return h("span", { class: `stage stage-${s.toLowerCase()}`, title: `Stage: ${s}` }, s);
}

export function aliasPill(name, alias, version) {
  return h(
    "a",
    { class: "alias", href: versionHash(name, version), title: `@${alias} is version ${version}` },
    `@${alias}`,
    version !== undefined ? h("span", { class: "alias-version" }, ` v${version}`) : null,
  );
}

// Nodes with a space between each two.
export function joined(nodes) {
  const out = [];
  nodes.forEach((node, i) => {
    if (i) out.push(" ");
    out.push(node);
  });
  return out;
}

const MAX_VERSIONS = 10_000;

// Every version of a model, newest first.
export async function modelVersions(name) {
  const versions = [];
  let token;
  do {
    const page = await api.searchVersions({
      filter: `name = ${quoteString(name)}`,
      order_by: ["version_number DESC"],
      max_results: 1000,
      page_token: token,
    });
    versions.push(...(page.model_versions || []));
    token = page.next_page_token;
  } while (token && versions.length < MAX_VERSIONS);
  return versions;
}

// The MLflow 3 logged model page, at the address MLflow's UI gives it.
export const loggedModelHash = (experimentId, modelId) => `#/experiments/${encodeURIComponent(experimentId)}/models/${encodeURIComponent(modelId)}`;

// A link to the run a version came from, showing the run's name once it is read.
export function runLink(runId, names) {
  if (!runId) return h("span", { class: "muted" }, "—");
  const link = h("a", { href: `#/run/${encodeURIComponent(runId)}`, class: "run-link mono", title: runId }, runId.slice(0, 8));
  const known = names.get(runId);
  const show = (run) => {
    if (run && run.info.run_name) {
      link.textContent = run.info.run_name;
      link.classList.remove("mono");
    }
  };
  if (known) known.then(show, () => {});
  else {
    const pending = api.getRun(runId);
    names.set(runId, pending);
    pending.then(show, () => {});
  }
  return link;
}
