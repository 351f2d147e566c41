"""The systemd files of docs/deploy/: systemd accepts them, and their ``ExecStart`` command
lines are valid ``runlab server`` invocations that serve, run here with the test's own
paths, port, database and bucket in place of the documented ones."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from tests._servers import free_port, runlab_command, serve_command

import _s3
import runlab
from runlab.cli.server import server as server_command

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
UNIT = DEPLOY / "runlab.service"
TEAM = DEPLOY / "runlab-team.conf"
PROGRAM = "/opt/runlab/venv/bin/runlab"
STATE = "/var/lib/runlab"
SYSTEMD_HINT = (
    "systemd-analyze was not found. Install Debian's `systemd` package "
    "(`apt-get install systemd`; `bash scripts/test` does this when it runs as root)."
)


def entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a unit file, in order; backslash-continued lines joined."""
    found: list[tuple[str, str, str]] = []
    section, pending = "", ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith(("#", ";"))):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line!r}"
        found.append((section, key.strip(), value.strip()))
    return found


def effective(key: str, *paths: Path) -> list[str]:
    """The values of a list setting such as ExecStart after the unit and its drop-ins, in
    order: an empty assignment clears what came before, as systemd does."""
    values: list[str] = []
    for path in paths:
        for section, name, value in entries(path):
            if section == "Service" and name == key:
                values = values + [value] if value else []
    return values


def exec_start(*paths: Path) -> list[str]:
    commands = effective("ExecStart", *paths)
    assert len(commands) == 1, commands
    return shlex.split(commands[0])


def single(key: str, path: Path) -> str:
    (value,) = [v for section, k, v in entries(path) if section == "Service" and k == key]
    return value


CASES = {"single host": (UNIT,), "team": (UNIT, TEAM)}


@pytest.mark.parametrize("files", CASES.values(), ids=CASES.keys())
def test_exec_start_is_a_valid_runlab_server_command(files: tuple[Path, ...]) -> None:
    argv = exec_start(*files)
    assert argv[:2] == [PROGRAM, "server"]
    context = server_command.make_context("server", argv[2:])  # click checks every option
    assert context.params["host"] == "127.0.0.1"
    assert context.params["port"] == 5000
    assert context.params["workers"] >= 2
    uri = context.params["backend_store_uri"]
    if files == (UNIT,):
        assert uri.startswith(f"sqlite:///{STATE}/")
        assert context.params["artifacts_destination"].startswith(f"{STATE}/")
    else:
        assert uri.startswith("postgresql://")
        assert context.params["artifacts_destination"].startswith("s3://")
        assert context.params["forwarded_allow_ips"] == "127.0.0.1"  # nginx on this host
        assert context.params["allowed_hosts"]


def test_state_directory_holds_the_working_directory() -> None:
    assert single("WorkingDirectory", UNIT) == f"/var/lib/{single('StateDirectory', UNIT)}"
    assert single("WorkingDirectory", UNIT) == STATE


def test_systemd_accepts_the_unit_and_its_team_drop_in(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail(SYSTEMD_HINT, pytrace=False)
    # systemd insists that the program exists: point ExecStart at a stand-in.
    program = tmp_path / "runlab"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    (tmp_path / "runlab.service.d").mkdir()
    unit = tmp_path / "runlab.service"
    unit.write_text(UNIT.read_text().replace(PROGRAM, str(program)))
    drop_in = tmp_path / "runlab.service.d" / "team.conf"
    drop_in.write_text(TEAM.read_text().replace(PROGRAM, str(program)))
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert [line for line in output.splitlines() if "runlab" in line] == []


def runnable(files: tuple[Path, ...], replacements: dict[str, str]) -> list[str]:
    """The ExecStart command with the documented values swapped for the test's own (each
    must be there, so the files cannot drift from this test unnoticed)."""
    command = shlex.join(exec_start(*files))
    for old, new in replacements.items():
        assert old in command, f"{old!r} is no longer in the command: {command}"
        command = command.replace(old, new)
    argv = shlex.split(command)
    return runlab_command(*argv[1:])  # this checkout's runlab, not /opt/...


@pytest.mark.slow
def test_the_single_host_command_serves(tmp_path: Path) -> None:
    port = free_port()
    argv = runnable((UNIT,), {STATE: str(tmp_path), "--port 5000": f"--port {port}"})
    base_url = f"http://127.0.0.1:{port}"
    with serve_command(tmp_path, argv, base_url):
        client = runlab.RunlabClient(base_url)
        run_id = client.create_run("0").info.run_id
        client.log_metric(run_id, "loss", 0.5, step=1)
        client.log_text(run_id, "hello", "notes.txt")
        assert client.get_run(run_id).data.metrics == {"loss": 0.5}
    assert (tmp_path / "runlab.db").is_file()
    assert [p.read_text() for p in (tmp_path / "artifacts").rglob("notes.txt")] == ["hello"]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.s3
def test_the_team_command_serves(
    tmp_path: Path, postgres_url: str, s3_bucket: str, s3_admin: object
) -> None:
    port = free_port()
    argv = runnable(
        (UNIT, TEAM),
        {
            "--port 5000": f"--port {port}",
            "postgresql://runlab@db.internal:5432/runlab": postgres_url,
            "s3://ml-artifacts/runlab": f"s3://{s3_bucket}/runlab",
            "runlab.example.com": "localhost",
        },
    )
    base_url = f"http://localhost:{port}"
    with serve_command(tmp_path, argv, base_url):
        client = runlab.RunlabClient(base_url)
        run_id = client.create_run("0").info.run_id
        client.log_metric(run_id, "loss", 0.5, step=1)
        client.log_text(run_id, "hello", "notes.txt")
        assert client.get_run(run_id).data.metrics == {"loss": 0.5}
    objects = _s3.all_objects(s3_admin, s3_bucket)
    assert objects == {f"runlab/0/{run_id}/artifacts/notes.txt": b"hello"}


DOCS = ROOT / "docs" / "deployment.md"


def test_docs_show_the_command_lines_of_the_files() -> None:
    shown = [
        shlex.split(block.replace("\\\n", " "))
        for block in re.findall(r"```\n(/opt/runlab/venv/bin/runlab server .*?)```", _docs(), re.S)
    ]
    assert shown == [exec_start(UNIT), exec_start(UNIT, TEAM)]


def test_docs_fill_in_every_placeholder_of_the_nginx_template() -> None:
    placeholders = set(re.findall(r"@([A-Z_]+)@", (DEPLOY / "nginx.conf").read_text()))
    assert placeholders
    assert set(re.findall(r"s\|@([A-Z_]+)@\|", _docs())) == placeholders


def _docs() -> str:
    return DOCS.read_text()
