// Editable pieces shared by the pages: a Markdown description and a tag table. Both show
// the server's message next to the control when it refuses a change.

import { clear, confirmDialog, h, toast } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

// A card with the description rendered as Markdown, and Edit / Save / Cancel.
// `save(text)` stores the text and resolves with what was stored.
export function descriptionCard({ text, save, heading = "Description" }) {
  let current = text || "";
  const card = h("div", { class: "card description" });
  const show = () => {
    clear(card);
    card.appendChild(
      h("div", { class: "card-head" }, h("h2", null, heading), h("button", { type: "button", class: "btn small", onclick: edit }, current ? "Edit" : "Add")),
    );
    card.appendChild(current ? renderMarkdown(current) : h("p", { class: "muted" }, "No description."));
  };
  const edit = () => {
    clear(card);
    const area = h("textarea", { rows: 8, "aria-label": `${heading} (Markdown)`, class: "mono" });
    area.value = current;
    const error = h("p", { class: "form-error", role: "alert" });
    const saveButton = h("button", { type: "button", class: "btn primary" }, "Save");
    saveButton.addEventListener("click", async () => {
      saveButton.disabled = true;
      try {
        current = (await save(area.value)) || "";
        show();
      } catch (err) {
        error.textContent = err.message;
        saveButton.disabled = false;
      }
    });
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        show();
      }
    });
    card.append(
      h("h2", null, heading),
      area,
      error,
      h("div", { class: "dialog-buttons" }, h("button", { type: "button", class: "btn", onclick: show }, "Cancel"), saveButton),
    );
    area.focus();
  };
  show();
  return card;
}

// A card listing tags with Edit and Delete, and a form to set one. `set(key, value)` and
// `remove(key)` make the change and resolve with the tags as they are now ({key: value}).
export function tagsCard({ tags, set, remove, heading = "Tags" }) {
  let current = tags || {};
  const body = h("tbody");
  const keyInput = h("input", { "aria-label": "Tag key", placeholder: "key", required: true, autocomplete: "off" });
  const valueInput = h("input", { "aria-label": "Tag value", placeholder: "value", autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert" });
  const count = h("span");
  const draw = () => {
    clear(body);
    const entries = Object.entries(current).sort(([a], [b]) => a.localeCompare(b));
    count.textContent = ` (${entries.length})`;
    if (!entries.length) body.appendChild(h("tr", null, h("td", { colspan: 3, class: "muted" }, "No tags.")));
    for (const [key, value] of entries) {
      body.appendChild(
        h(
          "tr",
          null,
          h("th", { scope: "row", class: "mono" }, key),
          h("td", { class: "tag-value" }, value),
          h(
            "td",
            { class: "actions" },
            h("button", { type: "button", class: "btn small", "aria-label": `Edit tag ${key}`, onclick: () => editTag(key, value) }, "Edit"),
            h("button", { type: "button", class: "btn small danger", "aria-label": `Delete tag ${key}`, onclick: () => removeTag(key) }, "Delete"),
          ),
        ),
      );
    }
  };
  const form = h(
    "form",
    {
      class: "toolbar tag-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const key = keyInput.value.trim();
        try {
          current = await set(key, valueInput.value);
          error.textContent = "";
          keyInput.removeAttribute("aria-invalid");
          keyInput.value = "";
          valueInput.value = "";
          draw();
          toast(`Tag ${key} saved`);
          keyInput.focus();
        } catch (err) {
          error.textContent = err.message;
          keyInput.setAttribute("aria-invalid", "true");
        }
      },
    },
    keyInput,
    valueInput,
    h("button", { type: "submit", class: "btn primary" }, "Set tag"),
  );
  function editTag(key, value) {
    keyInput.value = key;
    valueInput.value = value;
    valueInput.focus();
  }
  async function removeTag(key) {
    if (!(await confirmDialog(`Delete tag “${key}”?`))) return;
    try {
      current = await remove(key);
      draw();
    } catch (err) {
      toast(err.message, "error");
    }
  }
  draw();
  return h(
    "div",
    { class: "card tags-card" },
    h("h2", null, heading, count),
    form,
    error,
    h(
      "table",
      { class: "table kv tags-table" },
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Value"), h("th", null, h("span", { class: "sr-only" }, "Actions")))),
      body,
    ),
  );
}

// The first line of a Markdown text as plain text (what the reader would see), cut to
// `limit` characters.
export function snippet(text, limit = 90) {
  const line = String(text || "")
    .split("\n")
    .find((l) => l.trim() && !/^\s*(```|~~~)/.test(l));
  if (!line) return "";
  const plain = renderMarkdown(line).textContent.trim();
  return plain.length > limit ? `${plain.slice(0, limit - 1)}…` : plain;
}
