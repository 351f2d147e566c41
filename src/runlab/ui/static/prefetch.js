// Starts the first data requests of the page in the URL while the app's modules are still
// loading, so the answers are on their way (or there) when the view asks. api.js takes
// each answer at most once, in place of the identical request it was about to make; one
// not taken within a few seconds is dropped. The first script of index.html, run before
// the parser goes on: its requests go out before the module files take up the connections.
//
// The requests must be exactly the views' own (same URL, same JSON body): runs.js (first
// page and count), run.js (the run, its experiment, the first charts), compare.js (its
// one search). tests/ui checks that each of those pages asks the server only once.
(function () {
  "use strict";
  var MLFLOW = "ajax-api/2.0/mlflow/";
  var RUNLAB = "ajax-api/2.0/runlab/";
  var KEEP_MS = 10000;
  var FIRST_CHARTS = 4; // a chart loads when it scrolls into view: the first screen holds few
  var started = {};
  var asked = {}; // requests the app made itself: not started here any more

  function keyOf(method, url, body) {
    return method + " " + new URL(url, location.href).href + " " + (body || "");
  }

  function start(method, url, body) {
    var init = { method: method, headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var key = keyOf(method, url, init.body);
    if (asked[key]) return null;
    var promise = fetch(url, init);
    started[key] = { promise: promise, at: Date.now() };
    return promise;
  }

  // The answer (a Response promise) to a request started here, or null. Counts the
  // answers taken, for tests and for a look from the console.
  function prefetched(method, url, body) {
    var key = keyOf(method, url, body);
    var hit = started[key];
    asked[key] = true;
    delete started[key];
    if (!hit || Date.now() - hit.at >= KEEP_MS) return null;
    prefetched.taken++;
    return hit.promise;
  }
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

  function list(params, name) {
    var value = params.get(name);
    return value ? value.split(",").filter(Boolean) : [];
  }

  function query(params) {
    return new URLSearchParams(params).toString();
  }

  // As runs.js: the first page of 100 runs and the count, with the URL's filter and sort.
  function runsPage(params) {
    var ids = list(params, "e");
    if (!ids.length) ids = ["0"];
    var body = { experiment_ids: ids };
    var filter = params.get("q");
    if (filter) body.filter = filter;
    body.run_view_type = params.get("view") || "ACTIVE_ONLY";
    var order = params.get("o");
    if (order) {
      var match = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(order.trim());
      body.order_by = [match[1] + " " + ((match[2] || "ASC").toUpperCase() === "DESC" ? "DESC" : "ASC")];
    }
    if (!params.get("g")) {
      // (Grouped runs: the view asks for its groups instead.)
      start("POST", MLFLOW + "runs/search", Object.assign({}, body, { max_results: 100 }));
      start("POST", RUNLAB + "runs/count", body);
    }
    ids.forEach(function (id) {
      start("GET", MLFLOW + "experiments/get?" + query({ experiment_id: id }));
    });
  }

  // As run.js and charts.js: the run, then its experiment and the charts on the first screen.
  function runPage(runId, params) {
    json(start("GET", MLFLOW + "runs/get?" + query({ run_id: runId })))
      .then(function (data) {
        var run = data && data.run;
        if (!run) return;
        start("GET", MLFLOW + "experiments/get?" + query({ experiment_id: run.info.experiment_id }));
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
            var args = { run_id: runId, metric_key: key, x_axis: "step", max_points: 4000, format: "columns" };
            start("GET", RUNLAB + "metrics/downsampled?" + query(args));
          });
      })
      .catch(function () {});
  }

  // As compare.js: one search for the runs, over the experiments in the URL.
  function comparePage(params) {
    var ids = list(params, "runs");
    var experiments = list(params, "e");
    if (!ids.length || !experiments.length) return;
    var quoted = ids
      .map(function (id) {
        return "'" + id.replace(/'/g, "") + "'";
      })
      .join(", ");
    start("POST", MLFLOW + "runs/search", {
      experiment_ids: experiments,
      filter: "attributes.run_id IN (" + quoted + ")",
      run_view_type: "ALL",
      max_results: ids.length,
    });
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
    if (path === "/runs") runsPage(params);
    else if (parts[0] === "run" && parts.length === 2) runPage(parts[1], params);
    else if (path === "/compare") comparePage(params);
  } catch (err) {
    /* the views make their own requests */
  }
})();
