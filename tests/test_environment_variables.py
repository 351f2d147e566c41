"""Every environment variable is declared once, read only through its declaration, and
documented; values parse with errors that name the variable."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from runlab import environment_variables as ev
from runlab.errors import ConfigurationError

SRC = Path(__file__).resolve().parents[1] / "src" / "runlab"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
CATALOG = SRC / "environment_variables.py"
VARIABLE = re.compile(r"\b(?:RUNLAB|MLFLOW)_[A-Z0-9_]*[A-Z0-9]\b")


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p != CATALOG)


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants (docstrings included), leaving out ``__all__`` lists of names."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip.update(id(n) for n in ast.walk(node.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
    ]


def test_every_variable_named_in_the_code_is_declared() -> None:
    declared = set(ev.ALL) | {v.mlflow_name for v in ev.ALL.values() if v.mlflow_name}
    undeclared = [
        f"{path.relative_to(SRC)}:{line}: {name}"
        for path in _modules()
        for line, value in _strings(ast.parse(path.read_text()))
        for name in VARIABLE.findall(value)
        if name.startswith("RUNLAB_") and name not in declared
    ]
    assert not undeclared, "declare these in runlab/environment_variables.py:\n" + "\n".join(
        undeclared
    )


def _reads_environment(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return text.startswith(("os.environ", "os.getenv", "environ.get", "env.get"))


def test_no_module_reads_a_runlab_variable_by_hand() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            key: ast.AST | None = None
            if isinstance(node, ast.Call) and _reads_environment(node.func) and node.args:
                key = node.args[0]
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and _reads_environment(node.value)
            ):
                key = node.slice
            elif isinstance(node, ast.keyword) and node.arg == "envvar":
                key = node.value  # click options name the declaration, not a literal
            if isinstance(key, ast.Constant | ast.JoinedStr):
                text = ast.unparse(key)
                if "RUNLAB_" in text or "MLFLOW_" in text:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}: {text}")
    assert not offenders, "read these through runlab.environment_variables:\n" + "\n".join(
        offenders
    )


def test_every_variable_is_documented_with_its_default() -> None:
    rows = {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^\| `([A-Z0-9_]+)` \|([^|]*)\|", DOCS.read_text(), re.M)
    }
    assert set(rows) == set(ev.ALL)
    for name, variable in ev.ALL.items():
        default = variable.default
        if default is None:
            assert rows[name] == "", name
        elif isinstance(default, bool):
            assert rows[name] == f"`{str(default).lower()}`", name
        elif isinstance(default, float):
            assert rows[name] == f"`{default:g}`", name
        else:
            assert rows[name] == f"`{default}`", name


def test_defaults_values_and_mlflow_names() -> None:
    assert ev.RUNLAB_HTTP_TIMEOUT.get({}) == 120.0
    assert ev.RUNLAB_HTTP_TIMEOUT.get({"RUNLAB_HTTP_TIMEOUT": " 2.5 "}) == 2.5
    assert ev.RUNLAB_HTTP_TIMEOUT.get({"RUNLAB_HTTP_TIMEOUT": "  "}) == 120.0  # blank is unset
    assert ev.RUNLAB_SQL_POOL_SIZE.get({"RUNLAB_SQL_POOL_SIZE": "3"}) == 3
    assert ev.RUNLAB_CAPTURE_CONTEXT.get({"RUNLAB_CAPTURE_CONTEXT": "Off"}) is False
    token = ev.RUNLAB_TRACKING_TOKEN
    assert token.get({"MLFLOW_TRACKING_TOKEN": "m"}) == "m"
    assert token.get({"MLFLOW_TRACKING_TOKEN": "m", "RUNLAB_TRACKING_TOKEN": "r"}) == "r"
    assert not token.is_set({})
    assert token.is_set({"MLFLOW_TRACKING_TOKEN": "m"})


@pytest.mark.parametrize(
    ("variable", "environ", "message"),
    [
        (
            ev.RUNLAB_HTTP_TIMEOUT,
            {"RUNLAB_HTTP_TIMEOUT": "soon"},
            "RUNLAB_HTTP_TIMEOUT='soon' is not a number",
        ),
        (
            ev.RUNLAB_HTTP_TIMEOUT,
            {"RUNLAB_HTTP_TIMEOUT": "0"},
            "must be a finite number of at least 0.001",
        ),
        (
            ev.RUNLAB_HTTP_MAX_RETRIES,
            {"RUNLAB_HTTP_MAX_RETRIES": "1.5"},
            "whole number of at least 0",
        ),
        (
            ev.RUNLAB_SQL_POOL_TIMEOUT,
            {"RUNLAB_SQL_POOL_TIMEOUT": "inf"},
            "positive number of seconds",
        ),
        (
            ev.RUNLAB_TRACKING_INSECURE_TLS,
            {"MLFLOW_TRACKING_INSECURE_TLS": "maybe"},
            "MLFLOW_TRACKING_INSECURE_TLS='maybe' is not a boolean",
        ),
    ],
)
def test_bad_values_name_the_variable_and_the_rule(
    variable: ev.EnvironmentVariable[object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        variable.get(environ)
