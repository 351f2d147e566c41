// Experiments list: search, create, rename, delete, restore; pick several to see their runs.

import { api } from "../api.js";
import { clear, confirmDialog, h, promptDialog, toast } from "../dom.js";
import { formatTime } from "../format.js";
import { buildHash, experimentHash, likeContains, replaceHash } from "../state.js";

export async function experimentsView(ctx) {
  const { main, route } = ctx;
  const state = {
    q: route.params.get("q") || "",
    view: route.params.get("view") || "ACTIVE_ONLY",
    selected: new Set(),
  };
  const search = h("input", {
    type: "search",
    class: "search",
    placeholder: "Search experiments by name",
    "aria-label": "Search experiments by name",
    value: state.q,
  });
  const viewSelect = h(
    "select",
    { "aria-label": "Which experiments to show" },
    h("option", { value: "ACTIVE_ONLY", selected: state.view === "ACTIVE_ONLY" }, "Active"),
    h("option", { value: "DELETED_ONLY", selected: state.view === "DELETED_ONLY" }, "Deleted"),
    h("option", { value: "ALL", selected: state.view === "ALL" }, "All"),
  );
  const compareButton = h("button", { class: "btn", type: "button", disabled: true }, "Show runs of selected");
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const table = h(
    "table",
    { class: "table experiments-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { class: "col-check" }, h("span", { class: "sr-only" }, "Select")),
        h("th", null, "Name"),
        h("th", null, "ID"),
        h("th", null, "Created"),
        h("th", null, "Last updated"),
        h("th", null, h("span", { class: "sr-only" }, "Actions")),
      ),
    ),
    tbody,
  );

  main.appendChild(
    h(
      "section",
      { class: "page" },
      h(
        "div",
        { class: "page-head" },
        h("h1", null, "Experiments"),
        h("button", { class: "btn primary", type: "button", onclick: create }, "New experiment"),
      ),
      h(
        "form",
        { class: "toolbar", role: "search", onsubmit: (e) => (e.preventDefault(), load()) },
        search,
        viewSelect,
        compareButton,
      ),
      status,
      h("div", { class: "table-wrap" }, table),
    ),
  );

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
  // A search still waiting when the user leaves must not rewrite the next page's URL.
  ctx.onCleanup(() => clearTimeout(timer));
  viewSelect.addEventListener("change", load);
  compareButton.addEventListener("click", () => {
    location.hash = experimentHash([...state.selected]);
  });

  let latest = 0;
  async function load() {
    if (!ctx.alive()) return;
    const mine = ++latest; // typing fires several searches; only the newest one is shown
    state.q = search.value.trim();
    state.view = viewSelect.value;
    replaceHash(buildHash("/", { q: state.q, view: state.view === "ACTIVE_ONLY" ? "" : state.view }));
    const filter = state.q ? `name ILIKE ${likeContains(state.q)}` : undefined;
    const experiments = [];
    let token;
    try {
      do {
        const page = await api.searchExperiments({
          view_type: state.view,
          max_results: 1000,
          filter,
          order_by: ["last_update_time DESC"],
          page_token: token,
        });
        experiments.push(...(page.experiments || []));
        token = page.next_page_token;
      } while (token && experiments.length < 10000);
    } catch (err) {
      if (mine !== latest) return;
      status.textContent = `Could not load experiments: ${err.message}`;
      status.className = "error-box";
      return;
    }
    if (!ctx.alive() || mine !== latest) return;
    status.className = "muted";
    status.textContent = `${experiments.length} experiment${experiments.length === 1 ? "" : "s"}`;
    clear(tbody);
    for (const exp of experiments) tbody.appendChild(row(exp));
    syncSelection();
  }

  function row(exp) {
    const deleted = exp.lifecycle_stage === "deleted";
    const check = h("input", {
      type: "checkbox",
      "aria-label": `Select experiment ${exp.name}`,
      checked: state.selected.has(exp.experiment_id),
      onchange: (e) => {
        if (e.target.checked) state.selected.add(exp.experiment_id);
        else state.selected.delete(exp.experiment_id);
        syncSelection();
      },
    });
    const actions = deleted
      ? [h("button", { class: "btn small", type: "button", onclick: () => restore(exp) }, "Restore")]
      : [
          h("button", { class: "btn small", type: "button", onclick: () => rename(exp), "aria-label": `Rename ${exp.name}` }, "Rename"),
          exp.experiment_id === "0"
            ? null
            : h("button", { class: "btn small danger", type: "button", onclick: () => remove(exp), "aria-label": `Delete ${exp.name}` }, "Delete"),
        ];
    return h(
      "tr",
      { class: deleted ? "deleted" : "" },
      h("td", { class: "col-check" }, check),
      h("td", null, h("a", { href: experimentHash([exp.experiment_id]), class: "exp-link" }, exp.name), deleted ? h("span", { class: "pill" }, "deleted") : null),
      h("td", { class: "mono" }, exp.experiment_id),
      h("td", null, formatTime(exp.creation_time)),
      h("td", null, formatTime(exp.last_update_time)),
      h("td", { class: "actions" }, actions),
    );
  }

  function syncSelection() {
    compareButton.disabled = state.selected.size === 0;
    compareButton.textContent = state.selected.size > 1 ? `Show runs of ${state.selected.size} experiments` : "Show runs of selected";
  }

  async function create() {
    const values = await promptDialog({ title: "New experiment", fields: [{ name: "name", label: "Name" }], submitLabel: "Create" });
    if (!values) return;
    try {
      const made = await api.createExperiment(values.name.trim());
      toast(`Created experiment ${values.name.trim()}`);
      location.hash = experimentHash([made.experiment_id]);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function rename(exp) {
    const values = await promptDialog({ title: `Rename “${exp.name}”`, fields: [{ name: "name", label: "New name", value: exp.name }], submitLabel: "Rename" });
    if (!values) return;
    try {
      await api.renameExperiment(exp.experiment_id, values.name.trim());
      toast("Renamed");
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function remove(exp) {
    if (!(await confirmDialog(`Delete experiment “${exp.name}” and its runs?`))) return;
    try {
      await api.deleteExperiment(exp.experiment_id);
      toast(`Deleted ${exp.name}; it can be restored from the Deleted view`);
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function restore(exp) {
    try {
      await api.restoreExperiment(exp.experiment_id);
      toast(`Restored ${exp.name}`);
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  await load();
  search.focus();
}
