// The run page's Datasets tab: each dataset input with its context, digest, source and schema.

import { h } from "../dom.js";

export function datasetsPanel(run) {
  const inputs = (run.inputs && run.inputs.dataset_inputs) || [];
  if (!inputs.length) return [h("p", { class: "muted" }, "No datasets logged.")];
  return inputs.map((input) => {
    const ds = input.dataset || {};
    const context = (input.tags || []).find((t) => t.key === "mlflow.data.context");
    let schema = ds.schema || "";
    try {
      schema = JSON.stringify(JSON.parse(schema), null, 2);
    } catch {
      /* shown as it is */
    }
    return h(
      "div",
      { class: "card" },
      h("h2", null, ds.name || "dataset", context ? h("span", { class: "pill" }, context.value) : null),
      h(
        "dl",
        { class: "details" },
        [
          ["Digest", ds.digest],
          ["Source type", ds.source_type],
          ["Source", ds.source],
          ["Profile", ds.profile],
        ].map(([k, v]) => [h("dt", null, k), h("dd", { class: "mono" }, v || "—")]),
      ),
      schema ? h("details", null, h("summary", null, "Schema"), h("pre", { class: "code" }, schema)) : null,
    );
  });
}
