// Image artifacts as a grid of thumbnails, and a viewer over a list of them: a large view
// with previous and next (buttons or the arrow keys), closed by Escape. Images load as
// <img>, so an SVG file runs none of its scripts.

import { api } from "./api.js";
import { h } from "./dom.js";
import { artifactText, baseName } from "./artifact_data.js";

// The server sends SVG files as text/plain (never as a document of this origin), so an
// SVG is read as text and shown from a blob: URL typed as an image: <img> still runs none
// of its scripts. One URL per file, kept for the page's life.
const svgUrls = new Map();
function svgUrl(runId, path) {
  const key = `${runId}\u0000${path}`;
  if (!svgUrls.has(key)) {
    svgUrls.set(key, artifactText(runId, path).then((text) => URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }))));
  }
  return svgUrls.get(key);
}

export function setImage(img, runId, path) {
  img.dataset.path = path;
  if (!/\.svg$/i.test(path)) {
    img.src = api.artifactUrl(runId, path);
    return;
  }
  img.removeAttribute("src");
  svgUrl(runId, path).then(
    (url) => img.dataset.path === path && (img.src = url),
    () => (img.alt = `Could not load ${path}`),
  );
}

// items: [{runId, path, label?}]; the label (default: the file's path) is shown as text.
export function thumbnailGrid(items, { className = "" } = {}) {
  return h(
    "ul",
    { class: `thumb-grid ${className}`.trim() },
    items.map((item, i) => h("li", null, thumbnail(items, i))),
  );
}

export function thumbnail(items, index) {
  const item = items[index];
  const label = item.label || item.path;
  return h(
    "button",
    { type: "button", class: "thumb", title: label, "data-path": item.path, "aria-label": `Open ${label}`, onclick: (event) => openViewer(items, index, event.currentTarget) },
    lazyImage(item),
    h("span", { class: "thumb-caption" }, item.caption || baseName(item.path)),
  );
}

function lazyImage(item) {
  const img = h("img", { alt: "", loading: "lazy", decoding: "async" });
  setImage(img, item.runId, item.path);
  return img;
}

export function openViewer(items, start, returnFocus = null) {
  let index = start;
  const image = h("img", { class: "viewer-image", alt: "" });
  const title = h("span", { class: "viewer-title" });
  const counter = h("span", { class: "viewer-counter muted" });
  const download = h("a", { class: "btn small", download: "" }, "Download");
  const prev = h("button", { type: "button", class: "btn", "aria-label": "Previous image", onclick: () => go(index - 1) }, "‹");
  const next = h("button", { type: "button", class: "btn", "aria-label": "Next image", onclick: () => go(index + 1) }, "›");
  const close = h("button", { type: "button", class: "btn", "aria-label": "Close viewer", onclick: () => done() }, "✕");
  const dialog = h(
    "dialog",
    { class: "viewer", "aria-label": "Image viewer" },
    h("div", { class: "viewer-head" }, title, counter, h("span", { class: "spacer" }), download, close),
    h("div", { class: "viewer-body" }, prev, h("div", { class: "viewer-frame" }, image), next),
  );

  function go(target) {
    if (target < 0 || target >= items.length) return;
    index = target;
    const item = items[index];
    const url = api.artifactUrl(item.runId, item.path);
    setImage(image, item.runId, item.path);
    image.alt = item.label || item.path;
    title.textContent = item.label || item.path;
    counter.textContent = `${index + 1} / ${items.length}`;
    download.href = url;
    download.setAttribute("download", baseName(item.path));
    prev.disabled = index === 0;
    next.disabled = index === items.length - 1;
  }

  function done() {
    dialog.close();
    dialog.remove();
    if (returnFocus && returnFocus.isConnected) returnFocus.focus();
  }

  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") go(index - 1);
    else if (event.key === "ArrowRight") go(index + 1);
    else return;
    event.preventDefault();
  });
  // Escape (the dialog's cancel) closes and removes it, as the close button does.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    done();
  });
  // A click on the backdrop (outside the frame) closes too.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) done();
  });
  document.body.appendChild(dialog);
  go(start);
  dialog.showModal();
  close.focus();
  return { dialog, go, close: done };
}
