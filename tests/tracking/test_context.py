from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from tests._imports import loaded_after

from runlab._version import __version__
from runlab.tracking._context import (
    clear_cache,
    current_user,
    installed_packages,
    run_context_tags,
    strip_url_credentials,
)


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("RUNLAB_CAPTURE_CONTEXT", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("__session__", raising=False)
    # never let a test find a repository above its temporary directory
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    clear_cache()
    yield
    clear_cache()


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
        + ["-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q", "-b", "trunk")
    (root / "src" / "train.py").write_text("print('train')\n")
    (root / "README").write_text("hello\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def use_script(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(sys, "argv", [str(path)])


def test_base_tags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    script = tmp_path / "job.py"
    script.write_text("")
    use_script(monkeypatch, script)
    tags = run_context_tags()
    assert tags["mlflow.user"] == current_user()
    assert tags["mlflow.source.name"] == str(script.resolve())
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["runlab.version"] == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", tags["runlab.python_version"])
    assert tags["runlab.platform"]
    assert "runlab.host" in tags
    assert not any(k.startswith("mlflow.source.git") for k in tags)  # not in a repository
    assert all(isinstance(v, str) for v in tags.values())


def test_relative_script_path_is_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "rel.py").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["rel.py"])
    assert run_context_tags()["mlflow.source.name"] == str(tmp_path / "rel.py")


@pytest.mark.parametrize("argv", [[], [""], ["-c"], ["does/not/exist.py"]])
def test_interactive_source(monkeypatch: pytest.MonkeyPatch, argv: list[str]):
    monkeypatch.setattr(sys, "argv", argv)
    tags = run_context_tags()
    assert tags["mlflow.source.name"] == "<interactive>"
    assert tags["mlflow.source.type"] == "LOCAL"


def test_git_tags(monkeypatch: pytest.MonkeyPatch, repo: Path):
    use_script(monkeypatch, repo / "src" / "train.py")
    tags = run_context_tags()
    assert tags["mlflow.source.git.commit"] == git(repo, "rev-parse", "HEAD")
    assert len(tags["mlflow.source.git.commit"]) == 40
    assert tags["mlflow.source.git.branch"] == "trunk"
    assert tags["runlab.source.git.dirty"] == "false"
    assert "mlflow.source.git.repoURL" not in tags  # no origin


def test_git_dirty_ignores_untracked_files(monkeypatch: pytest.MonkeyPatch, repo: Path):
    use_script(monkeypatch, repo / "src" / "train.py")
    (repo / "notes.txt").write_text("untracked\n")
    assert run_context_tags()["runlab.source.git.dirty"] == "false"
    (repo / "README").write_text("changed\n")
    clear_cache()
    assert run_context_tags()["runlab.source.git.dirty"] == "true"


def test_git_staged_change_is_dirty(monkeypatch: pytest.MonkeyPatch, repo: Path):
    use_script(monkeypatch, repo / "src" / "train.py")
    (repo / "new.py").write_text("x = 1\n")
    git(repo, "add", "new.py")
    assert run_context_tags()["runlab.source.git.dirty"] == "true"


def test_git_remote_url_without_credentials(monkeypatch: pytest.MonkeyPatch, repo: Path):
    git(repo, "remote", "add", "origin", "https://alice:s3cret@example.com/org/repo.git")
    use_script(monkeypatch, repo / "src" / "train.py")
    tags = run_context_tags()
    assert tags["mlflow.source.git.repoURL"] == "https://example.com/org/repo.git"
    assert "s3cret" not in "".join(tags.values())


def test_detached_head_has_no_branch(monkeypatch: pytest.MonkeyPatch, repo: Path):
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach")
    use_script(monkeypatch, repo / "src" / "train.py")
    tags = run_context_tags()
    assert tags["mlflow.source.git.commit"] == sha
    assert "mlflow.source.git.branch" not in tags


def test_repository_without_commits_has_no_git_tags(monkeypatch: pytest.MonkeyPatch, tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("")
    use_script(monkeypatch, tmp_path / "a.py")
    assert not any(k.startswith("mlflow.source.git") for k in run_context_tags())


def test_git_missing(monkeypatch: pytest.MonkeyPatch, repo: Path):
    use_script(monkeypatch, repo / "src" / "train.py")
    monkeypatch.setenv("PATH", str(repo / "no-bin-here"))
    tags = run_context_tags()
    assert not any(k.startswith("mlflow.source.git") for k in tags)
    assert tags["mlflow.source.name"].endswith("train.py")


def test_git_hook_environment_is_ignored(monkeypatch: pytest.MonkeyPatch, repo: Path, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    sha = git(repo, "rev-parse", "HEAD")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    use_script(monkeypatch, repo / "src" / "train.py")
    assert run_context_tags()["mlflow.source.git.commit"] == sha


def test_git_runs_once_for_many_runs(monkeypatch: pytest.MonkeyPatch, repo: Path):
    use_script(monkeypatch, repo / "src" / "train.py")
    calls: list[list[str]] = []
    real_popen = subprocess.Popen

    def counting_popen(args, *a, **kw):
        calls.append(list(args))
        return real_popen(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    first = run_context_tags()
    for _ in range(2000):
        assert run_context_tags() == first
    assert len(calls) == 2
    assert all(c[0] == "git" for c in calls)


def test_result_is_a_fresh_dict(monkeypatch: pytest.MonkeyPatch, repo: Path):
    use_script(monkeypatch, repo / "src" / "train.py")
    run_context_tags()["mlflow.source.git.commit"] = "changed"
    assert run_context_tags()["mlflow.source.git.commit"] != "changed"


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "Off", " off "])
def test_capture_off_by_env(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("RUNLAB_CAPTURE_CONTEXT", value)
    assert run_context_tags() == {"mlflow.user": current_user()}


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", ""])
def test_capture_on_by_env(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("RUNLAB_CAPTURE_CONTEXT", value)
    assert "mlflow.source.name" in run_context_tags()


def test_explicit_flag_beats_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RUNLAB_CAPTURE_CONTEXT", "off")
    assert "mlflow.source.name" in run_context_tags(enabled=True)
    monkeypatch.delenv("RUNLAB_CAPTURE_CONTEXT")
    assert run_context_tags(enabled=False) == {"mlflow.user": current_user()}


def test_current_user_when_getpass_fails(monkeypatch: pytest.MonkeyPatch):
    import getpass

    def broken() -> str:
        raise OSError("no passwd entry")

    monkeypatch.setattr(getpass, "getuser", broken)
    user = current_user()
    assert isinstance(user, str)
    assert user
    assert run_context_tags(enabled=False) == {"mlflow.user": user}


def fake_kernel(monkeypatch: pytest.MonkeyPatch, *, kernel: bool, user_ns: dict | None = None):
    shell = types.SimpleNamespace(kernel=object() if kernel else None, user_ns=user_ns or {})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    # inside a kernel argv[0] is ipykernel_launcher.py, a real file
    monkeypatch.setattr(sys, "argv", [os.__file__, "-f", "kernel.json"])


def test_notebook_from_session_env(monkeypatch: pytest.MonkeyPatch, repo: Path):
    notebook = repo / "src" / "explore.ipynb"
    notebook.write_text("{}")
    fake_kernel(monkeypatch, kernel=True)
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    tags = run_context_tags()
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.name"] == str(notebook)
    assert tags["mlflow.source.git.commit"] == git(repo, "rev-parse", "HEAD")


def test_notebook_from_user_namespace(monkeypatch: pytest.MonkeyPatch):
    fake_kernel(monkeypatch, kernel=True, user_ns={"__session__": "work/analysis.ipynb"})
    tags = run_context_tags()
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.name"] == "work/analysis.ipynb"


def test_notebook_without_hints(monkeypatch: pytest.MonkeyPatch):
    fake_kernel(monkeypatch, kernel=True)
    tags = run_context_tags()
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.name"] == "<interactive>"


def test_terminal_ipython_is_not_a_notebook(monkeypatch: pytest.MonkeyPatch):
    fake_kernel(monkeypatch, kernel=False)
    tags = run_context_tags()
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"] == os.path.abspath(os.__file__)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("https://ghp_token@github.com/org/repo", "https://github.com/org/repo"),
        ("HTTP://u:p@host:8080/r", "HTTP://host:8080/r"),
        ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("ssh://git:pw@host/org/repo.git", "ssh://git@host/org/repo.git"),
        ("ssh://git@host/org/repo.git", "ssh://git@host/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("/srv/git/repo.git", "/srv/git/repo.git"),
        ("file:///srv/git/repo.git", "file:///srv/git/repo.git"),
        ("https://a:b@c@host", "https://host"),
    ],
)
def test_strip_url_credentials(url: str, expected: str):
    assert strip_url_credentials(url) == expected


def test_installed_packages():
    packages = installed_packages()
    assert packages["pytest"] == pytest.__version__
    packages["pytest"] = "changed"  # a copy: the cache is unaffected
    assert installed_packages()["pytest"] == pytest.__version__


def test_module_import_is_light():
    heavy = ("subprocess", "numpy", "pandas", "PIL", "matplotlib", "socket")
    statement = "import runlab.tracking._context, runlab.store._names"
    assert loaded_after(statement, heavy) == []


def test_git_info_is_captured_once_per_process(monkeypatch: pytest.MonkeyPatch, repo: Path):
    """A process's code is what it was at its first run: later commits are not seen by its
    later runs until the cache is cleared (git runs once, not once per run)."""
    use_script(monkeypatch, repo / "src" / "train.py")
    first = git(repo, "rev-parse", "HEAD")
    assert run_context_tags()["mlflow.source.git.commit"] == first
    (repo / "README").write_text("next\n")
    git(repo, "commit", "-qam", "next")
    second = git(repo, "rev-parse", "HEAD")
    assert second != first
    assert run_context_tags()["mlflow.source.git.commit"] == first
    clear_cache()
    assert run_context_tags()["mlflow.source.git.commit"] == second
