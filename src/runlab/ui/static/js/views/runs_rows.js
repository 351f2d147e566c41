// The rows of the runs table: a run (its checkbox, the ▸ toggle of its child runs, and a
// cell per column), a group (its value, run count and metric summaries) and a group's
// "Load more" row. Each takes the runs view (runs.js), the visible columns and its index.

import { metricMap, paramMap, tagMap } from "../api.js";
import { h } from "../dom.js";
import { formatDuration, formatNumber, formatTime, runDuration, runStatusBadge, shortCommit, shortSource } from "../format.js";
import { runHash } from "../state.js";
import { GROUP_PAGE, groupLabel, summaryCell } from "./run_groups.js";

export function groupRow(view, group, columns, index) {
  const { groups, state } = view;
  const label = group.value === null ? `no ${groupLabel(state.group)}` : group.value;
  const cells = [h("td", { class: "col-check" })];
  for (const column of columns) {
    if (column === "name") {
      const toggle = h(
        "button",
        {
          type: "button",
          class: "tree-toggle group-toggle",
          "aria-expanded": String(group.expanded),
          "aria-label": `${group.expanded ? "Collapse" : "Expand"} group ${label}, ${group.count} run${group.count === 1 ? "" : "s"}`,
          onclick: () => {
            view.toggleGroup(group);
            const again = [...view.table.tbody.querySelectorAll("tr.group-row .group-toggle")].find((b) => b.closest("tr").dataset.groupIndex === String(view.groups.indexOf(group)));
            if (again) again.focus();
          },
        },
        group.expanded ? "▾" : "▸",
      );
      cells.push(
        h(
          "td",
          { class: "group-cell" },
          toggle,
          h("span", { class: group.value === null ? "group-value muted" : "group-value" }, label),
          h("span", { class: "group-count muted" }, ` ${group.count.toLocaleString()} run${group.count === 1 ? "" : "s"}`),
        ),
      );
    } else if (column.startsWith("m.")) {
      const { text, title } = summaryCell(group.metrics[column.slice(2)]);
      cells.push(h("td", { class: "num group-summary", title }, text));
    } else cells.push(h("td"));
  }
  return h("tr", { class: "group-row", dataset: { groupIndex: String(groups.indexOf(group)) }, "aria-rowindex": index + 2, "aria-level": "1" }, cells);
}

export function moreRow(view, group, columns, index) {
  const left = group.count - group.runs.length;
  const button = group.loading
    ? h("span", { class: "muted" }, "Loading…")
    : h("button", { type: "button", class: "btn small", onclick: () => view.loadGroupRuns(group) }, `Load ${Math.min(left, GROUP_PAGE).toLocaleString()} more of ${left.toLocaleString()}`);
  return h("tr", { class: "more-row", "aria-rowindex": index + 2 }, h("td", { colspan: columns.length + 1 }, button));
}

// The name cell: the ▸ toggle of the child runs (if any), indented by depth, and the link.
function nameCell(view, info, depth, childCount) {
  const { state } = view;
  const id = info.run_id;
  const toggle = childCount
    ? h(
        "button",
        {
          type: "button",
          class: "tree-toggle",
          "aria-expanded": String(state.expanded.has(id)),
          "aria-label": `${state.expanded.has(id) ? "Collapse" : "Expand"} ${childCount} child run${childCount === 1 ? "" : "s"}`,
          onclick: () => {
            if (state.expanded.has(id)) state.expanded.delete(id);
            else state.expanded.add(id);
            view.table.rebuildDisplay();
            view.table.renderRows();
            const again = view.table.tbody.querySelector(`tr[data-run-id="${CSS.escape(id)}"] .tree-toggle`);
            if (again) again.focus();
          },
        },
        state.expanded.has(id) ? "▾" : "▸",
        h("span", { class: "child-count" }, String(childCount)),
      )
    : h("span", { class: "tree-spacer" });
  return h("span", { class: "run-name", style: { paddingLeft: `${depth * 18}px` } }, toggle, h("a", { href: runHash(info.experiment_id, id), title: info.run_name || id }, info.run_name || id));
}

export function runRow(view, { run, depth, childCount }, columns, index) {
  const { state } = view;
  const info = run.info;
  const tags = tagMap(run);
  const params = paramMap(run);
  const metrics = metricMap(run);
  const id = info.run_id;
  const check = h("input", {
    type: "checkbox",
    checked: state.selected.has(id),
    "aria-label": `Select run ${info.run_name || id}`,
    onchange: (e) => {
      if (e.target.checked) state.selected.add(id);
      else state.selected.delete(id);
      e.target.closest("tr").classList.toggle("selected", e.target.checked);
      view.saveUrl();
      view.toolbar.updateTotal();
    },
  });
  const cells = [h("td", { class: "col-check" }, check)];
  for (const column of columns) {
    let content = "";
    let title;
    let cls = "";
    switch (column) {
      case "name":
        content = nameCell(view, info, depth, childCount);
        break;
      case "status":
        content = runStatusBadge(run);
        break;
      case "start":
        content = formatTime(info.start_time);
        break;
      case "duration":
        content = formatDuration(runDuration(info));
        cls = "num";
        break;
      case "user":
        content = info.user_id || "";
        break;
      case "source":
        content = shortSource(tags["mlflow.source.name"]);
        title = tags["mlflow.source.name"];
        break;
      case "commit":
        content = shortCommit(tags["mlflow.source.git.commit"]);
        title = tags["mlflow.source.git.commit"];
        cls = "mono";
        break;
      default: {
        const key = column.slice(2);
        if (column[0] === "m") {
          const m = metrics[key];
          content = m ? formatNumber(m.value) : "";
          title = m ? `${m.value} (step ${m.step})` : undefined;
          cls = "num";
        } else if (column[0] === "p") {
          content = params[key] ?? "";
          title = params[key];
        } else {
          content = tags[key] ?? "";
          title = tags[key];
        }
      }
    }
    cells.push(h("td", { class: cls, title }, content));
  }
  return h("tr", { dataset: { runId: id, depth: String(depth) }, "aria-rowindex": index + 2, class: state.selected.has(id) ? "selected" : "" }, cells);
}
