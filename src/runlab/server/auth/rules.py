"""Which resource every endpoint touches and the level it needs (``--auth``).

Each route of the app has one :class:`Rule`, keyed by URL group, method and the route's
path template; a test walks the app's route table and fails on a route without one.

``level``:
  ``public``         no credentials (health, version, the login page and login itself)
  ``authenticated``  any signed-in user; the handler decides further (own account)
  ``create``         any signed-in user; the creator gets MANAGE on what is created
  ``read`` / ``edit`` / ``manage``  that permission on the resource
  ``admin``          admins only

``resource`` (where the experiment or registered model comes from):
  ``experiment``      ``experiment_id`` in the query or JSON body
  ``experiment_name`` ``experiment_name``, looked up
  ``run``             ``run_id`` (or ``run_uuid``), via the run's experiment
  ``runs``            every ``run_id`` / ``run_ids`` value
  ``model``           registered model ``name``
  ``logged_model``    the ``model_id`` path parameter, via the model's experiment
  ``artifact_path``   the proxy path, whose first segment is the experiment id
  ``experiment_ids``  a search's ``experiment_ids``: unreadable ones are dropped

``filter`` names the list in a search answer whose items the user cannot read are
removed; ``after`` names what happens once the request succeeded.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["GROUPS", "RULES", "Rule", "match"]

TRACKING = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
PROXY = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
RUNLAB = ("/api/2.0/runlab", "/ajax-api/2.0/runlab")
ROOT = ("",)
GROUPS: dict[str, tuple[str, ...]] = {
    "tracking": TRACKING,
    "proxy": PROXY,
    "runlab": RUNLAB,
    "root": ROOT,
}


@dataclass(frozen=True)
class Rule:
    level: str
    resource: str | None = None
    filter: str | None = None  # "experiments", "registered_models" or "model_versions"
    after: str | None = None  # "grant_experiment", "grant_model" or "rename_model"


R, E, M = "read", "edit", "manage"
_exp, _run, _model = "experiment", "run", "model"

RULES: dict[tuple[str, str, str], Rule] = {
    # tracking: experiments
    ("tracking", "POST", "/experiments/create"): Rule("create", after="grant_experiment"),
    ("tracking", "GET", "/experiments/get"): Rule(R, _exp),
    ("tracking", "GET", "/experiments/get-by-name"): Rule(R, "experiment_name"),
    ("tracking", "POST", "/experiments/search"): Rule("authenticated", filter="experiments"),
    ("tracking", "GET", "/experiments/search"): Rule("authenticated", filter="experiments"),
    ("tracking", "POST", "/experiments/update"): Rule(E, _exp),
    ("tracking", "POST", "/experiments/delete"): Rule(M, _exp),
    ("tracking", "POST", "/experiments/restore"): Rule(M, _exp),
    ("tracking", "POST", "/experiments/set-experiment-tag"): Rule(E, _exp),
    ("tracking", "POST", "/experiments/delete-experiment-tag"): Rule(E, _exp),
    # tracking: runs and metrics
    ("tracking", "POST", "/runs/create"): Rule(E, _exp),
    ("tracking", "GET", "/runs/get"): Rule(R, _run),
    ("tracking", "POST", "/runs/update"): Rule(E, _run),
    ("tracking", "POST", "/runs/delete"): Rule(M, _run),
    ("tracking", "POST", "/runs/restore"): Rule(M, _run),
    ("tracking", "POST", "/runs/search"): Rule(R, "experiment_ids"),
    ("tracking", "POST", "/runs/log-metric"): Rule(E, _run),
    ("tracking", "POST", "/runs/log-parameter"): Rule(E, _run),
    ("tracking", "POST", "/runs/set-tag"): Rule(E, _run),
    ("tracking", "POST", "/runs/delete-tag"): Rule(E, _run),
    ("tracking", "POST", "/runs/log-batch"): Rule(E, _run),
    ("tracking", "POST", "/runs/log-inputs"): Rule(E, _run),
    ("tracking", "GET", "/metrics/get-history"): Rule(R, _run),
    ("tracking", "GET", "/metrics/get-history-bulk"): Rule(R, "runs"),
    ("tracking", "GET", "/metrics/get-history-bulk-interval"): Rule(R, "runs"),
    ("tracking", "GET", "/artifacts/list"): Rule(R, _run),
    # tracking: logged models
    ("tracking", "POST", "/logged-models/search"): Rule(R, "experiment_ids"),
    ("tracking", "POST", "/logged-models"): Rule(E, _exp),
    ("tracking", "GET", "/logged-models/{model_id}"): Rule(R, "logged_model"),
    ("tracking", "PATCH", "/logged-models/{model_id}"): Rule(E, "logged_model"),
    ("tracking", "DELETE", "/logged-models/{model_id}"): Rule(M, "logged_model"),
    ("tracking", "PATCH", "/logged-models/{model_id}/tags"): Rule(E, "logged_model"),
    ("tracking", "DELETE", "/logged-models/{model_id}/tags/{key:path}"): Rule(E, "logged_model"),
    ("tracking", "POST", "/logged-models/{model_id}/params"): Rule(E, "logged_model"),
    ("tracking", "GET", "/logged-models/{model_id}/artifacts/directories"): Rule(R, "logged_model"),
    ("tracking", "POST", "/runs/outputs"): Rule(E, _run),
    # registry
    ("tracking", "POST", "/registered-models/create"): Rule("create", after="grant_model"),
    ("tracking", "GET", "/registered-models/get"): Rule(R, _model),
    ("tracking", "POST", "/registered-models/rename"): Rule(E, _model, after="rename_model"),
    ("tracking", "PATCH", "/registered-models/update"): Rule(E, _model),
    ("tracking", "DELETE", "/registered-models/delete"): Rule(M, _model),
    ("tracking", "GET", "/registered-models/search"): Rule(
        "authenticated", filter="registered_models"
    ),
    ("tracking", "POST", "/registered-models/get-latest-versions"): Rule(R, _model),
    ("tracking", "GET", "/registered-models/get-latest-versions"): Rule(R, _model),
    ("tracking", "POST", "/registered-models/set-tag"): Rule(E, _model),
    ("tracking", "DELETE", "/registered-models/delete-tag"): Rule(E, _model),
    ("tracking", "POST", "/registered-models/alias"): Rule(E, _model),
    ("tracking", "DELETE", "/registered-models/alias"): Rule(E, _model),
    ("tracking", "GET", "/registered-models/alias"): Rule(R, _model),
    ("tracking", "POST", "/model-versions/create"): Rule(E, _model),
    ("tracking", "GET", "/model-versions/get"): Rule(R, _model),
    ("tracking", "PATCH", "/model-versions/update"): Rule(E, _model),
    ("tracking", "POST", "/model-versions/transition-stage"): Rule(E, _model),
    ("tracking", "DELETE", "/model-versions/delete"): Rule(M, _model),
    ("tracking", "GET", "/model-versions/search"): Rule("authenticated", filter="model_versions"),
    ("tracking", "GET", "/model-versions/get-download-uri"): Rule(R, _model),
    ("tracking", "POST", "/model-versions/set-tag"): Rule(E, _model),
    ("tracking", "DELETE", "/model-versions/delete-tag"): Rule(E, _model),
    ("tracking", "GET", "/model-versions/stage-history"): Rule(R, _model),
    # MLflow's user and permission API
    ("tracking", "POST", "/users/create"): Rule("admin"),
    ("tracking", "GET", "/users/get"): Rule("authenticated"),
    ("tracking", "PATCH", "/users/update-password"): Rule("authenticated"),
    ("tracking", "PATCH", "/users/update-admin"): Rule("admin"),
    ("tracking", "DELETE", "/users/delete"): Rule("admin"),
    ("tracking", "POST", "/experiments/permissions/create"): Rule(M, _exp),
    ("tracking", "GET", "/experiments/permissions/get"): Rule(M, _exp),
    ("tracking", "PATCH", "/experiments/permissions/update"): Rule(M, _exp),
    ("tracking", "DELETE", "/experiments/permissions/delete"): Rule(M, _exp),
    ("tracking", "POST", "/registered-models/permissions/create"): Rule(M, _model),
    ("tracking", "GET", "/registered-models/permissions/get"): Rule(M, _model),
    ("tracking", "PATCH", "/registered-models/permissions/update"): Rule(M, _model),
    ("tracking", "DELETE", "/registered-models/permissions/delete"): Rule(M, _model),
    # runlab's own API: charts, session, users and tokens
    ("runlab", "GET", "/metrics/downsampled"): Rule(R, _run),
    ("runlab", "POST", "/runs/count"): Rule(R, "experiment_ids"),
    ("runlab", "POST", "/runs/groups"): Rule(R, "experiment_ids"),
    ("runlab", "GET", "/artifacts/get"): Rule(R, _run),
    ("runlab", "POST", "/session"): Rule("public"),
    ("runlab", "DELETE", "/session"): Rule("public"),
    ("runlab", "GET", "/session"): Rule("authenticated"),
    ("runlab", "GET", "/users"): Rule("admin"),
    ("runlab", "POST", "/users"): Rule("admin"),
    ("runlab", "DELETE", "/users/{username}"): Rule("admin"),
    ("runlab", "GET", "/users/{username}/tokens"): Rule("authenticated"),
    ("runlab", "POST", "/users/{username}/tokens"): Rule("authenticated"),
    ("runlab", "DELETE", "/users/{username}/tokens/{name}"): Rule("authenticated"),
    # artifact proxy: paths start with the experiment id
    ("proxy", "GET", "/artifacts"): Rule(R, "artifact_path"),
    ("proxy", "GET", "/artifacts/{path:path}"): Rule(R, "artifact_path"),
    ("proxy", "PUT", "/artifacts/{path:path}"): Rule(E, "artifact_path"),
    ("proxy", "DELETE", "/artifacts/{path:path}"): Rule(M, "artifact_path"),
    ("proxy", "POST", "/mpu/create/{path:path}"): Rule(E, "artifact_path"),
    # The upload id is unguessable and only handed out by mpu/create, which checked EDIT.
    ("proxy", "PUT", "/mpu/upload/{upload_id}/{part_number}"): Rule("authenticated"),
    ("proxy", "POST", "/mpu/complete/{path:path}"): Rule(E, "artifact_path"),
    ("proxy", "POST", "/mpu/abort/{path:path}"): Rule(E, "artifact_path"),
    # the server itself, and the file download MLflow's web UI uses
    ("root", "GET", "/health"): Rule("public"),
    ("root", "GET", "/version"): Rule("public"),
    ("root", "GET", "/login"): Rule("public"),
    ("root", "GET", "/get-artifact"): Rule(R, _run),
    ("root", "GET", "/api/openapi.json"): Rule("authenticated"),
    ("root", "GET", "/api/docs"): Rule("authenticated"),
    ("root", "GET", "/docs/oauth2-redirect"): Rule("public"),
}


def _regex(template: str) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name, _, kind = part[1:-1].partition(":")
            out += f"(?P<{name}>.*)" if kind == "path" else f"(?P<{name}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$")


@functools.lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, str, re.Pattern[str], Rule]]:
    items = []
    for (group, method, template), rule in RULES.items():
        for prefix in GROUPS[group]:
            items.append((method, prefix + template, _regex(prefix + template), rule))
    # Literal paths before templates, longer before shorter: /artifacts/list is not a
    # proxy path, and /experiments/permissions/get is not /experiments/get.
    items.sort(key=lambda i: ("{" in i[1], -len(i[1])))
    return items


def match(method: str, path: str) -> tuple[Rule, dict[str, str]] | None:
    """The rule for a request and its path parameters; HEAD is checked as GET."""
    method = "GET" if method == "HEAD" else method
    for rule_method, _template, pattern, rule in _compiled():
        if rule_method != method:
            continue
        found = pattern.match(path)
        if found:
            return rule, found.groupdict()
    return None
