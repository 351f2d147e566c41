// The requests a page makes first, declared once: method, URL and JSON body, built from the
// same state. Both prefetch.js (which starts them before the modules arrive) and api.js
// (through which the views make them) build their requests here, so an early answer is
// always for the very request the view makes. A plain script, not a module: it runs before
// prefetch.js, ahead of the module files, and leaves its definitions on the window.
(function (root) {
  "use strict";
  const MLFLOW = "ajax-api/2.0/mlflow/";
  const RUNLAB = "ajax-api/2.0/runlab/";

  // A query string; empty values are left out, arrays repeat their key.
  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || value === "") continue;
      if (Array.isArray(value)) value.forEach((v) => search.append(key, v));
      else search.append(key, value);
    }
    return search.toString();
  }

  function listParam(params, key) {
    const value = params.get(key);
    return value ? value.split(",").filter(Boolean) : [];
  }

  const get = (url, params) => ({ method: "GET", url: `${url}?${query(params)}` });
  const post = (url, body) => ({ method: "POST", url, body });

  // "metrics.`acc` DESC" -> {key, desc}; null for no sort.
  function parseOrder(text) {
    if (!text) return null;
    const match = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(text.trim());
    return { key: match[1], desc: (match[2] || "ASC").toUpperCase() === "DESC" };
  }

  // The runs table's query as its URL states it: experiments, filter, sort, which runs.
  function runsQuery(params) {
    const experimentIds = listParam(params, "e");
    return {
      experimentIds: experimentIds.length ? experimentIds : ["0"],
      filter: params.get("q") || "",
      order: parseOrder(params.get("o")),
      view: params.get("view") || "ACTIVE_ONLY",
    };
  }

  // The body of the runs table's searches and count; `extra` adds paging or a group's filter.
  function runsSearchBody(state, extra = {}) {
    return {
      experiment_ids: state.experimentIds,
      filter: state.filter || undefined,
      run_view_type: state.view,
      order_by: state.order ? [`${state.order.key} ${state.order.desc ? "DESC" : "ASC"}`] : undefined,
      ...extra,
    };
  }

  // The comparison's one search for its runs, over the experiments in its URL.
  function compareSearchBody(ids, experimentIds) {
    const quoted = ids.map((id) => `'${id.replace(/'/g, "")}'`).join(", ");
    return { experiment_ids: experimentIds, filter: `attributes.run_id IN (${quoted})`, run_view_type: "ALL", max_results: ids.length };
  }

  root.runlabRequests = Object.freeze({
    MLFLOW,
    RUNLAB,
    query,
    listParam,
    parseOrder,
    runsQuery,
    runsSearchBody,
    compareSearchBody,
    RUNS_FIRST_PAGE: 100,
    CHART_POINTS: 4000,
    getExperiment: (id) => get(`${MLFLOW}experiments/get`, { experiment_id: id }),
    getRun: (id) => get(`${MLFLOW}runs/get`, { run_id: id }),
    searchRuns: (body) => post(`${MLFLOW}runs/search`, body),
    countRuns: (body) => post(`${RUNLAB}runs/count`, body),
    groupRuns: (body) => post(`${RUNLAB}runs/groups`, body),
    // {step: [], timestamp: [], value: []}: three arrays, a third of the bytes of objects.
    downsampled: (runId, key, xAxis, maxPoints) =>
      get(`${RUNLAB}metrics/downsampled`, { run_id: runId, metric_key: key, x_axis: xAxis, max_points: maxPoints, format: "columns" }),
  });
})(globalThis);
