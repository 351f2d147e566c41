// One registered model: description and tags (editable), aliases (set, move, delete), its
// versions, rename and delete.

import { api, tagList } from "../api.js";
import { clear, confirmDialog, h, promptDialog, toast } from "../dom.js";
import { descriptionCard, snippet, tagsCard } from "../editable.js";
import { formatTime, statusBadge } from "../format.js";
import { aliasPill, joined, modelHash, modelVersions, runLink, stageBadge, versionHash } from "../registry.js";

export async function modelView(ctx) {
  const { main, route } = ctx;
  const name = route.parts[1];
  let [model, versions] = await Promise.all([api.getModel(name), modelVersions(name)]);
  if (!ctx.alive()) return;
  document.title = `${model.name} · Models · runlab`;
  const runNames = new Map();

  const details = h("dl", { class: "details" });
  const aliasesBody = h("tbody");
  const versionsBody = h("tbody");
  const versionsHeading = h("h2");
  const aliasInput = h("input", {
    "aria-label": "Alias name",
    placeholder: "alias, e.g. champion",
    required: true,
    autocomplete: "off",
    "aria-describedby": "alias-error",
  });
  const versionSelect = h("select", { "aria-label": "Version for the alias" });
  const aliasError = h("p", { class: "inline-error", id: "alias-error", role: "alert" });

  main.appendChild(
    h(
      "section",
      { class: "page" },
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/models" }, "Models"), " / ", h("span", null, model.name)),
      h(
        "div",
        { class: "page-head" },
        h("h1", { class: "model-title" }, model.name),
        h(
          "span",
          { class: "head-actions" },
          h("button", { class: "btn", type: "button", onclick: rename }, "Rename"),
          h("button", { class: "btn danger", type: "button", onclick: remove }, "Delete"),
        ),
      ),
      h(
        "div",
        { class: "overview-grid" },
        h("div", { class: "card" }, h("h2", null, "Details"), details),
        descriptionCard({
          text: model.description,
          save: async (text) => {
            model = await api.updateModel(model.name, text);
            drawDetails();
            return model.description;
          },
        }),
      ),
      h(
        "div",
        { class: "overview-grid" },
        h(
          "div",
          { class: "card aliases-card" },
          h("h2", null, "Aliases"),
          h(
            "table",
            { class: "table kv aliases-table" },
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Alias"), h("th", { scope: "col" }, "Version"), h("th", null, h("span", { class: "sr-only" }, "Actions")))),
            aliasesBody,
          ),
          h(
            "form",
            { class: "toolbar alias-form", onsubmit: (e) => (e.preventDefault(), setAlias()) },
            aliasInput,
            versionSelect,
            h("button", { type: "submit", class: "btn primary" }, "Set alias"),
          ),
          aliasError,
        ),
        tagsCard({
          tags: tagList(model),
          set: async (key, value) => {
            await api.setModelTag(model.name, key, value);
            return refreshModel();
          },
          remove: async (key) => {
            await api.deleteModelTag(model.name, key);
            return refreshModel();
          },
        }),
      ),
      h(
        "div",
        { class: "card" },
        versionsHeading,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table versions-table" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Version", "Stage", "Aliases", "Status", "Source run", "Created by", "Created", "Description"].map((label) => h("th", { scope: "col" }, label)),
              ),
            ),
            versionsBody,
          ),
        ),
      ),
    ),
  );

  async function refreshModel() {
    model = await api.getModel(model.name);
    if (ctx.alive()) drawDetails();
    return tagList(model);
  }

  function drawDetails() {
    clear(details);
    const latest = [...(model.latest_versions || [])].sort((a, b) => Number(b.version) - Number(a.version));
    const fields = [
      ["Created", formatTime(model.creation_timestamp)],
      ["Last updated", formatTime(model.last_updated_timestamp) || "—"],
      ["Versions", String(versions.length)],
      ["Latest versions", latest.length ? joined(latest.map((v) => h("span", { class: "version-chip" }, h("a", { href: versionHash(model.name, v.version) }, `Version ${v.version}`), " ", stageBadge(v.current_stage)))) : "—"],
    ];
    for (const [label, value] of fields) details.append(h("dt", null, label), h("dd", null, value));
  }

  function drawAliases() {
    clear(aliasesBody);
    const aliases = [...(model.aliases || [])].sort((a, b) => a.alias.localeCompare(b.alias));
    if (!aliases.length) aliasesBody.appendChild(h("tr", null, h("td", { colspan: 3, class: "muted" }, "No aliases.")));
    for (const { alias, version } of aliases) {
      aliasesBody.appendChild(
        h(
          "tr",
          { dataset: { alias } },
          h("th", { scope: "row" }, aliasPill(model.name, alias)),
          h("td", null, h("a", { href: versionHash(model.name, version) }, `Version ${version}`)),
          h(
            "td",
            { class: "actions" },
            h("button", { type: "button", class: "btn small danger", "aria-label": `Delete alias ${alias}`, onclick: () => deleteAlias(alias) }, "Delete"),
          ),
        ),
      );
    }
    const chosen = versionSelect.value;
    clear(versionSelect);
    for (const v of versions) versionSelect.appendChild(h("option", { value: v.version, selected: v.version === chosen }, `Version ${v.version}`));
    versionSelect.disabled = !versions.length;
  }

  function drawVersions() {
    versionsHeading.textContent = `Versions (${versions.length})`;
    clear(versionsBody);
    if (!versions.length) versionsBody.appendChild(h("tr", null, h("td", { colspan: 8, class: "muted" }, "No versions yet.")));
    for (const v of versions) {
      const text = snippet(v.description, 60);
      versionsBody.appendChild(
        h(
          "tr",
          { dataset: { version: v.version } },
          h("td", null, h("a", { href: versionHash(v.name, v.version), class: "version-link" }, `Version ${v.version}`)),
          h("td", null, stageBadge(v.current_stage)),
          h("td", null, (v.aliases || []).length ? joined([...v.aliases].sort().map((a) => aliasPill(v.name, a))) : h("span", { class: "muted" }, "—")),
          h("td", null, statusBadge(v.status)),
          h("td", null, runLink(v.run_id, runNames)),
          h("td", null, v.user_id || h("span", { class: "muted" }, "—")),
          h("td", null, formatTime(v.creation_timestamp)),
          h("td", { class: "description-snippet", title: text }, text || h("span", { class: "muted" }, "—")),
        ),
      );
    }
  }

  async function reloadAll() {
    [model, versions] = await Promise.all([api.getModel(model.name), modelVersions(model.name)]);
    if (!ctx.alive()) return;
    drawDetails();
    drawAliases();
    drawVersions();
  }

  async function setAlias() {
    const alias = aliasInput.value.trim();
    const version = versionSelect.value;
    try {
      await api.setAlias(model.name, alias, version);
    } catch (err) {
      aliasError.textContent = err.message;
      aliasInput.setAttribute("aria-invalid", "true");
      aliasInput.focus();
      return;
    }
    aliasError.textContent = "";
    aliasInput.removeAttribute("aria-invalid");
    aliasInput.value = "";
    toast(`@${alias} now points at version ${version}`);
    await reloadAll();
  }

  async function deleteAlias(alias) {
    if (!(await confirmDialog(`Delete alias “${alias}”?`))) return;
    try {
      await api.deleteAlias(model.name, alias);
    } catch (err) {
      aliasError.textContent = err.message;
      return;
    }
    toast(`Deleted alias @${alias}`);
    await reloadAll();
  }

  async function rename() {
    const values = await promptDialog({ title: `Rename “${model.name}”`, fields: [{ name: "name", label: "New name", value: model.name }], submitLabel: "Rename" });
    if (!values) return;
    const newName = values.name.trim();
    try {
      await api.renameModel(model.name, newName);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    toast(`Renamed to ${newName}`);
    location.hash = modelHash(newName);
  }

  async function remove() {
    const count = versions.length;
    const what = count ? ` and its ${count} version${count === 1 ? "" : "s"}` : "";
    if (!(await confirmDialog(`Delete model “${model.name}”${what}?`))) return;
    try {
      await api.deleteModel(model.name);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    toast(`Deleted model ${model.name}`);
    location.hash = "#/models";
  }

  drawDetails();
  drawAliases();
  drawVersions();
}
