"""Parameters of an entry point: typing, defaults, and the command they fill in.

Values keep the text the user gave (``0.30`` stays ``0.30``) once they pass their type's
check; ``path`` values become absolute paths in the command, ``uri`` values pass through.
Parameters the entry point does not declare are appended as ``--key value``, and every
value is shell-quoted, so a value is never read as shell syntax.
"""

from __future__ import annotations

import math
import shlex
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from runlab.errors import InvalidInputError
from runlab.projects.spec import EntryPoint, Parameter

_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_-.")


@dataclass(frozen=True)
class ResolvedCommand:
    """The shell command to run, and the parameters to log as the user gave them."""

    command: str
    params: dict[str, str]  # declared ones (defaults included), then the extra ones
    extra: dict[str, str]
    given: dict[str, str]  # what the user passed, ``path`` values made absolute


def as_text(value: Any) -> str:
    """A parameter value from the Python API as the text a command line would carry."""
    return value if isinstance(value, str) else str(value)


def parse_param_list(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``-P key=value`` options → a dict; a later repeat of a key wins."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"-P {item!r} is not KEY=VALUE")
        found[key.strip()] = value
    return found


def resolve(
    entry: EntryPoint, given: Mapping[str, Any], cwd: Path, project_dir: Path
) -> ResolvedCommand:
    """Check every value against its declared type and fill ``entry``'s command in.

    A relative ``path`` the user gave is relative to ``cwd``; a default one, to the project.
    """
    values = {str(k): as_text(v) for k, v in given.items()}
    missing = [
        name for name, p in entry.parameters.items() if p.default is None and name not in values
    ]
    if missing:
        raise InvalidInputError(
            f"entry point {entry.name!r} needs a value for "
            + ", ".join(repr(m) for m in missing)
            + " (pass -P NAME=VALUE)"
        )
    logged: dict[str, str] = {}
    in_command: dict[str, str] = {}
    for name, param in entry.parameters.items():
        text = values[name] if name in values else param.default
        assert text is not None  # required ones were checked above
        in_command[name] = _checked(entry, param, text, cwd if name in values else project_dir)
        logged[name] = text
    extra = {k: v for k, v in values.items() if k not in entry.parameters}
    for key in extra:
        if not key or not set(key) <= _KEY_CHARS:
            raise InvalidInputError(
                f"parameter name {key!r} is not a valid option name: use letters, digits, "
                "'_', '-' and '.'"
            )
    command = _fill(entry, {k: shlex.quote(v) for k, v in in_command.items()})
    if extra:
        command += "".join(f" --{k} {shlex.quote(v)}" for k, v in extra.items())
    given = {k: in_command.get(k, v) for k, v in values.items()}
    return ResolvedCommand(command, {**logged, **extra}, extra, given)


def _checked(entry: EntryPoint, param: Parameter, text: str, cwd: Path) -> str:
    """The value as it goes into the command; a one-line error when it breaks its type."""
    where = f"parameter {param.name!r} of entry point {entry.name!r}"
    if param.type == "float":
        try:
            number = float(text)
        except ValueError:
            raise InvalidInputError(f"{where} is a float, and {text!r} is not a number") from None
        if math.isnan(number):
            raise InvalidInputError(f"{where} is a float, and {text!r} is not a number")
        return text
    if param.type == "int":
        try:
            int(text.strip())
        except ValueError:
            raise InvalidInputError(f"{where} is an int, and {text!r} is not an integer") from None
        return text
    if param.type == "uri":
        if not text:
            raise InvalidInputError(f"{where} is a uri, and the value is empty")
        return text
    if param.type == "path":
        return _path(where, text, cwd)
    return text


def _path(where: str, text: str, cwd: Path) -> str:
    parsed = urlparse(text)
    if parsed.scheme == "file":
        text = unquote(parsed.path)
    elif len(parsed.scheme) > 1:  # s3://, https://... (one letter is a Windows drive)
        return text  # a remote location: the entry point reads it itself
    if not text:
        raise InvalidInputError(f"{where} is a path, and the value is empty")
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else (cwd / path).resolve())


def _fill(entry: EntryPoint, quoted: Mapping[str, str]) -> str:
    """``{name}`` fields of the command → quoted values; ``{{`` and ``}}`` are braces."""
    out: list[str] = []
    try:
        parts = list(string.Formatter().parse(entry.command))
    except ValueError as exc:
        raise InvalidInputError(
            f"the command of entry point {entry.name!r} is not a valid template: {exc}"
        ) from None
    for literal, field_name, spec, conversion in parts:
        out.append(literal)
        if field_name is None:
            continue
        if field_name not in quoted:
            raise InvalidInputError(
                f"the command of entry point {entry.name!r} uses {{{field_name}}}, which is "
                "not one of its parameters"
            )
        if spec or conversion:
            raise InvalidInputError(
                f"the command of entry point {entry.name!r} formats {{{field_name}}}; only "
                "plain {name} fields are filled in"
            )
        out.append(quoted[field_name])
    return "".join(out)
