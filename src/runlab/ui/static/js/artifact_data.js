// Reading a run's artifacts as data (JSON, the images among its files) through the
// server's artifact endpoints, and the run tags that name evaluations and tables.

import { api, tagMap } from "./api.js";

export const IMAGE_FILE = /\.(png|jpe?g|gif|webp|svg)$/i;
export const EVALUATIONS_TAG = "runlab.evaluations";
export const LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts";

export async function artifactText(runId, path) {
  let response;
  try {
    response = await fetch(api.artifactUrl(runId, path));
  } catch (err) {
    throw new Error(`${path}: the server cannot be reached (${err.message})`);
  }
  if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
  return response.text();
}

export async function artifactJson(runId, path) {
  const text = await artifactText(runId, path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${err.message})`);
  }
}

// A tag holding a JSON list; anything else (missing, malformed) is an empty list.
function jsonListTag(run, key) {
  const raw = tagMap(run)[key];
  if (!raw) return [];
  try {
    const value = JSON.parse(raw);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

// The manifest paths of a run's evaluations, in the order they were made.
export function evaluationPaths(run) {
  return jsonListTag(run, EVALUATIONS_TAG).filter((p) => typeof p === "string" && p);
}

// The table files a run names in mlflow.loggedArtifacts.
export function loggedTablePaths(run) {
  const paths = jsonListTag(run, LOGGED_ARTIFACTS_TAG)
    .filter((a) => a && a.type === "table" && typeof a.path === "string" && a.path)
    .map((a) => a.path);
  return [...new Set(paths)];
}

// Every image file under the run's artifact root, folder by folder (breadth first, each
// level listed in parallel), up to a bound so that a run with a huge tree stays quick.
export async function findImages(runId, { maxFolders = 200, maxImages = 1000 } = {}) {
  const images = [];
  let level = [""];
  let listed = 0;
  let truncated = false;
  while (level.length) {
    if (listed + level.length > maxFolders) {
      level = level.slice(0, maxFolders - listed);
      truncated = true;
    }
    listed += level.length;
    const answers = await Promise.all(level.map((path) => api.listArtifacts(runId, path).catch(() => ({ files: [] }))));
    const next = [];
    for (const answer of answers) {
      for (const file of answer.files || []) {
        if (file.is_dir) next.push(file.path);
        else if (IMAGE_FILE.test(file.path)) images.push(file.path);
      }
    }
    if (truncated || !next.length) break;
    level = next;
  }
  images.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  if (images.length > maxImages) return { images: images.slice(0, maxImages), truncated: true };
  return { images, truncated };
}

export function baseName(path) {
  return path.split("/").pop();
}
