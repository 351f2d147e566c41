// MLflow's web UI addresses, as its clients print them and people paste them, mapped onto
// runlab's pages. The router swaps the address in place (history.replaceState), so the
// back button skips the MLflow form instead of bouncing on the redirect.
//
//   #/experiments/E                          → #/runs?e=E
//   #/experiments/E/runs/R                   → #/run/R
//   #/experiments/E/runs/R/artifacts/PATH    → #/run/R?tab=artifacts&path=PATH
//   #/experiments/E/models/M (MLflow 3)      → runlab's logged-model page (same address)
//   #/compare-runs?runs=[..]&experiments=[..] → #/compare?runs=..&e=..
//   #/metric/KEY?runs=[..]&experiments=[..]  → the run's charts, or a comparison of the runs
//   #/models/NAME, #/models/NAME/versions/V  → the same address in runlab

import { buildHash } from "./state.js";

// MLflow puts JSON lists in its query strings (runs=["a","b"]); a bare comma list works too.
function jsonList(params, key) {
  const raw = params.get(key);
  if (!raw) return [];
  try {
    const value = JSON.parse(raw);
    if (Array.isArray(value)) return value.map(String).filter(Boolean);
    return [String(value)];
  } catch {
    return raw.split(",").filter(Boolean);
  }
}

// The runlab hash for an MLflow address ({path, parts, params} as parseHash gives it), or
// null when the address is runlab's own already.
export function translateMlflowHash(route) {
  const { parts, params } = route;
  if (parts[0] === "experiments" && parts.length >= 2) {
    const experiment = parts[1];
    if (parts.length === 2) return buildHash("/runs", { e: [experiment] });
    if (parts[2] === "runs" && parts.length === 4) return buildHash(`/run/${encodeURIComponent(parts[3])}`);
    if (parts[2] === "runs" && parts[4] === "artifacts" && parts.length >= 5) {
      return buildHash(`/run/${encodeURIComponent(parts[3])}`, { tab: "artifacts", path: parts.slice(5).join("/") });
    }
    return null; // #/experiments/E/models/M is a runlab page of its own
  }
  if (parts[0] === "compare-runs") {
    return buildHash("/compare", { runs: jsonList(params, "runs"), e: jsonList(params, "experiments") });
  }
  if (parts[0] === "metric") {
    const runs = jsonList(params, "runs");
    if (runs.length === 1) return buildHash(`/run/${encodeURIComponent(runs[0])}`, { tab: "charts" });
    return buildHash("/compare", { runs, e: jsonList(params, "experiments") });
  }
  return null;
}
