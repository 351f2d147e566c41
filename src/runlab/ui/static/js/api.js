// Client of the tracking server's JSON API (MLflow-compatible, plus runlab's own endpoints).
// The requests prefetch.js may start early are declared in requests.js (a plain script that
// index.html runs first), and made here from those declarations.

export const requests = globalThis.runlabRequests;
if (!requests) throw new Error("js/requests.js must run before the app's modules");
const { MLFLOW, query } = requests;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  // The search language reports "... at position N"; the filter box points at it.
  get position() {
    const found = /at position (\d+)/.exec(this.message);
    return found ? Number(found[1]) : null;
  }
}

// A server run with --auth answers 401 to a browser without a session: the UI sends it to
// the sign-in page, which comes back to this same view afterwards. Only once, however many
// requests fail together.
let signingIn = false;
function signIn() {
  if (signingIn) return;
  signingIn = true;
  const here = `${location.pathname}${location.search}${location.hash}`;
  location.assign(`login?${new URLSearchParams({ next: here })}`);
}

async function request(method, url, body) {
  // X-Requested-With: the server then leaves out its Basic challenge, which would open the
  // browser's own password prompt over the page.
  const init = { method, headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    // prefetch.js may have started this very request while the modules loaded.
    const early = window.runlabPrefetched && window.runlabPrefetched(method, url, init.body);
    response = await (early || fetch(url, init));
  } catch (err) {
    throw new ApiError(0, "NETWORK", `the server cannot be reached (${err.message})`);
  }
  const text = await response.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 300) };
    }
  }
  if (response.status === 401) signIn();
  if (!response.ok) {
    throw new ApiError(response.status, data.error_code || "ERROR", data.message || response.statusText);
  }
  return data;
}

// A request as requests.js declares it: {method, url, body}.
const send = ({ method, url, body }) => request(method, url, body);

export const get = (path, params = {}) => request("GET", `${MLFLOW}${path}?${query(params)}`);
export const post = (path, body = {}) => request("POST", `${MLFLOW}${path}`, body);
const patch = (path, body) => request("PATCH", `${MLFLOW}${path}`, body);
const remove = (path, body) => request("DELETE", `${MLFLOW}${path}`, body);

export const api = {
  searchExperiments: (body) => post("experiments/search", body),
  createExperiment: (name) => post("experiments/create", { name }),
  renameExperiment: (id, name) => post("experiments/update", { experiment_id: id, new_name: name }),
  deleteExperiment: (id) => post("experiments/delete", { experiment_id: id }),
  restoreExperiment: (id) => post("experiments/restore", { experiment_id: id }),
  getExperiment: (id) => send(requests.getExperiment(id)).then((d) => d.experiment),
  searchRuns: (body) => send(requests.searchRuns(body)),
  getRun: (id) => send(requests.getRun(id)).then((d) => d.run),
  setTag: (runId, key, value) => post("runs/set-tag", { run_id: runId, key, value }),
  deleteTag: (runId, key) => post("runs/delete-tag", { run_id: runId, key }),
  listArtifacts: (runId, path) => get("artifacts/list", { run_id: runId, path }),
  countRuns: (body) => send(requests.countRuns(body)).then((d) => Number(d.count)),
  groupRuns: (body) => send(requests.groupRuns(body)),
  // {step: [], timestamp: [], value: []}: three arrays, a third of the bytes of objects.
  downsampled: (runId, key, xAxis, maxPoints = requests.CHART_POINTS) => send(requests.downsampled(runId, key, xAxis, maxPoints)),
  // The charts workspace: many runs' series of some keys, and what is new since a step.
  downsampledBatch: (body) => request("POST", `${requests.RUNLAB}metrics/downsampled/batch`, body),
  metricUpdates: (body) => request("POST", `${requests.RUNLAB}metrics/updates`, body),
  artifactUrl: (runId, path) => `${requests.RUNLAB}artifacts/get?${query({ run_id: runId, path })}`,

  // Model registry. Version numbers travel as strings, as in MLflow's protocol.
  searchModels: (params) => get("registered-models/search", params),
  getModel: (name) => get("registered-models/get", { name }).then((d) => d.registered_model),
  createModel: (name, description) => post("registered-models/create", { name, description: description || undefined }).then((d) => d.registered_model),
  renameModel: (name, newName) => post("registered-models/rename", { name, new_name: newName }).then((d) => d.registered_model),
  updateModel: (name, description) => patch("registered-models/update", { name, description }).then((d) => d.registered_model),
  deleteModel: (name) => remove("registered-models/delete", { name }),
  setModelTag: (name, key, value) => post("registered-models/set-tag", { name, key, value }),
  deleteModelTag: (name, key) => remove("registered-models/delete-tag", { name, key }),
  setAlias: (name, alias, version) => post("registered-models/alias", { name, alias, version: String(version) }),
  deleteAlias: (name, alias) => remove("registered-models/alias", { name, alias }),
  searchVersions: (params) => get("model-versions/search", params),
  getVersion: (name, version) => get("model-versions/get", { name, version }).then((d) => d.model_version),
  updateVersion: (name, version, description) => patch("model-versions/update", { name, version: String(version), description }).then((d) => d.model_version),
  transitionStage: (name, version, stage, archiveExisting) =>
    post("model-versions/transition-stage", { name, version: String(version), stage, archive_existing_versions: Boolean(archiveExisting) }).then((d) => d.model_version),
  setVersionTag: (name, version, key, value) => post("model-versions/set-tag", { name, version: String(version), key, value }),
  deleteVersionTag: (name, version, key) => remove("model-versions/delete-tag", { name, version: String(version), key }),
  getLoggedModel: (id) => get(`logged-models/${encodeURIComponent(id)}`, {}).then((d) => d.model),
  stageHistory: (name, version) => get("model-versions/stage-history", { name, version }).then((d) => d.transitions || []),
};

// Registry tags come as [{key, value}] lists.
export function tagList(entity) {
  const out = {};
  for (const t of (entity && entity.tags) || []) out[t.key] = t.value;
  return out;
}

// Tag list -> object, and the well-known system tags.
export function tagMap(run) {
  const out = {};
  for (const t of (run.data && run.data.tags) || []) out[t.key] = t.value;
  return out;
}
export function paramMap(run) {
  const out = {};
  for (const p of (run.data && run.data.params) || []) out[p.key] = p.value;
  return out;
}
export function metricMap(run) {
  const out = {};
  for (const m of (run.data && run.data.metrics) || []) out[m.key] = m;
  return out;
}
