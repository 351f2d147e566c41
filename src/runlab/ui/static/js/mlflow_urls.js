// runlab's pages live at MLflow's web UI addresses (state.js builds them), so a link
// printed by either client opens in both UIs. What is not in that shape is rewritten in
// place by the router (history.replaceState: the back button skips the old form instead
// of bouncing on it): runlab's earlier addresses and MLflow's other forms of a page.
//
//   #/runs?e=E&...                           → #/experiments/E?...
//   #/experiments/E/runs                     → #/experiments/E
//   #/compare?runs=a,b&e=E                   → #/compare-runs?runs=["a","b"]&experiments=["E"]
//   #/metric/KEY?runs=[..]&experiments=[..]  → the run's charts, or a comparison of the runs
//   #/run/R?tab=T&path=P                     → served as it is; the run page rewrites it to
//                                              #/experiments/E/runs/R/... once it knows E

import { buildHash, compareHash, experimentHash, jsonList, listParam, runHash } from "./state.js";

// The canonical hash for an address ({path, parts, params} as parseHash gives it), or null
// when it is canonical already.
export function canonicalHash(route) {
  const { parts, params, path } = route;
  if (path === "/runs") {
    const ids = listParam(params, "e");
    if (ids.length !== 1) return null;
    const rest = Object.fromEntries([...params].filter(([k]) => k !== "e"));
    return experimentHash(ids, rest);
  }
  if (parts[0] === "experiments" && parts.length === 3 && parts[2] === "runs") return experimentHash([parts[1]]);
  if (path === "/compare") {
    return compareHash(listParam(params, "runs"), listParam(params, "e"), { diff: params.get("diff") || "" });
  }
  if (parts[0] === "metric") {
    const runs = jsonList(params, "runs");
    const experiments = jsonList(params, "experiments");
    if (runs.length === 1 && experiments.length === 1) return runHash(experiments[0], runs[0], "charts");
    if (runs.length === 1) return buildHash(`/run/${encodeURIComponent(runs[0])}`, { tab: "charts" });
    return compareHash(runs, experiments);
  }
  return null;
}

// The tab and artifact path of a run address (#/experiments/E/runs/R/TAB/PATH...).
const TAB_OF_PATH = { "model-metrics": "charts", "system-metrics": "charts", overview: "overview", traces: "overview" };

export function runPlace(parts) {
  const segment = parts[4] || "overview";
  const tab = TAB_OF_PATH[segment] || segment;
  return { tab, path: tab === "artifacts" ? parts.slice(5).join("/") : "" };
}
