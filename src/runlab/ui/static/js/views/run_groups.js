// The runs table's group view: runs grouped by a param, tag or attribute. The server
// counts the groups and summarises their metrics in one query (runs/groups); a group's
// runs load only when it is opened, through the same paged search with the group's value
// added to the filter, so a 10,000-run experiment in a few groups stays quick.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatNumber } from "../format.js";
import { quoteString } from "../state.js";

export const GROUP_PAGE = 200;

// Group choices in the URL and the select: "a.status", "a.user_id", "p.<key>", "t.<key>".
const ATTRIBUTE_GROUPS = { "a.status": "Status", "a.user_id": "User" };

export function groupKeyFor(choice) {
  const kind = choice.slice(0, 1);
  const key = choice.slice(2);
  if (kind === "a") return `attributes.${key}`;
  return `${kind === "p" ? "params" : "tags"}.\`${key.replace(/`/g, "``")}\``;
}

export function groupLabel(choice) {
  if (ATTRIBUTE_GROUPS[choice]) return ATTRIBUTE_GROUPS[choice];
  return `${choice[0] === "p" ? "param" : "tag"} ${choice.slice(2)}`;
}

// The search filter of one group: the user's filter, and the group's value.
export function groupFilter(filter, choice, value) {
  const key = groupKeyFor(choice);
  const own = value === null ? `${key} IS NULL` : `${key} = ${quoteString(value)}`;
  return filter ? `(${filter}) AND ${own}` : own;
}

// The options of the "Group by" select: attributes, then keys seen in the loaded runs.
export function groupOptions(current, paramKeys, tagKeys) {
  const options = [h("option", { value: "", selected: !current }, "No grouping")];
  for (const [choice, label] of Object.entries(ATTRIBUTE_GROUPS)) {
    options.push(h("option", { value: choice, selected: current === choice }, label));
  }
  const keyed = (kind, keys, label) => {
    const all = new Set(keys);
    if (current && current.startsWith(`${kind}.`)) all.add(current.slice(2));
    if (!all.size) return null;
    return h(
      "optgroup",
      { label },
      [...all].sort().map((k) => h("option", { value: `${kind}.${k}`, selected: current === `${kind}.${k}` }, k)),
    );
  };
  return [...options, keyed("p", paramKeys, "Params"), keyed("t", tagKeys, "Tags")].filter(Boolean);
}

// Groups in a natural order: numbers by value, text alphabetically, no value last.
export function sortGroups(groups) {
  const collator = new Intl.Collator(undefined, { numeric: true });
  return groups.sort((a, b) => {
    if (a.value === null || b.value === null) return (a.value === null) - (b.value === null);
    const x = Number(a.value);
    const y = Number(b.value);
    if (a.value.trim() !== "" && b.value.trim() !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y;
    return collator.compare(a.value, b.value);
  });
}

export async function fetchGroups(body, choice, metricKeys) {
  const answer = await api.groupRuns({ ...body, group_by: groupKeyFor(choice), metric_keys: metricKeys });
  const groups = (answer.groups || []).map((g) => ({
    value: g.value,
    count: Number(g.count),
    metrics: g.metrics || {},
    expanded: false,
    runs: [],
    token: null,
    exhausted: false,
    loading: null,
  }));
  return { groups: sortGroups(groups), truncated: Boolean(answer.truncated) };
}

// The cell a group shows under a metric column: the mean, with min and max in the tooltip.
export function summaryCell(summary) {
  if (!summary || !summary.count) return { text: "", title: undefined };
  const mean = summary.mean === null ? "—" : formatNumber(Number(summary.mean));
  return {
    text: mean,
    title: `mean ${summary.mean ?? "undefined"}, min ${summary.min}, max ${summary.max} over ${summary.count} run${summary.count === 1 ? "" : "s"}`,
  };
}
