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
