// Artifact browser: a folder tree on the left, a preview on the right. Previews never run
// anything from the artifact: text is shown as text, HTML goes into a sandboxed iframe with
// scripts disabled, images load as images, a JSON table becomes a paged table.

import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { setImage } from "./image_viewer.js";
import { isTableShape, tableView } from "./table_view.js";

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;
const TEXT = /\.(txt|log|md|py|sh|cfg|ini|toml|xml|r|sql|js|ts|c|h|cpp|java|go|rs|mlmodel|requirements|lock)$|(^|\/)(MLmodel|Dockerfile|LICENSE|README)$/i;
const MAX_PREVIEW_BYTES = 2_000_000;
// A JSON table renders one page at a time, so a far larger one can be shown.
const MAX_TABLE_BYTES = 200_000_000;

// `openPath` (a file or folder, as in MLflow's .../artifacts/PATH addresses) is opened
// and, for a file, previewed once the tree is listed.
export function artifactBrowser(runId, openPath = "") {
  const tree = h("ul", { class: "artifact-tree", role: "tree", "aria-label": "Artifacts" });
  const preview = h("div", { class: "artifact-preview", "aria-live": "polite" }, h("p", { class: "muted" }, "Select a file to preview it."));
  const el = h("div", { class: "artifacts" }, h("div", { class: "artifact-side" }, tree), preview);

  async function list(path, into) {
    let data;
    try {
      data = await api.listArtifacts(runId, path);
    } catch (err) {
      into.appendChild(h("li", { class: "error-box" }, `Could not list artifacts: ${err.message}`));
      return;
    }
    const files = (data.files || []).slice().sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path));
    if (!files.length && !path) into.appendChild(h("li", { class: "muted" }, "No artifacts."));
    for (const file of files) into.appendChild(node(file));
  }

  function node(file) {
    const name = file.path.split("/").pop();
    if (file.is_dir) {
      const children = h("ul", { role: "group", hidden: true });
      let loaded = false;
      const button = h(
        "button",
        {
          type: "button",
          class: "tree-item dir",
          "data-path": file.path,
          "aria-expanded": "false",
          onclick: async () => {
            const open = button.getAttribute("aria-expanded") === "true";
            button.setAttribute("aria-expanded", String(!open));
            children.hidden = open;
            if (!loaded) {
              loaded = true;
              await list(file.path, children);
            }
          },
        },
        h("span", { class: "icon", "aria-hidden": "true" }, "▸"),
        name,
      );
      // reveal() opens a folder and waits for its listing.
      button.openFolder = async () => {
        button.setAttribute("aria-expanded", "true");
        children.hidden = false;
        if (!loaded) {
          loaded = true;
          await list(file.path, children);
        }
      };
      return h("li", { role: "treeitem" }, button, children);
    }
    const button = h(
      "button",
      {
        type: "button",
        class: "tree-item file",
        "data-path": file.path,
        onclick: () => {
          for (const b of tree.querySelectorAll(".tree-item.active")) b.classList.remove("active");
          button.classList.add("active");
          show(file);
        },
      },
      h("span", { class: "icon", "aria-hidden": "true" }, "·"),
      name,
      file.file_size !== undefined ? h("span", { class: "muted size" }, formatBytes(Number(file.file_size))) : null,
    );
    return h("li", { role: "treeitem" }, button);
  }

  async function show(file) {
    const url = api.artifactUrl(runId, file.path);
    const size = Number(file.file_size || 0);
    clear(preview);
    preview.appendChild(
      h(
        "div",
        { class: "preview-head" },
        h("span", { class: "mono" }, file.path),
        h("a", { class: "btn small", href: url, download: file.path.split("/").pop() }, "Download"),
      ),
    );
    const body = h("div", { class: "preview-body" });
    preview.appendChild(body);
    const lower = file.path.toLowerCase();
    if (IMAGE.test(lower)) {
      // SVG as <img> cannot run scripts.
      const image = h("img", { alt: file.path, class: "preview-image" });
      setImage(image, runId, file.path);
      body.appendChild(image);
      return;
    }
    const isJson = /\.json$/.test(lower);
    if (size > (isJson ? MAX_TABLE_BYTES : MAX_PREVIEW_BYTES)) {
      body.appendChild(h("p", { class: "muted" }, `Too large to preview (${formatBytes(size)}); use Download.`));
      return;
    }
    if (/\.html?$/.test(lower)) {
      const text = await fetchText(url, body);
      if (text === null) return;
      // No allow-scripts, no allow-same-origin: the page is inert and isolated.
      const frame = h("iframe", { sandbox: "", class: "preview-html", title: `Preview of ${file.path}`, referrerpolicy: "no-referrer" });
      frame.srcdoc = text;
      body.appendChild(frame);
      return;
    }
    const isCsv = /\.(csv|tsv)$/.test(lower);
    const isYaml = /\.(ya?ml)$/.test(lower) || /(^|\/)MLmodel$/.test(file.path);
    if (!(isJson || isCsv || isYaml || TEXT.test(file.path) || size < 200_000)) {
      body.appendChild(h("p", { class: "muted" }, "No preview for this file type."));
      return;
    }
    const text = await fetchText(url, body);
    if (text === null) return;
    if (isJson) {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (isTableShape(parsed)) body.appendChild(tableView(parsed, { label: file.path }).el);
      else if (size > MAX_PREVIEW_BYTES) body.appendChild(h("p", { class: "muted" }, `Too large to preview (${formatBytes(size)}); use Download.`));
      else body.appendChild(h("pre", { class: "code" }, parsed === undefined ? text : JSON.stringify(parsed, null, 2)));
    } else if (isCsv) {
      body.appendChild(csvTable(text, lower.endsWith(".tsv") ? "\t" : ","));
    } else if (looksBinary(text)) {
      body.appendChild(h("p", { class: "muted" }, "Binary file: no preview."));
    } else {
      body.appendChild(h("pre", { class: "code" }, text));
    }
  }

  // Expand each folder on the way to openPath (each click lists it), then pick the target.
  async function reveal(path) {
    const segments = path.split("/").filter(Boolean);
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join("/");
      const button = [...tree.querySelectorAll(".tree-item")].find((b) => b.dataset.path === prefix);
      if (!button) return;
      if (button.classList.contains("file")) button.click();
      else await button.openFolder();
    }
  }

  const listed = list("", tree);
  listed.then(() => (openPath ? reveal(openPath) : null));
  // open(path): reveal and preview a file, once the top level is listed.
  return { el, open: (path) => listed.then(() => reveal(path)) };
}

async function fetchText(url, body) {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return await response.text();
  } catch (err) {
    body.appendChild(h("p", { class: "error-box" }, `Could not load the file: ${err.message}`));
    return null;
  }
}

function looksBinary(text) {
  const sample = text.slice(0, 1000);
  return /\u0000/.test(sample) || (sample.match(/\uFFFD/g) || []).length > 10;
}

// CSV with quoted fields; the first 500 rows become a table.
export function parseCsv(text, sep = ",") {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (rows.length > 500) break;
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function csvTable(text, sep) {
  const rows = parseCsv(text, sep);
  if (!rows.length) return h("p", { class: "muted" }, "Empty file.");
  const [head, ...rest] = rows;
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table csv-table" },
      h("thead", null, h("tr", null, head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, rest.map((r) => h("tr", null, r.map((c) => h("td", null, c))))),
    ),
  );
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}
