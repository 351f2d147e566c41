// One model version: its stage with a transition control and the history of transitions,
// where it came from (source URI, run), aliases, description and tags.

import { api, tagList } from "../api.js";
import { clear, h, toast } from "../dom.js";
import { descriptionCard, tagsCard } from "../editable.js";
import { formatTime, statusBadge } from "../format.js";
import { STAGES, aliasPill, joined, loggedModelHash, modelHash, runLink, stageBadge } from "../registry.js";

const SAFE_LINK = /^https?:\/\//i;
// Only these stages hold one "current" version, so only there does archiving the others mean anything.
const ARCHIVABLE = new Set(["Staging", "Production"]);

export async function versionView(ctx) {
  const { main, route } = ctx;
  const name = route.parts[1];
  const number = route.parts[3];
  let [version, history] = await Promise.all([api.getVersion(name, number), api.stageHistory(name, number)]);
  if (!ctx.alive()) return;
  document.title = `${version.name} version ${version.version} · runlab`;
  const runNames = new Map();

  const stageSlot = h("span");
  const details = h("dl", { class: "details" });
  const historyBody = h("tbody");
  const stageSelect = h("select", { id: "stage-target", "aria-label": "New stage" });
  const archive = h("input", { type: "checkbox", id: "archive-existing" });
  const archiveLabel = h("label", { for: "archive-existing", class: "check-option" }, archive, "Archive the other versions in that stage");
  const stageError = h("p", { class: "inline-error", role: "alert" });
  const moveButton = h("button", { type: "submit", class: "btn primary" }, "Transition");

  main.appendChild(
    h(
      "section",
      { class: "page" },
      h(
        "nav",
        { class: "crumbs", "aria-label": "Breadcrumb" },
        h("a", { href: "#/models" }, "Models"),
        " / ",
        h("a", { href: modelHash(version.name) }, version.name),
        " / ",
        h("span", null, `Version ${version.version}`),
      ),
      h("div", { class: "page-head" }, h("h1", { class: "version-title" }, version.name, h("span", { class: "muted" }, ` version ${version.version}`)), stageSlot),
      h(
        "div",
        { class: "overview-grid" },
        h("div", { class: "card" }, h("h2", null, "Details"), details),
        h(
          "div",
          { class: "card stage-card" },
          h("h2", null, "Stage"),
          h(
            "form",
            { class: "toolbar stage-form", onsubmit: (e) => (e.preventDefault(), transition()) },
            h("label", { for: "stage-target" }, "Move to"),
            stageSelect,
            moveButton,
          ),
          archiveLabel,
          stageError,
          h("h3", { class: "subhead" }, "History"),
          h(
            "table",
            { class: "table kv history-table" },
            h("thead", null, h("tr", null, ["When", "From", "To", "By"].map((label) => h("th", { scope: "col" }, label)))),
            historyBody,
          ),
        ),
      ),
      h(
        "div",
        { class: "overview-grid" },
        descriptionCard({
          text: version.description,
          save: async (text) => {
            version = await api.updateVersion(version.name, version.version, text);
            drawDetails();
            return version.description;
          },
        }),
        tagsCard({
          tags: tagList(version),
          set: async (key, value) => {
            await api.setVersionTag(version.name, version.version, key, value);
            return refresh();
          },
          remove: async (key) => {
            await api.deleteVersionTag(version.name, version.version, key);
            return refresh();
          },
        }),
      ),
    ),
  );

  async function refresh() {
    version = await api.getVersion(version.name, version.version);
    if (ctx.alive()) drawDetails();
    return tagList(version);
  }

  function drawDetails() {
    clear(stageSlot).appendChild(stageBadge(version.current_stage));
    clear(details);
    const aliases = [...(version.aliases || [])].sort();
    const fields = [
      ["Stage", stageBadge(version.current_stage)],
      ["Status", [statusBadge(version.status), version.status_message ? h("span", { class: "muted" }, ` ${version.status_message}`) : null]],
      ["Aliases", aliases.length ? joined(aliases.map((a) => aliasPill(version.name, a))) : "—"],
      ["Source", h("span", { class: "mono source-uri" }, version.source || "—")],
      ["Source run", runLink(version.run_id, runNames)],
      version.model_id ? ["Logged model", loggedModelLink(version.model_id)] : null,
      version.run_link
        ? ["Run link", SAFE_LINK.test(version.run_link) ? h("a", { href: version.run_link, rel: "noopener noreferrer nofollow", target: "_blank" }, version.run_link) : h("span", { class: "mono" }, version.run_link)]
        : null,
      ["Created by", version.user_id || "—"],
      ["Created", formatTime(version.creation_timestamp)],
      ["Last updated", formatTime(version.last_updated_timestamp) || "—"],
    ].filter(Boolean);
    for (const [label, value] of fields) details.append(h("dt", null, label), h("dd", null, value));
    drawStageForm();
  }

  // The logged model's page needs its experiment, so the link is filled in once it is read.
  function loggedModelLink(modelId) {
    const link = h("a", { class: "mono logged-model-link", title: modelId }, modelId);
    api.getLoggedModel(modelId).then(
      (model) => {
        link.href = loggedModelHash(model.info.experiment_id, modelId);
        if (model.info.name) link.textContent = `${model.info.name} (${modelId})`;
      },
      () => link.replaceWith(h("span", { class: "mono muted", title: "not found" }, modelId)),
    );
    return link;
  }

  function drawStageForm() {
    const chosen = stageSelect.value;
    clear(stageSelect);
    const targets = STAGES.filter((s) => s !== version.current_stage);
    for (const stage of targets) stageSelect.appendChild(h("option", { value: stage, selected: stage === chosen }, stage));
    syncArchive();
  }

  function syncArchive() {
    const possible = ARCHIVABLE.has(stageSelect.value);
    archive.disabled = !possible;
    if (!possible) archive.checked = false;
  }
  stageSelect.addEventListener("change", syncArchive);

  function drawHistory() {
    clear(historyBody);
    if (!history.length) historyBody.appendChild(h("tr", null, h("td", { colspan: 4, class: "muted" }, "No transitions yet.")));
    // Newest first: the last move is the one people look for.
    for (const t of [...history].reverse()) {
      historyBody.appendChild(
        h(
          "tr",
          null,
          h("td", null, formatTime(t.timestamp)),
          h("td", null, stageBadge(t.from_stage)),
          h("td", null, stageBadge(t.to_stage)),
          h("td", null, t.user_id || h("span", { class: "muted" }, "—")),
        ),
      );
    }
  }

  async function transition() {
    const stage = stageSelect.value;
    moveButton.disabled = true;
    try {
      version = await api.transitionStage(version.name, version.version, stage, archive.checked);
      history = await api.stageHistory(version.name, version.version);
    } catch (err) {
      stageError.textContent = err.message;
      return;
    } finally {
      moveButton.disabled = false;
    }
    if (!ctx.alive()) return;
    stageError.textContent = "";
    archive.checked = false;
    drawDetails();
    drawHistory();
    toast(`Version ${version.version} is now in ${version.current_stage}`);
  }

  drawDetails();
  drawHistory();
}
