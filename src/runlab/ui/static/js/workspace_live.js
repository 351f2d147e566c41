// The charts workspace's live side. While the tab is visible, a poll every POLL_MS asks for
// the points the running runs logged after the last step held, with every key each of them
// has now (one metrics/updates request), and for runs of the view's filter started after
// the newest one shown (a runs search that usually finds nothing). New runs and new keys
// join the charts without a reload; with no run running only the search is made, and with
// ticked runs (a fixed set) or a full workspace not even that.

import { api, requests } from "./api.js";
import { quoteString } from "./state.js";
import { pointsPerSeries } from "./workspace_series.js";

export const POLL_MS = 3000;

// ws: {el, state, maxRuns, store, runs(), keys(), statuses, alive(), addRuns(runs),
// addKeys(keys), redraw(keys), note(text)}; everything it changes goes through those.
export function liveUpdates(ws) {
  let timer = null;
  let polling = false;
  let generation = 0;

  const running = () => ws.runs().filter((r) => ws.statuses.get(r.info.run_id) === "RUNNING").map((r) => r.info.run_id);
  const watching = () => !ws.state.selected.size && ws.runs().length < ws.maxRuns;
  const newest = () => ws.runs().reduce((t, r) => Math.max(t, Number(r.info.start_time) || 0), 0);

  function schedule() {
    clearTimeout(timer);
    timer = null;
    const shown = document.visibilityState === "visible" && !ws.el.hidden;
    const live = shown && running().length > 0 && ws.keys().length > 0;
    ws.el.dataset.live = live ? "on" : "off";
    ws.el.dataset.watch = shown && watching() ? "on" : "off";
    if (live || (shown && watching())) timer = setTimeout(poll, POLL_MS);
  }

  // Runs of the filter that started after the newest shown, at most the room left.
  async function newRuns() {
    if (!watching()) return [];
    const since = `attributes.start_time > ${newest()}`;
    const filter = ws.state.filter ? `(${ws.state.filter}) AND ${since}` : since;
    const room = ws.maxRuns - ws.runs().length;
    const page = await api.searchRuns(requests.runsSearchBody({ ...ws.state, filter }, { max_results: room }));
    const known = new Set(ws.runs().map((r) => r.info.run_id));
    return (page.runs || []).filter((r) => !known.has(r.info.run_id));
  }

  async function newPoints(ids) {
    if (!ids.length) return { changed: new Set(), logged: [] };
    if (!ws.keys().length) {
      // Nothing to ask points of yet: the running runs' keys, from the runs themselves.
      const filter = `attributes.run_id IN (${ids.map(quoteString).join(", ")})`;
      const page = await api.searchRuns(requests.runsSearchBody({ ...ws.state, filter }, { max_results: ids.length }));
      for (const r of page.runs || []) ws.statuses.set(r.info.run_id, r.info.status);
      return { changed: new Set(), logged: (page.runs || []).flatMap((r) => (r.data.metrics || []).map((m) => m.key)) };
    }
    const maxPoints = pointsPerSeries(ws.runs().length);
    const { statuses, changed, behind, logged } = await ws.store.poll(ids, ws.keys(), maxPoints);
    statuses.forEach((status, id) => ws.statuses.set(id, status));
    const all = ws.runs().map((r) => r.info.run_id);
    for (const key of behind) await ws.store.load(all, key, maxPoints);
    return { changed, logged };
  }

  async function poll() {
    timer = null;
    if (polling) return schedule();
    polling = true;
    const mine = generation;
    try {
      const [{ changed, logged }, fresh] = await Promise.all([newPoints(running()), newRuns()]);
      if (mine !== generation || !ws.alive()) return;
      ws.el.dataset.polls = String(Number(ws.el.dataset.polls) + 1);
      const known = new Set(ws.keys());
      const lateKeys = [...new Set(logged.filter((k) => !known.has(k)))];
      if (fresh.length) await ws.addRuns(fresh);
      if (lateKeys.length) await ws.addKeys(lateKeys);
      if (mine !== generation) return;
      ws.redraw([...changed].filter((k) => known.has(k)));
    } catch (err) {
      ws.note(`Live update failed: ${err.message}`);
    } finally {
      polling = false;
    }
    if (mine === generation) schedule();
  }

  // A hidden tab asks nothing; back in view, it catches up at once.
  function onVisibility() {
    if (document.visibilityState !== "visible") return stop();
    if (ws.el.dataset.state === "ready" && !ws.el.hidden) poll();
  }
  document.addEventListener("visibilitychange", onVisibility);

  function stop() {
    clearTimeout(timer);
    timer = null;
    ws.el.dataset.live = "off";
    ws.el.dataset.watch = "off";
  }

  return {
    start: schedule,
    // A new load: answers of polls already sent are dropped.
    reset() {
      generation++;
      stop();
    },
    stop,
    destroy() {
      generation++;
      stop();
      document.removeEventListener("visibilitychange", onVisibility);
    },
  };
}
