// The run page's Artifacts tab: the browser, the tables the run names in
// mlflow.loggedArtifacts (each opens in the browser's preview) and every image as a grid.

import { artifactBrowser } from "../artifacts.js";
import { findImages, loggedTablePaths } from "../artifact_data.js";
import { h } from "../dom.js";
import { thumbnailGrid } from "../image_viewer.js";

export function artifactsPanel(runId, run, openPath) {
  const browser = artifactBrowser(runId, openPath);
  const tables = loggedTablePaths(run);
  const tablesCard = tables.length
    ? h(
        "div",
        { class: "card logged-tables" },
        h("h2", null, `Tables (${tables.length})`),
        h("ul", { class: "link-list" }, tables.map((path) => h("li", null, h("button", { type: "button", class: "btn small", "data-path": path, onclick: () => browser.open(path) }, path)))),
      )
    : null;
  const gallery = h("div", { class: "card image-gallery", hidden: true });
  findImages(runId).then(({ images, truncated }) => {
    if (!images.length) return;
    gallery.hidden = false;
    gallery.append(
      h("h2", null, `Images (${images.length}${truncated ? "+" : ""})`),
      thumbnailGrid(images.map((path) => ({ runId, path, caption: path }))),
    );
  });
  return [tablesCard, browser.el, gallery];
}
