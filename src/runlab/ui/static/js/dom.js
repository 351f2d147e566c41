// Tiny DOM builder. Text is always inserted as text nodes: nothing a user typed is ever
// parsed as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2).toLowerCase(), value);
      } else if (name === "class") {
        el.className = value;
      } else if (name === "style" && typeof value === "object") {
        Object.assign(el.style, value);
      } else if (name === "dataset") {
        Object.assign(el.dataset, value);
      } else if (name === "value" || name === "checked" || name === "selected") {
        el[name] = value;
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A small modal dialog built on <dialog>; resolves with the form values or null.
export function promptDialog({ title, fields, submitLabel = "OK", danger = false }) {
  return new Promise((resolve) => {
    const inputs = fields.map((f) =>
      h("input", {
        name: f.name,
        value: f.value || "",
        required: f.required !== false,
        "aria-label": f.label,
        autocomplete: "off",
      }),
    );
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", null, title),
      fields.map((f, i) => h("label", null, h("span", null, f.label), inputs[i])),
      error,
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn", value: "cancel", onclick: () => close(null) }, "Cancel"),
        h("button", { type: "submit", class: danger ? "btn danger" : "btn primary" }, submitLabel),
      ),
    );
    const dialog = h("dialog", { class: "dialog", "aria-label": title }, form);
    function close(value) {
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      fields.forEach((f, i) => (values[f.name] = inputs[i].value));
      close(values);
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (inputs[0] || dialog.querySelector("button[type=submit]")).focus();
  });
}

export function confirmDialog(title, submitLabel = "Delete") {
  return promptDialog({ title, fields: [], submitLabel, danger: true }).then((v) => v !== null);
}

let toastTimer = null;
export function toast(message, kind = "info") {
  let box = document.getElementById("toast");
  if (!box) {
    box = h("div", { id: "toast", role: "status", "aria-live": "polite" });
    document.body.appendChild(box);
  }
  box.className = `toast ${kind}`;
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), 4000);
}
