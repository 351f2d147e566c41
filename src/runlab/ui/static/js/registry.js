// Pieces shared by the model registry pages: links, stage badges, alias pills.

import { h } from "./dom.js";

export const STAGES = ["None", "Staging", "Production", "Archived"];

// A model name may hold any character but '/' and ':', so it travels encoded in the hash.
export const modelHash = (name) => `#/models/${encodeURIComponent(name)}`;
export const versionHash = (name, version) => `${modelHash(name)}/versions/${encodeURIComponent(String(version))}`;

export function stageBadge(stage) {
  const s = stage || "None";
  return h("span", { class: `stage stage-${s.toLowerCase()}`, title: `Stage: ${s}` }, s);
}

export function aliasPill(name, alias, version) {
  return h(
    "a",
    { class: "alias", href: versionHash(name, version), title: `@${alias} is version ${version}` },
    `@${alias}`,
    version !== undefined ? h("span", { class: "alias-version" }, ` v${version}`) : null,
  );
}

// Nodes with a space between each two.
export function joined(nodes) {
  const out = [];
  nodes.forEach((node, i) => {
    if (i) out.push(" ");
    out.push(node);
  });
  return out;
}
