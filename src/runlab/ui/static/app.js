// runlab's web UI: a single page app routed by the URL hash.

import { clear, h } from "./js/dom.js";
import { canonicalHash } from "./js/mlflow_urls.js";
import { parseHash } from "./js/state.js";
import { experimentsView } from "./js/views/experiments.js";
import { runsView } from "./js/views/runs.js";
import { runView } from "./js/views/run.js";
import { compareView } from "./js/views/compare.js";
import { modelsView } from "./js/views/models.js";
import { modelView } from "./js/views/model.js";
import { versionView } from "./js/views/version.js";
import { loggedModelView } from "./js/views/logged_model.js";

const main = document.getElementById("main");
let cleanup = null;

const routes = [
  [/^\/?$/, experimentsView],
  [/^\/experiments$/, experimentsView],
  [/^\/experiments\/[^/]+$/, runsView],
  [/^\/runs$/, runsView],
  [/^\/experiments\/[^/]+\/runs\/[^/]+(\/.*)?$/, runView],
  [/^\/run\/[^/]+$/, runView],
  [/^\/compare-runs$/, compareView],
  [/^\/models$/, modelsView],
  [/^\/models\/[^/]+$/, modelView],
  [/^\/models\/[^/]+\/versions\/[^/]+$/, versionView],
  [/^\/experiments\/[^/]+\/models\/[^/]+$/, loggedModelView],
];

// The top navigation marks the section the page belongs to.
function markSection(path) {
  const section = path.startsWith("/models") ? "models" : "experiments";
  for (const link of document.querySelectorAll("[data-section]")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// Views keep their own state in the URL with history.replaceState, which fires no
// hashchange; a hashchange is a real navigation and renders the view afresh.
let generation = 0;
async function render() {
  let route = parseHash();
  const canonical = canonicalHash(route);
  if (canonical) {
    history.replaceState(null, "", canonical);
    route = parseHash();
  }
  // An experiment's runs page reads its experiment as the multi-experiment form does.
  if (route.parts[0] === "experiments" && route.parts.length === 2) route.params.set("e", route.parts[1]);
  const mine = ++generation;
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  const found = routes.find(([pattern]) => pattern.test(route.path));
  markSection(route.path);
  clear(main);
  if (!found) {
    main.appendChild(h("section", { class: "page" }, h("h1", null, "Not found"), h("p", null, "No page at ", h("code", null, route.path), ". ", h("a", { href: "#/" }, "Back to experiments"))));
    return;
  }
  const ctx = {
    route,
    main,
    // False once the user has navigated elsewhere: late answers are then dropped.
    alive: () => mine === generation,
    onCleanup(fn) {
      const previous = cleanup;
      cleanup = () => {
        if (previous) previous();
        fn();
      };
    },
  };
  try {
    await found[1](ctx);
  } catch (err) {
    console.error(err);
    main.appendChild(h("p", { class: "error-box", role: "alert" }, `Could not load this page: ${err.message}`));
  }
}

function setupTheme() {
  const button = document.getElementById("theme-toggle");
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const current = () => document.documentElement.dataset.theme || (media.matches ? "dark" : "light");
  const sync = () => {
    const dark = current() === "dark";
    button.setAttribute("aria-pressed", String(dark));
    button.title = dark ? "Switch to the light theme" : "Switch to the dark theme";
  };
  button.addEventListener("click", () => {
    const next = current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem("runlab.theme", next);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
    sync();
    window.dispatchEvent(new CustomEvent("runlab:theme"));
  });
  media.addEventListener("change", () => {
    sync();
    window.dispatchEvent(new CustomEvent("runlab:theme"));
  });
  sync();
}

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
setupTheme();
window.addEventListener("hashchange", () => render());
render();
