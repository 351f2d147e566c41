// Registered models: search by name, sort, page through, create. The URL holds the search
// (q), the sort (o), the page size (n) and the page (page, the server's page token).

import { api } from "../api.js";
import { clear, h, promptDialog, toast } from "../dom.js";
import { snippet } from "../editable.js";
import { formatTime } from "../format.js";
import { aliasPill, joined, modelHash, stageBadge, versionHash } from "../registry.js";
import { buildHash, likeContains, replaceHash } from "../state.js";

const PAGE_SIZES = [10, 25, 50, 100];
const DEFAULT_PAGE_SIZE = 25;
const DEFAULT_ORDER = "name ASC";
const SORTABLE = { name: "Name", last_updated_timestamp: "Last updated" };
// Prompts live in the registry too (MLflow marks them with this tag); this page lists models.
const NOT_PROMPTS = "tags.`mlflow.prompt.is_prompt` != 'true'";

function parseOrder(text) {
  const match = /^(name|last_updated_timestamp)(?:\s+(ASC|DESC))?$/i.exec((text || "").trim());
  return match ? { key: match[1], desc: (match[2] || "ASC").toUpperCase() === "DESC" } : parseOrder(DEFAULT_ORDER);
}

export async function modelsView(ctx) {
  const { main, route } = ctx;
  const size = Number(route.params.get("n"));
  const state = {
    q: route.params.get("q") || "",
    order: parseOrder(route.params.get("o")),
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_PAGE_SIZE,
    token: route.params.get("page") || "",
    // Tokens of the pages before this one, for "Previous"; a bookmarked page starts afresh.
    previous: [],
  };
  document.title = "Models · runlab";

  const search = h("input", {
    type: "search",
    class: "search",
    placeholder: "Search models by name",
    "aria-label": "Search models by name",
    value: state.q,
  });
  const sizeSelect = h(
    "select",
    { "aria-label": "Models per page" },
    PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === state.size }, `${n} per page`)),
  );
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const thead = h("thead");
  const tbody = h("tbody");
  const table = h("table", { class: "table models-table" }, thead, tbody);
  const prevButton = h("button", { class: "btn", type: "button", onclick: previous }, "Previous");
  const firstButton = h("button", { class: "btn", type: "button", onclick: first }, "First page");
  const nextButton = h("button", { class: "btn", type: "button", onclick: next }, "Next");
  const pageLabel = h("span", { class: "muted" });
  let nextToken = null;

  main.appendChild(
    h(
      "section",
      { class: "page" },
      h(
        "div",
        { class: "page-head" },
        h("h1", null, "Models"),
        h("button", { class: "btn primary", type: "button", onclick: create }, "New model"),
      ),
      h("form", { class: "toolbar", role: "search", onsubmit: (e) => (e.preventDefault(), restart()) }, search, sizeSelect),
      status,
      h("div", { class: "table-wrap" }, table),
      h("nav", { class: "pager", "aria-label": "Pages of models" }, firstButton, prevButton, pageLabel, nextButton),
    ),
  );

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(restart, 200);
  });
  ctx.onCleanup(() => clearTimeout(timer));
  sizeSelect.addEventListener("change", restart);

  function restart() {
    state.token = "";
    state.previous = [];
    load();
  }
  function next() {
    if (!nextToken) return;
    state.previous.push(state.token);
    state.token = nextToken;
    load();
  }
  function previous() {
    state.token = state.previous.pop() || "";
    load();
  }
  function first() {
    state.previous = [];
    state.token = "";
    load();
  }

  function orderText() {
    return `${state.order.key} ${state.order.desc ? "DESC" : "ASC"}`;
  }

  function renderHead() {
    clear(thead);
    const cell = (key, label) => {
      const sorted = state.order.key === key;
      return h(
        "th",
        { scope: "col", "aria-sort": sorted ? (state.order.desc ? "descending" : "ascending") : "none", dataset: { column: key } },
        h(
          "button",
          { type: "button", class: "sort-button", title: `Sort by ${label}`, onclick: () => sortBy(key) },
          label,
          h("span", { class: "sort-mark", "aria-hidden": "true" }, sorted ? (state.order.desc ? "▼" : "▲") : ""),
        ),
      );
    };
    thead.appendChild(
      h(
        "tr",
        null,
        cell("name", SORTABLE.name),
        h("th", { scope: "col" }, "Latest versions"),
        h("th", { scope: "col" }, "Aliases"),
        cell("last_updated_timestamp", SORTABLE.last_updated_timestamp),
        h("th", { scope: "col" }, "Description"),
      ),
    );
  }

  function sortBy(key) {
    const same = state.order.key === key;
    // A second click reverses; time starts newest first.
    state.order = { key, desc: same ? !state.order.desc : key !== "name" };
    renderHead();
    restart();
  }

  let latest = 0;
  async function load() {
    if (!ctx.alive()) return;
    const mine = ++latest; // typing fires several searches; only the newest one is shown
    state.q = search.value.trim();
    state.size = Number(sizeSelect.value);
    replaceHash(
      buildHash("/models", {
        q: state.q,
        o: orderText() === DEFAULT_ORDER ? "" : orderText(),
        n: state.size === DEFAULT_PAGE_SIZE ? "" : state.size,
        page: state.token,
      }),
    );
    const filter = [NOT_PROMPTS, state.q ? `name ILIKE ${likeContains(state.q)}` : null].filter(Boolean).join(" AND ");
    table.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await api.searchModels({ filter, max_results: state.size, order_by: state.order.key === "name" ? [orderText()] : [orderText(), "name ASC"], page_token: state.token });
    } catch (err) {
      if (mine !== latest || !ctx.alive()) return;
      table.removeAttribute("aria-busy");
      status.textContent = `Could not load models: ${err.message}`;
      status.className = "error-box";
      return;
    }
    if (!ctx.alive() || mine !== latest) return;
    table.removeAttribute("aria-busy");
    const models = page.registered_models || [];
    nextToken = page.next_page_token || null;
    status.className = "muted";
    const number = state.previous.length + 1;
    status.textContent = models.length
      ? `${models.length} model${models.length === 1 ? "" : "s"} on this page`
      : state.q
        ? "No model matches this search."
        : "No models yet. Register one from a run, or press New model.";
    clear(tbody);
    for (const model of models) tbody.appendChild(row(model));
    nextButton.disabled = !nextToken;
    prevButton.disabled = state.previous.length === 0;
    prevButton.hidden = !state.previous.length && Boolean(state.token);
    firstButton.hidden = state.previous.length > 0 || !state.token;
    pageLabel.textContent = state.token && !state.previous.length ? "" : `Page ${number}`;
  }

  function row(model) {
    const latestVersions = [...(model.latest_versions || [])].sort((a, b) => Number(b.version) - Number(a.version));
    const aliases = [...(model.aliases || [])].sort((a, b) => a.alias.localeCompare(b.alias));
    const text = snippet(model.description);
    return h(
      "tr",
      { dataset: { model: model.name } },
      h("td", null, h("a", { href: modelHash(model.name), class: "model-link" }, model.name)),
      h(
        "td",
        { class: "latest-versions" },
        latestVersions.length
          ? joined(latestVersions.map((v) => h("span", { class: "version-chip" }, h("a", { href: versionHash(model.name, v.version) }, `Version ${v.version}`), " ", stageBadge(v.current_stage))))
          : h("span", { class: "muted" }, "—"),
      ),
      h("td", { class: "aliases" }, aliases.length ? joined(aliases.map((a) => aliasPill(model.name, a.alias, a.version))) : h("span", { class: "muted" }, "—")),
      h("td", null, formatTime(model.last_updated_timestamp)),
      h("td", { class: "description-snippet", title: text }, text || h("span", { class: "muted" }, "—")),
    );
  }

  async function create() {
    const values = await promptDialog({
      title: "New model",
      fields: [
        { name: "name", label: "Name" },
        { name: "description", label: "Description (optional)", required: false },
      ],
      submitLabel: "Create",
    });
    if (!values) return;
    const name = values.name.trim();
    try {
      await api.createModel(name, values.description.trim());
      toast(`Created model ${name}`);
      location.hash = modelHash(name);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  renderHead();
  await load();
  search.focus();
}
