// The URL hash holds a view's whole state (#/runs?e=1,2&q=...&o=...&c=...&sel=...), so any
// view can be bookmarked and shared.

export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  const params = new URLSearchParams(search);
  return { path, parts: path.split("/").filter(Boolean).map(decodePart), params };
}

// A hand-typed "%" that starts no escape stays as it is instead of breaking the route.
function decodePart(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function buildHash(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) search.set(key, value.join(","));
    } else search.set(key, String(value));
  }
  const qs = search.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

// runlab's own addresses have MLflow's shapes, so a link from either UI opens in both:
// #/experiments/E, #/experiments/E/runs/R[/TAB[/PATH]], #/compare-runs?runs=[..]&experiments=[..].
// Several experiments at once, which MLflow has no page for, stay #/runs?e=1,2.
export function experimentHash(experimentIds, params = {}) {
  if (experimentIds.length === 1) return buildHash(`/experiments/${encodeURIComponent(experimentIds[0])}`, params);
  return buildHash("/runs", { e: experimentIds, ...params });
}

// A run tab's place in the address: MLflow's names where MLflow has the tab.
export const RUN_TAB_PATHS = { charts: "model-metrics" };

export function runHash(experimentId, runId, tab = "overview", path = "") {
  let hash = `/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
  if (tab && tab !== "overview") hash += `/${RUN_TAB_PATHS[tab] || tab}`;
  if (tab === "artifacts" && path) hash += `/${path.split("/").map(encodeURIComponent).join("/")}`;
  return `#${hash}`;
}

export function compareHash(runIds, experimentIds, params = {}) {
  const search = new URLSearchParams();
  search.set("runs", JSON.stringify(runIds));
  search.set("experiments", JSON.stringify(experimentIds));
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, String(value));
  return `#/compare-runs?${search.toString()}`;
}

// MLflow puts JSON lists in its query strings (runs=["a","b"]); a bare comma list works too.
export function jsonList(params, key) {
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

export function listParam(params, key) {
  const value = params.get(key);
  return value ? value.split(",").filter(Boolean) : [];
}

// Change the URL without re-rendering the view (the view already shows that state).
export function replaceHash(hash) {
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

// A quoted ILIKE pattern matching text that contains `text` literally.
export function likeContains(text) {
  const pattern = text.replace(/\\/g, "\\\\").replace(/[%_]/g, "\\$&");
  return `'%${pattern.replace(/\\/g, "\\\\").replace(/'/g, "''")}%'`;
}

// A filter-language string literal.
export function quoteString(text) {
  return `'${String(text).replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}
