#!/usr/bin/env python3
"""Run the shared benchmark workloads against MLflow and runlab, side by side.

    python bench/run.py [--quick] [--only w1,w3] [--repeats N] [--out bench/results/latest.json]

The runner itself needs only the standard library (rich is used for the table when the
running interpreter has it). The workloads run in a dedicated virtualenv, ``<repo>/.venv-bench``,
which is created on first use and holds ``mlflow==3.17.2`` and an editable install of this
repository, so both libraries are measured with the same interpreter and the same pandas.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import filecmp
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORKLOADS_DIR = BENCH_DIR / "workloads"
SHARED_DIR = REPO.parent / "shared" / "bench"
REQUIREMENTS = BENCH_DIR / "requirements.txt"
DEFAULT_VENV = REPO / ".venv-bench"
DEFAULT_OUT = BENCH_DIR / "results" / "latest.json"
STAMP_NAME = ".runlab-bench-stamp"

SUTS = ("mlflow", "runlab")
STDERR_TAIL_LINES = 30

# Higher is better for throughputs ("tp"), lower is better for times ("time").
TP, TIME = "tp", "time"
# Derived from W0: import_s minus the bare interpreter start-up the script also measures.
NET_IMPORT_KEY = "import_net_s"


@dataclass(frozen=True)
class Target:
    """A runlab target: either an absolute bound on runlab's figure or a speed-up over MLflow."""

    text: str
    min_abs: float | None = None  # runlab figure must be >= this
    max_abs: float | None = None  # runlab figure must be < this
    min_speedup: float | None = None  # speed-up over MLflow must be >= this

    def check(self, runlab: float | None, speedup: float | None) -> bool | None:
        if self.min_speedup is not None:
            return None if speedup is None else speedup >= self.min_speedup
        if runlab is None:
            return None
        if self.min_abs is not None and runlab < self.min_abs:
            return False
        if self.max_abs is not None and runlab >= self.max_abs:
            return False
        return True


@dataclass(frozen=True)
class Metric:
    key: str  # key in the workload's "results"
    label: str
    kind: str  # TP or TIME
    unit: str
    target: Target | None = None
    count_key: str | None = None  # result count that must match for the ratio to be valid


@dataclass(frozen=True)
class Workload:
    name: str  # short name used by --only
    script: str
    default_n: int
    metrics: tuple[Metric, ...]
    row_checks: tuple[str, ...] = ()  # result keys that both sides must agree on
    runnable: bool = True
    note: str = ""


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "w0",
        "w0_import_size.py",
        3,
        (
            Metric(
                "import_s",
                "cold import",
                TIME,
                "s",
                Target("< 0.15 s", max_abs=0.15),
            ),
            Metric(NET_IMPORT_KEY, "cold import minus bare python", TIME, "s"),
        ),
    ),
    Workload(
        "w1",
        "w1_fluent_sqlite.py",
        10_000,
        (
            Metric(
                "log_metric_1key_points_per_s",
                "fluent log_metric",
                TP,
                "points/s",
                Target(">= 100,000 points/s", min_abs=100_000),
            ),
            Metric("log_metrics_3keys_points_per_s", "fluent log_metrics, 3 keys", TP, "points/s"),
        ),
    ),
    Workload(
        "w2",
        "w2_log_batch.py",
        100_000,
        (
            Metric(
                "log_batch_points_per_s",
                "log_batch",
                TP,
                "points/s",
                Target(">= 20x MLflow", min_speedup=20),
            ),
            Metric("ms_per_call", "log_batch, per 1,000-point call", TIME, "ms"),
        ),
    ),
    Workload(
        "w3",
        "w3_many_runs.py",
        2_000,
        (
            Metric(
                "create_runs_per_s",
                "run creation",
                TP,
                "runs/s",
                Target(">= 20x MLflow", min_speedup=20),
            ),
            Metric(
                "search_a_nofilter_max1000_ms",
                "search (a) no filter, max 1,000",
                TIME,
                "ms",
                Target(">= 20x faster", min_speedup=20),
                count_key="search_a_nofilter_max1000_rows",
            ),
            Metric(
                "search_b_filter_ms",
                "search (b) metric+param filter",
                TIME,
                "ms",
                Target(">= 20x faster", min_speedup=20),
                count_key="search_b_filter_rows",
            ),
            Metric(
                "search_c_orderby_m0_desc_max100_ms",
                "search (c) order by metric, max 100",
                TIME,
                "ms",
                Target(">= 20x faster", min_speedup=20),
                count_key="search_c_orderby_m0_desc_max100_rows",
            ),
            Metric(
                "client_search_a_nofilter_max1000_ms",
                "client search_runs (a)",
                TIME,
                "ms",
                count_key="client_search_a_rows",
            ),
        ),
        row_checks=(
            "search_a_nofilter_max1000_rows",
            "search_b_filter_rows",
            "search_c_orderby_m0_desc_max100_rows",
            "client_search_a_rows",
        ),
    ),
    Workload(
        "w4",
        "w4_server_http.py",
        1_000,
        (),
        runnable=False,
        note="needs the runlab tracking server",
    ),
    Workload(
        "w6",
        "w6_ui_search.py",
        2_000,
        (),
        runnable=False,
        note="needs the runlab tracking server",
    ),
)
WORKLOADS_BY_NAME = {w.name: w for w in WORKLOADS}


# ---------------------------------------------------------------- output helpers
def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fmt_num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "s":
        text = f"{value:.3f}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}".rstrip()


def fmt_speedup(speedup: float | None) -> str:
    if speedup is None or speedup <= 0:
        return "-"
    if speedup >= 1:
        return f"×{speedup:,.1f} faster" if speedup < 100 else f"×{speedup:,.0f} faster"
    slower = 1 / speedup
    return f"×{slower:,.1f} slower" if slower < 100 else f"×{slower:,.0f} slower"


# ---------------------------------------------------------------- workload copies
def check_drift(shared: Path = SHARED_DIR, local: Path = WORKLOADS_DIR) -> list[str]:
    """Differences between the copied workload scripts and ../shared/bench (empty when in sync
    or when the shared folder is absent)."""
    if not shared.is_dir():
        return []
    problems = []
    for path in sorted(local.glob("*.py")):
        other = shared / path.name
        if not other.exists():
            problems.append(f"{path.name}: not in {shared}")
        elif not filecmp.cmp(path, other, shallow=False):
            problems.append(f"{path.name}: differs from {other}")
    return problems


# ---------------------------------------------------------------- virtualenv
def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def install_stamp() -> str:
    h = hashlib.sha256()
    for path in (REQUIREMENTS, REPO / "pyproject.toml"):
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()


def ensure_venv(venv: Path, reinstall: bool) -> Path:
    """Create the benchmark virtualenv when missing and install the requirements and the repo.

    Installing is skipped when requirements.txt and pyproject.toml have not changed since the
    last successful install (the repo is installed editable, so source changes need none)."""
    python = venv_python(venv)
    if not python.exists():
        log(f"[bench] creating virtualenv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    stamp_path = venv / STAMP_NAME
    stamp = install_stamp()
    if not reinstall and stamp_path.exists() and stamp_path.read_text().strip() == stamp:
        return python
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    log(f"[bench] installing -r {REQUIREMENTS.relative_to(REPO)} (mlflow is large; be patient)")
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    log(f"[bench] installing {REPO}[pandas] (editable)")
    subprocess.run([*pip, "-e", f"{REPO}[pandas]"], check=True)
    stamp_path.write_text(stamp + "\n")
    return python


def package_versions(python: Path) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        "for name in ('mlflow', 'runlab', 'pandas', 'sqlalchemy'):\n"
        "    try:\n"
        "        out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        out[name] = None\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}


def runlab_origin(python: Path) -> str | None:
    """Where the workloads import runlab from (the environment and folder they run in)."""
    proc = subprocess.run(
        [str(python), "-c", "import runlab; print(runlab.__file__)"],
        cwd=WORKLOADS_DIR,
        env=workload_env("runlab"),
        capture_output=True,
        text=True,
    )
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if proc.returncode == 0 and lines else None


# ---------------------------------------------------------------- running
@dataclass
class Outcome:
    workload: str
    sut: str
    ok: bool
    seconds: float
    command: list[str]
    record: dict | None = None
    returncode: int | None = None
    error: str = ""
    stderr_tail: list[str] = field(default_factory=list)


def parse_record(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and "results" in rec:
            return rec
    return None


def workload_env(sut: str) -> dict[str, str]:
    env = dict(os.environ)
    env["BENCH_SUT"] = sut
    # The workloads set their own tracking URIs; keep ambient settings from leaking in.
    # PYTHONPATH passes through: PYTHONPATH=$PWD/src benchmarks a source tree as it is.
    for key in ("MLFLOW_TRACKING_URI", "RUNLAB_TRACKING_URI"):
        env.pop(key, None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_one(python: Path, wl: Workload, sut: str, n: int, repeats: int, timeout: float) -> Outcome:
    cmd = [str(python), wl.script, "--n", str(n), "--repeats", str(repeats)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            cwd=WORKLOADS_DIR,
            env=workload_env(sut),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        return Outcome(
            wl.name,
            sut,
            False,
            time.perf_counter() - t0,
            cmd,
            error=f"timed out after {timeout:.0f} s",
            stderr_tail=stderr.splitlines()[-STDERR_TAIL_LINES:],
        )
    seconds = time.perf_counter() - t0
    tail = proc.stderr.splitlines()[-STDERR_TAIL_LINES:]
    record = parse_record(proc.stdout)
    if proc.returncode != 0:
        error = f"exit code {proc.returncode}"
    elif record is None:
        error = "no JSON result line on stdout"
    else:
        return Outcome(wl.name, sut, True, seconds, cmd, record, proc.returncode)
    return Outcome(wl.name, sut, False, seconds, cmd, record, proc.returncode, error, tail)


def median_of(outcome: Outcome | None, key: str) -> float | None:
    if outcome is None or outcome.record is None:
        return None
    if key == NET_IMPORT_KEY:
        total, bare = median_of(outcome, "import_s"), outcome.record.get("bare_python_s")
        if total is None or not isinstance(bare, (int, float)):
            return None
        return max(0.0, total - bare)
    value = outcome.record.get("results", {}).get(key)
    if isinstance(value, dict) and isinstance(value.get("median"), (int, float)):
        return float(value["median"])
    return None


def build_rows(selected: list[Workload], outcomes: dict[tuple[str, str], Outcome]) -> list[dict]:
    rows = []
    for wl in selected:
        mo, ro = outcomes.get((wl.name, "mlflow")), outcomes.get((wl.name, "runlab"))
        for m in wl.metrics:
            mv, rv = median_of(mo, m.key), median_of(ro, m.key)
            speedup = None
            if mv and rv:
                speedup = rv / mv if m.kind == TP else mv / rv
            ratio = fmt_speedup(speedup)
            status = ""
            if m.target is not None:
                verdict = m.target.check(rv, speedup)
                status = {True: "pass", False: "miss"}.get(verdict, "n/a")
            if m.count_key and mv is not None and rv is not None:
                mc, rc = median_of(mo, m.count_key), median_of(ro, m.count_key)
                # Different answers: the timings are not comparable.
                if None not in (mc, rc) and mc != rc:
                    speedup, status = None, "invalid" if m.target else ""
                    ratio = f"rows differ: {mc:g} vs {rc:g}"
            rows.append(
                {
                    "workload": wl.name,
                    "metric": m.label,
                    "key": m.key,
                    "unit": m.unit,
                    "kind": m.kind,
                    "mlflow": mv,
                    "runlab": rv,
                    "speedup": None if speedup is None else round(speedup, 3),
                    "ratio": ratio,
                    "target": m.target.text if m.target else "",
                    "status": status,
                }
            )
    return rows


def row_mismatches(selected: list[Workload], outcomes: dict[tuple[str, str], Outcome]) -> list[str]:
    """Result counts (e.g. search rows) that differ between the two libraries."""
    problems = []
    for wl in selected:
        mo, ro = outcomes.get((wl.name, "mlflow")), outcomes.get((wl.name, "runlab"))
        if not (mo and ro and mo.record and ro.record):
            continue
        for key in wl.row_checks:
            a, b = median_of(mo, key), median_of(ro, key)
            if a != b:
                shown = ["-" if v is None else f"{v:g}" for v in (a, b)]
                problems.append(f"{wl.name} {key}: mlflow {shown[0]} vs runlab {shown[1]}")
    return problems


# ---------------------------------------------------------------- rendering
COLUMNS = ("workload", "metric", "mlflow", "runlab", "runlab vs mlflow", "target", "status")


def table_cells(row: dict) -> list[str]:
    return [
        row["workload"],
        row["metric"],
        fmt_num(row["mlflow"], row["unit"]),
        fmt_num(row["runlab"], row["unit"]),
        row["ratio"],
        row["target"],
        row["status"],
    ]


def print_table(rows: list[dict], title: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        Console = None
    if Console is not None:
        table = Table(title=title)
        for col in COLUMNS:
            justify = "right" if col in ("mlflow", "runlab", "runlab vs mlflow") else "left"
            table.add_column(col, justify=justify)
        styles = {"pass": "[green]pass[/]", "miss": "[red]miss[/]"}
        for row in rows:
            cells = table_cells(row)
            cells[-1] = styles.get(cells[-1], cells[-1])
            table.add_row(*cells)
        # Piped output would otherwise be wrapped at 80 columns.
        Console(width=None if sys.stdout.isatty() else 160).print(table)
        return
    cells = [list(COLUMNS)] + [table_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    print(title)
    for j, line in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---:", "---", "---"]) + "|",
    ]
    for row in rows:
        cells = [c.replace("|", "\\|") or " " for c in table_cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_report(meta: dict, rows: list[dict], failures: list[dict], notes: list[str]) -> str:
    head = [
        f"# runlab vs MLflow ({meta['started']})",
        "",
        f"- mode: {meta['mode']}, repeats: {meta['repeats']}, medians shown",
        f"- versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items() if v)}",
        f"- python {meta['python']}, {meta['cpus']} CPUs, {meta['platform']}",
        f"- commit: {meta['commit']}",
        "",
    ]
    body = markdown_table(rows)
    tail = []
    if failures:
        tail += ["", "## Failures", ""]
        tail += [f"- {f['workload']} / {f['sut']}: {f['error']}" for f in failures]
    if notes:
        tail += ["", "## Notes", ""]
        tail += [f"- {n}" for n in notes]
    return "\n".join(head) + "\n" + body + ("\n".join(tail) + "\n" if tail else "")


def git_commit() -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (proc.stdout.strip() or "unknown") + (" (src modified)" if dirty else "")


# ---------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    runnable = [w.name for w in WORKLOADS if w.runnable]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="n / 10 and 1 repeat (smoke run)")
    p.add_argument(
        "--only",
        default=",".join(runnable),
        help=f"comma-separated workloads (default: {','.join(runnable)})",
    )
    p.add_argument("--repeats", type=int, help="repeats per workload (default 3, --quick: 1)")
    p.add_argument("--sut", default=",".join(SUTS), help="libraries to run (default: both)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report (.md beside it)")
    p.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="benchmark virtualenv")
    p.add_argument("--reinstall", action="store_true", help="reinstall the venv's packages")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per workload process")
    p.add_argument(
        "--check-drift",
        action="store_true",
        help="only compare bench/workloads with ../shared/bench; exit 1 on drift",
    )
    return p.parse_args(argv)


def select_workloads(only: str) -> list[Workload]:
    selected = []
    for name in (s.strip().lower() for s in only.split(",") if s.strip()):
        wl = WORKLOADS_BY_NAME.get(name)
        if wl is None:
            raise SystemExit(f"unknown workload {name!r}; known: {', '.join(WORKLOADS_BY_NAME)}")
        if not wl.runnable:
            raise SystemExit(f"workload {name} is not run by this runner yet ({wl.note})")
        if wl not in selected:
            selected.append(wl)
    if not selected:
        raise SystemExit("no workload selected")
    return selected


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    drift = check_drift()
    if args.check_drift:
        if not SHARED_DIR.is_dir():
            print(f"{SHARED_DIR} not found; nothing to compare")
            return 0
        for line in drift:
            print(f"drift: {line}")
        print("workloads in sync" if not drift else f"{len(drift)} file(s) drifted")
        return 1 if drift else 0
    for line in drift:
        log(f"[bench] warning: workload drift: {line}")

    selected = select_workloads(args.only)
    suts = [s.strip() for s in args.sut.split(",") if s.strip()]
    for s in suts:
        if s not in SUTS:
            raise SystemExit(f"unknown library {s!r}; known: {', '.join(SUTS)}")
    repeats = args.repeats or (1 if args.quick else 3)
    if repeats < 1:
        raise SystemExit("--repeats must be >= 1")

    try:
        python = ensure_venv(args.venv.resolve(), args.reinstall)
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"[bench] could not prepare the virtualenv: {exc}")
        return 2

    origin = runlab_origin(python) if "runlab" in suts else None
    if origin is not None:
        log(f"[bench] runlab is imported from {origin}")
        if not Path(origin).resolve().is_relative_to(REPO / "src"):
            log(
                f"[bench] warning: that is not this checkout ({REPO / 'src'}); "
                "run with PYTHONPATH=$PWD/src to measure it"
            )
    started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    meta = {
        "started": started,
        "mode": "quick" if args.quick else "full",
        "repeats": repeats,
        "suts": suts,
        "versions": package_versions(python),
        "python": platform.python_version(),
        "venv": str(args.venv),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "commit": git_commit(),
        "runlab_source": origin,
        "workload_drift": drift,
    }

    outcomes: dict[tuple[str, str], Outcome] = {}
    for wl in selected:
        n = max(1, wl.default_n // 10) if args.quick else wl.default_n
        for sut in suts:
            log(f"[bench] {wl.name} {sut}: {wl.script} --n {n} --repeats {repeats}")
            out = run_one(python, wl, sut, n, repeats, args.timeout)
            outcomes[(wl.name, sut)] = out
            if out.ok:
                log(f"[bench]   done in {out.seconds:.1f} s")
            else:
                log(f"[bench]   FAILED ({out.error}) after {out.seconds:.1f} s; stderr tail:")
                for line in out.stderr_tail:
                    log(f"[bench]   | {line}")

    rows = build_rows(selected, outcomes)
    failures = [
        {"workload": o.workload, "sut": o.sut, "error": o.error, "stderr_tail": o.stderr_tail}
        for o in outcomes.values()
        if not o.ok
    ]
    notes = [f"result count differs: {m}" for m in row_mismatches(selected, outcomes)]
    notes += [f"workload drift: {d}" for d in drift]
    if "w0" in [w.name for w in selected]:
        notes.append(
            "cold import is the wall time of `python -c 'import X'`, interpreter start-up "
            "included; the venv is shared, so its size (in the JSON records) is not compared"
        )
    if args.quick:
        notes.append("quick mode: n / 10 and fewer repeats; figures are indicative only")

    title = f"runlab vs MLflow, {meta['mode']} run, medians of {repeats}"
    print_table(rows, title)
    for f in failures:
        print(f"FAILED: {f['workload']} / {f['sut']}: {f['error']}")
    for note in notes:
        print(f"note: {note}")

    report = {
        "meta": meta,
        "table": rows,
        "failures": failures,
        "notes": notes,
        "records": [
            {
                "workload": o.workload,
                "sut": o.sut,
                "ok": o.ok,
                "seconds": round(o.seconds, 3),
                "command": o.command,
                "returncode": o.returncode,
                "record": o.record,
            }
            for o in outcomes.values()
        ],
    }
    out_json = args.out
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(report, indent=2) + "\n")
    out_md = out_json.with_suffix(".md")
    out_md.write_text(markdown_report(meta, rows, failures, notes))
    log(f"[bench] wrote {out_json} and {out_md}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
