// Formatting of times, durations, numbers and the run fields every page shows.

import { h } from "./dom.js";

export function formatTime(ms) {
  if (ms === undefined || ms === null || ms === "") return "";
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms) || ms < 0) return "";
  const s = ms / 1000;
  if (s < 1) return `${Math.round(ms)}ms`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${m % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function runDuration(info) {
  const start = Number(info.start_time);
  if (!start) return null;
  const end = info.end_time ? Number(info.end_time) : info.status === "RUNNING" ? Date.now() : null;
  return end ? end - start : null;
}

export function formatNumber(value) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (Number.isNaN(n)) return String(value);
  if (!Number.isFinite(n)) return n > 0 ? "∞" : "-∞";
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e6)) return n.toExponential(4);
  return String(Number(n.toPrecision(6)));
}

export function statusBadge(status) {
  const s = status || "UNKNOWN";
  return h("span", { class: `status status-${s.toLowerCase()}`, title: s }, s.toLowerCase());
}

// A run the server ended because its heartbeats stopped (tag runlab.crashed): shown as
// "crashed", with its end time, which is its last heartbeat.
export function isCrashed(run) {
  const tags = (run.data && run.data.tags) || [];
  return run.info.status === "FAILED" && tags.some((t) => t.key === "runlab.crashed" && t.value === "true");
}

export function lastSignOfLife(run) {
  return `no heartbeat since ${formatTime(run.info.end_time) || "its start"}`;
}

export function runStatusBadge(run) {
  if (!isCrashed(run)) return statusBadge(run.info.status);
  const title = `Crashed (ended FAILED): ${lastSignOfLife(run)}`;
  return h("span", { class: "status status-crashed", title }, "crashed");
}

// The badge, and for a crashed run a line saying when it was last heard from.
export function runStatusDetail(run) {
  if (!isCrashed(run)) return statusBadge(run.info.status);
  return h("span", null, runStatusBadge(run), " ", h("span", { class: "crash-note" }, lastSignOfLife(run)));
}

export function shortCommit(commit) {
  return commit ? commit.slice(0, 8) : "";
}

// Source name: keep the file name of a path, it is what people recognise.
export function shortSource(source) {
  if (!source) return "";
  const parts = source.split(/[\\/]/);
  return parts[parts.length - 1] || source;
}
