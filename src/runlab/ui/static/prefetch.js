// Starts the first data requests of the page in the URL while the app's modules are still
// loading, so the answers are on their way (or there) when the view asks. api.js takes
// each answer at most once, in place of the identical request it was about to make; one
// not taken within a few seconds is dropped. Run before the parser goes on, right after
// js/requests.js: its requests go out before the module files take up the connections.
//
// Each request is built by js/requests.js from the URL's state, as the views build theirs
// through api.js, so the two cannot differ; this file only chooses which requests a page
// makes first: the runs table's first page, count and experiment names; a run, its
// experiment and the first charts; the comparison's one search.
(function () {
  "use strict";
  var R = window.runlabRequests;
  var KEEP_MS = 10000;
  var FIRST_CHARTS = 4; // a chart loads when it scrolls into view: the first screen holds few
  var started = {};
  var asked = {}; // requests the app made itself: not started here any more

  function keyOf(method, url, body) {
    return method + " " + new URL(url, location.href).href + " " + (body || "");
  }

  // Starts a request as requests.js declares it ({method, url, body}).
  function start(request) {
    var init = { method: request.method, headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" } };
    if (request.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(request.body);
    }
    var key = keyOf(request.method, request.url, init.body);
    if (asked[key]) return null;
    var promise = fetch(request.url, init);
    started[key] = { promise: promise, at: Date.now() };
    prefetched.started++;
    return promise;
  }

  // The answer (a Response promise) to a request started here, or null. Counts the
  // requests started and the answers taken, for tests and for a look from the console.
  function prefetched(method, url, body) {
    var key = keyOf(method, url, body);
    var hit = started[key];
    asked[key] = true;
    delete started[key];
    if (!hit || Date.now() - hit.at >= KEEP_MS) return null;
    prefetched.taken++;
    return hit.promise;
  }
  prefetched.started = 0;
  prefetched.taken = 0;
  window.runlabPrefetched = prefetched;
  window.addEventListener("hashchange", function () {
    started = {};
  });

  function json(promise) {
    if (!promise) return Promise.resolve(null);
    return promise.then(function (response) {
      return response.ok ? response.clone().json() : null;
    });
  }

  // As runs.js: the first page of runs and the count, with the URL's filter and sort.
  function runsPage(params) {
    var state = R.runsQuery(params);
    if (!params.get("g")) {
      // (Grouped runs: the view asks for its groups instead.)
      start(R.searchRuns(R.runsSearchBody(state, { max_results: R.RUNS_FIRST_PAGE })));
      start(R.countRuns(R.runsSearchBody(state)));
    }
    state.experimentIds.forEach(function (id) {
      start(R.getExperiment(id));
    });
  }

  // As run.js and charts.js: the run, then its experiment and the charts on the first screen.
  function runPage(runId, params) {
    json(start(R.getRun(runId)))
      .then(function (data) {
        var run = data && data.run;
        if (!run) return;
        start(R.getExperiment(run.info.experiment_id));
        if (params.get("tab") !== "charts") return;
        preloadModule("vendor/uPlot.esm.js");
        var keys = {};
        ((run.data && run.data.metrics) || []).forEach(function (m) {
          keys[m.key] = true;
        });
        Object.keys(keys)
          .sort()
          .slice(0, FIRST_CHARTS)
          .forEach(function (key) {
            start(R.downsampled(runId, key, "step", R.CHART_POINTS));
          });
      })
      .catch(function () {});
  }

  // As compare.js: one search for the runs, over the experiments in the URL.
  // MLflow's JSON lists (runs=["a","b"]), as state.js jsonList reads them.
  function jsonList(params, key) {
    var raw = params.get(key);
    if (!raw) return [];
    try {
      var value = JSON.parse(raw);
      return (Array.isArray(value) ? value : [value]).map(String).filter(Boolean);
    } catch (err) {
      return raw.split(",").filter(Boolean);
    }
  }

  function comparePage(params) {
    var ids = jsonList(params, "runs");
    var experiments = jsonList(params, "experiments");
    if (!ids.length || !experiments.length) return;
    start(R.searchRuns(R.compareSearchBody(ids, experiments)));
  }

  function preloadModule(href) {
    var link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.appendChild(link);
  }

  try {
    var raw = location.hash.replace(/^#/, "") || "/";
    var path = raw.split("?")[0];
    var params = new URLSearchParams(raw.split("?")[1] || "");
    var parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    // The addresses of app.js's routes (MLflow's shapes; #/runs for several experiments).
    var experiment = parts[0] === "experiments" && parts.length >= 2;
    if (experiment && parts.length === 2) params.set("e", parts[1]);
    if (path === "/runs" || (experiment && parts.length === 2)) runsPage(params);
    else if (experiment && parts[2] === "runs" && parts.length >= 4) {
      if (parts[4] === "model-metrics" || parts[4] === "system-metrics") params.set("tab", "charts");
      runPage(parts[3], params);
    } else if (parts[0] === "run" && parts.length === 2) runPage(parts[1], params);
    else if (path === "/compare-runs") comparePage(params);
  } catch (err) {
    /* the views make their own requests */
  }
})();
