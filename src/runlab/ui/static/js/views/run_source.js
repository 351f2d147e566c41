// Where a run came from: its source, source type, git commit and, for a project run, the
// exact `runlab run` command that runs it again (the "Re-run" line).

import { h } from "../dom.js";
import { shortCommit } from "../format.js";

const SAFE = /^[\w@%+=:,./-]+$/;

// POSIX shell quoting, as Python's shlex.quote does.
function quote(word) {
  const text = String(word);
  return text && SAFE.test(text) ? text : `'${text.replace(/'/g, `'"'"'`)}'`;
}

// runlab records the command it ran (runlab.project.command); a run made by `mlflow run`
// gets one rebuilt from MLflow's project tags and the run's params.
export function rerunCommand(run, tags) {
  if (tags["runlab.project.command"]) return tags["runlab.project.command"];
  if (tags["mlflow.source.type"] !== "PROJECT" || !tags["mlflow.source.name"]) return null;
  const source = tags["mlflow.source.name"];
  const words = ["runlab", "run", source];
  const commit = tags["mlflow.source.git.commit"];
  if (commit && /^[\w+.-]+:\/\/|^[\w.-]+@[\w.-]+:/.test(source)) words.push("--version", commit);
  words.push("-e", tags["mlflow.project.entryPoint"] || "main");
  for (const p of (run.data && run.data.params) || []) words.push("-P", `${p.key}=${p.value}`);
  const env = tags["mlflow.project.env"];
  if (["local", "virtualenv", "uv", "conda"].includes(env)) words.push("--env-manager", env);
  words.push("--experiment-id", run.info.experiment_id);
  return words.map(quote).join(" ");
}

function rerunCell(command) {
  const copy = h("button", { type: "button", class: "btn small", "aria-label": "Copy the re-run command" }, "Copy");
  copy.addEventListener("click", () =>
    navigator.clipboard.writeText(command).then(
      () => (copy.textContent = "Copied"),
      () => (copy.textContent = "Select and copy"),
    ),
  );
  return h("span", { class: "rerun" }, h("code", { class: "rerun-command", style: { wordBreak: "break-all" } }, command), " ", copy);
}

export function sourceFields(run, tags) {
  const commit = tags["mlflow.source.git.commit"];
  const command = rerunCommand(run, tags);
  return [
    ["Source", tags["mlflow.source.name"] ? h("span", { class: "mono", title: tags["mlflow.source.name"] }, tags["mlflow.source.name"]) : "—"],
    ["Source type", tags["mlflow.source.type"] || "—"],
    ["Git commit", commit ? h("span", { class: "mono", title: commit }, shortCommit(commit)) : "—"],
    ...(command ? [["Re-run", rerunCell(command)]] : []),
  ];
}
