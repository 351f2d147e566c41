// Client of the tracking server's JSON API (MLflow-compatible, plus runlab's own endpoints).

const MLFLOW = "ajax-api/2.0/mlflow/";
const RUNLAB = "ajax-api/2.0/runlab/";

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

async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
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
  if (!response.ok) {
    throw new ApiError(response.status, data.error_code || "ERROR", data.message || response.statusText);
  }
  return data;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => search.append(key, v));
    else search.append(key, value);
  }
  return search.toString();
}

export const get = (path, params = {}) => request("GET", `${MLFLOW}${path}?${query(params)}`);
export const post = (path, body = {}) => request("POST", `${MLFLOW}${path}`, body);

export const api = {
  searchExperiments: (body) => post("experiments/search", body),
  createExperiment: (name) => post("experiments/create", { name }),
  renameExperiment: (id, name) => post("experiments/update", { experiment_id: id, new_name: name }),
  deleteExperiment: (id) => post("experiments/delete", { experiment_id: id }),
  restoreExperiment: (id) => post("experiments/restore", { experiment_id: id }),
  getExperiment: (id) => get("experiments/get", { experiment_id: id }).then((d) => d.experiment),
  searchRuns: (body) => post("runs/search", body),
  getRun: (id) => get("runs/get", { run_id: id }).then((d) => d.run),
  setTag: (runId, key, value) => post("runs/set-tag", { run_id: runId, key, value }),
  deleteTag: (runId, key) => post("runs/delete-tag", { run_id: runId, key }),
  listArtifacts: (runId, path) => get("artifacts/list", { run_id: runId, path }),
  countRuns: (body) => request("POST", `${RUNLAB}runs/count`, body).then((d) => Number(d.count)),
  // {step: [], timestamp: [], value: []}: three arrays, a third of the bytes of objects.
  downsampled: (runId, key, xAxis, maxPoints = 4000) =>
    request(
      "GET",
      `${RUNLAB}metrics/downsampled?${query({ run_id: runId, metric_key: key, x_axis: xAxis, max_points: maxPoints, format: "columns" })}`,
    ),
  artifactUrl: (runId, path) => `${RUNLAB}artifacts/get?${query({ run_id: runId, path })}`,
};

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
