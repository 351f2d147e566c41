"""What each route needs under ``--auth``, declared on the route's handler.

Every handler carries an :class:`Access` given with the :func:`access` decorator; the
app refuses to build a route without one (:class:`runlab.server._routing.GuardedRoute`).
The check runs inside the route, after FastAPI has parsed the request, on the very
arguments the handler receives: the permission is decided on the values the handler
uses, never on another reading of the query string or body.

``level``:
  ``public``         no credentials (health, version, the sign-in page and sign-in itself)
  ``authenticated``  any signed-in user; the handler decides further (own account)
  ``create``         any signed-in user; the creator gets MANAGE on what is created
  ``read`` / ``edit`` / ``manage``  that permission on every target
  ``admin``          admins only

Targets name where the request's experiments and registered models come from
(:func:`experiment`, :func:`run`, :func:`model`...). ``narrow`` names a list of
experiment ids that is cut down to the readable ones before the handler runs;
``filter`` names the list in the answer whose unreadable items are dropped; ``after``
names what happens once the handler succeeded; ``reads`` are further targets that need
only READ (the run a new model version comes from).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ACCESS_ATTRIBUTE",
    "Access",
    "Args",
    "Target",
    "access",
    "access_of",
    "artifact_path",
    "experiment",
    "experiment_name",
    "logged_model",
    "model",
    "run",
    "runs",
]

ACCESS_ATTRIBUTE = "__runlab_access__"

Level = Literal["public", "authenticated", "create", "read", "edit", "manage", "admin"]
LEVELS: tuple[str, ...] = ("public", "authenticated", "create", "read", "edit", "manage", "admin")
# kind of a target: "experiment", "experiment_name", "run", "model", "logged_model",
# "artifact_path"; the authorizer turns each into experiments or registered models.
Target = tuple[str, str]


class Args:
    """The arguments a handler is called with, read by name: a keyword argument, or else
    a field of the parsed JSON body (``body``)."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs

    def get(self, name: str) -> Any:
        if name in self.kwargs:
            return self.kwargs[name]
        body = self.kwargs.get("body")
        return getattr(body, name, None) if body is not None else None

    def set(self, name: str, value: Any) -> None:
        if name in self.kwargs:
            self.kwargs[name] = value
        else:
            setattr(self.kwargs["body"], name, value)


@dataclass(frozen=True)
class Targets:
    """Reads one kind of target from named arguments: the first of ``names`` that is
    set (``run_id``, else the older ``run_uuid``, as ``require_run_id`` reads them), or
    with ``many`` every value of a list."""

    kind: str
    names: tuple[str, ...]
    many: bool = False

    def __call__(self, args: Args) -> list[Target]:
        if self.many:
            values = args.get(self.names[0]) or []
            return [(self.kind, str(v)) for v in values if v not in (None, "")]
        for name in self.names:
            value = args.get(name)
            if value not in (None, ""):
                return [(self.kind, str(value))]
        if self.kind == "artifact_path":  # no path is the artifact root, still a target
            return [(self.kind, "")]
        return []

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(self.names)}{', each' if self.many else ''})"


def experiment(name: str = "experiment_id") -> Targets:
    return Targets("experiment", (name,))


def experiment_name(name: str = "experiment_name") -> Targets:
    return Targets("experiment_name", (name,))


def run() -> Targets:
    return Targets("run", ("run_id", "run_uuid"))


def runs(name: str) -> Targets:
    return Targets("run", (name,), many=True)


def model(name: str = "name") -> Targets:
    return Targets("model", (name,))


def logged_model(name: str = "model_id") -> Targets:
    return Targets("logged_model", (name,))


def artifact_path(name: str = "path") -> Targets:
    return Targets("artifact_path", (name,))


@dataclass(frozen=True)
class Access:
    level: Level
    targets: tuple[Callable[[Args], list[Target]], ...] = ()
    reads: tuple[Callable[[Args], list[Target]], ...] = ()  # need READ only
    narrow: str | None = None  # an argument listing experiment ids
    filter: str | None = None  # "experiments", "registered_models" or "model_versions"
    after: str | None = None  # "grant_experiment", "grant_model", "rename_model", "forget_model"

    def describe(self) -> str:
        parts = [self.level, *(str(t) for t in self.targets)]
        parts += [f"read {t}" for t in self.reads]
        if self.narrow:
            parts.append(f"narrow({self.narrow})")
        if self.filter:
            parts.append(f"filter({self.filter})")
        if self.after:
            parts.append(f"after({self.after})")
        return " ".join(parts)

    def targets_of(self, args: Args) -> Iterable[Target]:
        for read in self.targets:
            yield from read(args)

    def reads_of(self, args: Args) -> Iterable[Target]:
        for read in self.reads:
            yield from read(args)


def access(
    level: Level,
    *targets: Callable[[Args], list[Target]],
    reads: tuple[Callable[[Args], list[Target]], ...] = (),
    narrow: str | None = None,
    filter: str | None = None,
    after: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declares what the decorated handler needs; put it below the route decorator."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")
    if level in ("read", "edit", "manage") and not targets and narrow is None:
        raise ValueError(f"a {level!r} rule needs a target")
    rule = Access(level, tuple(targets), tuple(reads), narrow, filter, after)

    def mark(handler: Callable[..., Any]) -> Callable[..., Any]:
        setattr(handler, ACCESS_ATTRIBUTE, rule)
        return handler

    return mark


def access_of(handler: Any) -> Access | None:
    return getattr(handler, ACCESS_ATTRIBUTE, None)
