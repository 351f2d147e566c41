// The charts workspace's layout, kept per experiment in localStorage: the order of the
// panels, which are hidden and each one's size. Keys never seen keep to the end, sorted.

export const SIZES = ["small", "medium", "large"];
const PREFIX = "runlab.workspace.";

function storageKey(experimentIds) {
  return `${PREFIX}${[...experimentIds].sort().join(",")}`;
}

export function loadLayout(experimentIds) {
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(storageKey(experimentIds)) || "null");
  } catch {
    saved = null; // an unreadable layout is forgotten, not an error
  }
  const layout = { order: [], hidden: [], sizes: {} };
  if (saved && typeof saved === "object") {
    if (Array.isArray(saved.order)) layout.order = saved.order.filter((k) => typeof k === "string");
    if (Array.isArray(saved.hidden)) layout.hidden = saved.hidden.filter((k) => typeof k === "string");
    if (saved.sizes && typeof saved.sizes === "object") {
      for (const [key, size] of Object.entries(saved.sizes)) if (SIZES.includes(size)) layout.sizes[key] = size;
    }
  }
  return layout;
}

export function saveLayout(experimentIds, layout) {
  try {
    localStorage.setItem(storageKey(experimentIds), JSON.stringify(layout));
  } catch {
    // Storage full or disabled: the layout lasts for this page only.
  }
}

// The keys in layout order: those placed before, in that order, then the new ones.
export function orderKeys(keys, layout) {
  const known = new Set(keys);
  const placed = layout.order.filter((k) => known.has(k));
  const seen = new Set(placed);
  const fresh = keys.filter((k) => !seen.has(k)).sort();
  return [...placed, ...fresh];
}

// Move `key` to just before `target` (null: to the end) among `keys` (one section's).
export function moveBefore(layout, allKeys, key, target) {
  const order = orderKeys(allKeys, layout).filter((k) => k !== key);
  const at = target === null ? order.length : order.indexOf(target);
  order.splice(at < 0 ? order.length : at, 0, key);
  layout.order = order;
}

// Move `key` one place earlier (-1) or later (+1) among `sectionKeys`, shown in order.
export function moveBy(layout, allKeys, sectionKeys, key, delta) {
  const shown = orderKeys(sectionKeys, layout);
  const at = shown.indexOf(key);
  const to = at + delta;
  if (at < 0 || to < 0 || to >= shown.length) return false;
  const target = delta < 0 ? shown[to] : shown[to + 1] ?? null;
  if (target === null) {
    // After the last of the section: before whatever follows it overall.
    const order = orderKeys(allKeys, layout);
    moveBefore(layout, allKeys, key, order[order.indexOf(shown[to]) + 1] ?? null);
  } else moveBefore(layout, allKeys, key, target);
  return true;
}

export function setHidden(layout, key, hidden) {
  layout.hidden = layout.hidden.filter((k) => k !== key);
  if (hidden) layout.hidden.push(key);
}

export function sizeOf(layout, key) {
  return layout.sizes[key] || "medium";
}
