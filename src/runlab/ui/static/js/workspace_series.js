// The charts workspace's data: every shown run's downsampled series of each key, loaded
// one key at a time for all runs in one request (metrics/downsampled/batch), then grown
// by polls that ask only for the points after the last step held (metrics/updates).
// Also the group view's summary: each group's mean, lowest and highest value on one grid.

import { api } from "./api.js";

// Fewer points per series when many runs share a chart: a panel stays about ten thousand
// points however many runs it overlays (100 lines of 100 points fill a panel's width).
export function pointsPerSeries(runCount) {
  return Math.max(100, Math.min(2000, Math.round(10000 / Math.max(1, runCount))));
}

const MAX_KEYS = 100; // the server's limit of keys per request

function number(v) {
  const n = typeof v === "number" ? v : Number(v); // "NaN", "Infinity" come as strings
  return Number.isFinite(n) ? n : null;
}

function toSeries(entry) {
  return { steps: entry.step.map(Number), times: entry.timestamp.map(Number), values: entry.value.map(number) };
}

export function seriesStore() {
  const byKey = new Map(); // key -> Map(run id -> {steps, times, values})

  // The series of `key` for `runIds`, in place of those held (`merge`: beside them).
  async function load(runIds, key, maxPoints, merge = false) {
    const answer = await api.downsampledBatch({ run_ids: runIds, metric_keys: [key], max_points: maxPoints });
    const of = merge && byKey.has(key) ? byKey.get(key) : new Map();
    for (const entry of answer.series || []) of.set(entry.run_id, toSeries(entry));
    byKey.set(key, of);
    return of;
  }

  // New points of the running runs; {statuses: Map, changed: Set of keys, behind: Set of
  // keys whose new points filled a whole answer (to load again, downsampled), logged:
  // every key the runs have logged}.
  async function poll(runIds, keys, maxPoints) {
    const statuses = new Map();
    const logged = new Set();
    const changed = new Set();
    const behind = new Set();
    for (let i = 0; i < keys.length; i += MAX_KEYS) {
      const chunk = keys.slice(i, i + MAX_KEYS);
      const after = {};
      for (const runId of runIds) {
        after[runId] = {};
        for (const key of chunk) {
          const s = byKey.get(key) && byKey.get(key).get(runId);
          if (s && s.steps.length) after[runId][key] = s.steps[s.steps.length - 1];
        }
      }
      const answer = await api.metricUpdates({ run_ids: runIds, metric_keys: chunk, after_step: after, max_points: maxPoints });
      for (const r of answer.runs || []) {
        statuses.set(r.run_id, r.status);
        for (const key of r.metric_keys || []) logged.add(key);
      }
      for (const entry of answer.series || []) {
        const fresh = toSeries(entry);
        if (fresh.steps.length >= maxPoints) behind.add(entry.metric_key);
        if (!byKey.has(entry.metric_key)) byKey.set(entry.metric_key, new Map());
        const of = byKey.get(entry.metric_key);
        const held = of.get(entry.run_id);
        if (!held) of.set(entry.run_id, fresh);
        else for (const part of ["steps", "times", "values"]) held[part].push(...fresh[part]);
        changed.add(entry.metric_key);
      }
    }
    return { statuses, changed, behind, logged: [...logged] };
  }

  return { load, poll, get: (key) => byKey.get(key) || new Map(), clear: () => byKey.clear() };
}

const GRID = 300; // points of a group's summary line when the runs' steps differ

// Each group's mean, min and max over its runs on one x grid shared by every group: the
// steps themselves when few, else GRID equal bins (a run's last value in each bin).
// groups: [{series: [{xs, ys}]}] -> {xs, stats: [{mean, min, max}]}.
export function groupBands(groups) {
  const distinct = new Set();
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of groups) {
    for (const s of g.series) {
      for (const x of s.xs) {
        if (distinct.size <= GRID * 2) distinct.add(x);
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
  }
  if (!distinct.size) return { xs: [], stats: groups.map(() => ({ mean: [], min: [], max: [] })) };
  let xs;
  let binOf;
  if (distinct.size <= GRID * 2) {
    xs = [...distinct].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    binOf = (x) => index.get(x);
  } else {
    const width = (hi - lo) / GRID || 1;
    xs = Array.from({ length: GRID }, (_, i) => lo + (i + 0.5) * width);
    binOf = (x) => Math.min(GRID - 1, Math.floor((x - lo) / width));
  }
  const n = xs.length;
  const stats = groups.map((g) => {
    const sum = new Float64Array(n);
    const count = new Uint32Array(n);
    const min = new Array(n).fill(null);
    const max = new Array(n).fill(null);
    for (const s of g.series) {
      const last = new Float64Array(n).fill(NaN);
      s.xs.forEach((x, i) => {
        if (s.ys[i] !== null) last[binOf(x)] = s.ys[i];
      });
      for (let b = 0; b < n; b++) {
        const v = last[b];
        if (Number.isNaN(v)) continue;
        sum[b] += v;
        count[b]++;
        if (min[b] === null || v < min[b]) min[b] = v;
        if (max[b] === null || v > max[b]) max[b] = v;
      }
    }
    const mean = Array.from(count, (c, b) => (c ? sum[b] / c : null));
    return { mean, min, max };
  });
  return { xs, stats };
}
