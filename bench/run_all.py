"""Every benchmark in bench/, one after the other, and one table of ratios.

Run from the repository root (``make bench`` does):

    .venv/bin/python bench/run_all.py [--quick] [--only lists permits] [--output PATH]

Each ``bench/bench_*.py`` runs as a child process with ``--summary-json
PATH`` (the interface in bench/README.md) and the options below. Its
progress (stderr) is shown as it comes, above a progress bar of the
benchmarks (tqdm, on a terminal); its own report (stdout) and progress
go to ``bench/out/<name>.log``. The summary rows of all of them make one
table: benchmark, measure, ours, yardstick, ratio (ours / yardstick), unit,
note. It is printed, and written with the date, the machine, the commit and
each benchmark's own report to ``bench/RESULTS.md``.

``--quick`` (or ``BENCH_QUICK=1`` in the environment) runs smaller sizes,
for a check that everything runs; the table's title and the measures say
which sizes. A benchmark that fails shows as FAILED in the table (with the
rows it did write, if any) and the exit status is 1, but the others still
run. An expected benchmark that does not exist yet shows as "not present".
Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
RESULTS = BENCH / "RESULTS.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import say  # noqa: E402
from devtools import postgres  # noqa: E402

# Options per benchmark: "full" is what `make bench` runs (what bench/RESULTS.md
# should hold), "quick" a run that only shows everything works. A benchmark
# not listed here gets no options; it may read BENCH_QUICK=1 itself.
OPTIONS = {
    "bench_engine.py": {"full": [], "quick": ["--runs", "5", "--warmup", "1"]},
    "bench_http.py": {"full": [], "quick": []},
    # The sizes 10 and 1,000 are what the benchmark is about: quick times fewer requests.
    "bench_lists.py": {"full": [], "quick": ["--repeat", "5"]},
    "bench_permits.py": {"full": [], "quick": ["--runs", "5", "--batch", "20"]},
    # 1,000,000 applications take about 4 minutes on 2 cores.
    "bench_reports.py": {"full": [], "quick": ["--applications", "100000"]},
}
EXPECTED = tuple(OPTIONS)
COLUMNS = ("benchmark", "measure", "ours", "yardstick", "ratio", "unit", "note")
FIELDS = {
    "benchmark": str,
    "measure": str,
    "ours": (int, float),
    "yardstick": (int, float),
    "ratio": (int, float),
    "unit": str,
    "note": str,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run every bench/bench_*.py and print one table of ratios."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=common.quick(),
        help="smaller sizes (also: BENCH_QUICK=1)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these (e.g. lists or bench_lists.py); bench/RESULTS.md is then "
        "left alone unless --output is given",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the results (default {RESULTS.relative_to(ROOT)})",
    )
    return parser.parse_args(argv)


def short(script: str) -> str:
    """bench_lists.py -> lists"""
    return script.removeprefix("bench_").removesuffix(".py")


# --- running one benchmark --------------------------------------------------------


def run_one(script: str, quick: bool, bar: tqdm) -> dict:
    """Run one benchmark; returns its outcome (rows, status, log, report). Its progress
    lines are written above `bar`, the run's progress bar (one step a benchmark)."""

    def note(message: str) -> None:
        bar.write(f"[run_all] {message}", file=sys.stderr)

    path = BENCH / script
    name = short(script)
    if not path.exists():
        note(f"{script}: not present")
        return {"script": script, "status": "absent", "rows": [], "seconds": 0.0, "report": ""}
    options = OPTIONS.get(script, {}).get("quick" if quick else "full", [])
    OUT.mkdir(exist_ok=True)
    log = OUT / f"{name}.log"
    env = {**os.environ, "BENCH_QUICK": "1" if quick else "0", "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory(prefix="hw-run-all-") as tmp:
        summary = Path(tmp) / "summary.json"
        command = [sys.executable, str(path), *options, "--summary-json", str(summary)]
        note(f"{script} {' '.join(options)}".rstrip())
        started = time.perf_counter()
        last_error = ""
        with (
            tempfile.TemporaryFile(mode="w+", encoding="utf-8") as stdout,
            log.open("w", encoding="utf-8") as log_file,
        ):
            log_file.write(f"$ {' '.join(command[1:])}\n")
            child = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=stdout,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            for line in child.stderr:
                bar.write(line.rstrip("\n"), file=sys.stderr)
                log_file.write(line)
                # The last line of a traceback: what went wrong, for the table.
                if re.match(r"^[\w.]*(Error|Exception|Exit)\b", line) or "ERROR:" in line:
                    last_error = line.strip()
            status = child.wait()
            seconds = time.perf_counter() - started
            stdout.seek(0)
            report = stdout.read()
            log_file.write("\n---- stdout ----\n" + report)
        rows, problem = read_summary(summary)
    outcome = {
        "script": script,
        "options": options,
        "rows": rows,
        "seconds": seconds,
        "report": report,
        "log": str(log.relative_to(ROOT)),
    }
    if status != 0 or problem:
        why = f"exit {status}" if status != 0 else problem
        outcome.update(status="failed", why=why, error=last_error)
        note(f"{script}: FAILED ({why}) after {seconds:.0f} s; output in {outcome['log']}")
    else:
        outcome["status"] = "ok"
        note(f"{script}: done in {seconds:.0f} s, {len(rows)} rows")
    return outcome


def read_summary(path: Path) -> tuple[list[dict], str]:
    """The rows a benchmark wrote, and what is wrong with them ("" if nothing)."""
    if not path.exists():
        return [], "no --summary-json written"
    try:
        rows = json.loads(path.read_text())
    except ValueError as exc:
        return [], f"--summary-json is not JSON: {exc}"
    if not isinstance(rows, list):
        return [], "--summary-json is not a list"
    good = []
    for row in rows:
        if not isinstance(row, dict) or any(
            not isinstance(row.get(key), kind) for key, kind in FIELDS.items()
        ):
            return good, f"a row lacks one of {', '.join(FIELDS)}: {row!r}"[:300]
        good.append(row)
    if not good:
        return [], "--summary-json holds no rows"
    return good, ""


# --- the table ----------------------------------------------------------------------


def number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table_rows(outcomes: list[dict]) -> list[tuple[str, ...]]:
    rows = []
    for outcome in outcomes:
        name = short(outcome["script"])
        for row in outcome["rows"]:
            rows.append(
                (
                    row["benchmark"],
                    row["measure"],
                    number(row["ours"]),
                    number(row["yardstick"]),
                    f"{row['ratio']:.2f}x",
                    row["unit"],
                    row["note"],
                )
            )
        if outcome["status"] == "absent":
            note = f"bench/{outcome['script']} does not exist yet"
            rows.append((name, "not present", "", "", "", "", note))
        elif outcome["status"] == "failed":
            note = f"{outcome['why']}; see {outcome['log']}"
            if outcome.get("error"):
                note += f"; {outcome['error'][:160]}"
            rows.append((name, "FAILED", "", "", "", "", note))
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    right = {2, 3, 4}

    def line(cells) -> str:
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(COLUMNS), "  ".join("-" * w for w in widths)]
    previous = None
    for row in rows:
        if previous is not None and row[0] != previous:
            out.append("")
        out.append(line(row))
        previous = row[0]
    return "\n".join(out)


def markdown_table(rows: list[tuple[str, ...]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = [
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# --- the machine ----------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    kib = re.search(r"MemTotal:\s+(\d+) kB", _read("/proc/meminfo"))
    ram = f"{int(kib.group(1)) / 1024**2:.1f} GiB RAM" if kib else "RAM unknown"
    os_name = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', _read("/etc/os-release"), re.M)
    system = f"{os_name.group(1) if os_name else platform.system()}, {platform.system()} "
    system += platform.release()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": f"{cpu}, {usable} cores ({os.cpu_count()} online), {ram}",
        "os": system,
        "software": (
            f"Python {platform.python_version()}, Django {_version('Django')}, "
            f"viewflow {_version('django-viewflow')}, weasyprint {_version('weasyprint')}, "
            f"{postgres_version()}, SQLite {sqlite3.sqlite_version}"
        ),
    }


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def postgres_version() -> str:
    """The server binaries devtools/postgres.py would start."""
    try:
        bindir = postgres.find_bindir()
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except Exception as exc:  # reported, not fatal: the benchmarks say what failed
        return f"PostgreSQL unavailable ({exc})"
    match = re.search(r"\d+(\.\d+)*", out)
    return f"PostgreSQL {match.group(0) if match else out.strip()}"


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        subject = git("log", "-1", "--format=%s")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    text = f"`{commit}` ({branch}: {subject})"
    if dirty:
        text += f", with uncommitted changes to {len(dirty.splitlines())} tracked files"
    return text


# --- the results file -------------------------------------------------------------------


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def results_markdown(
    outcomes: list[dict], rows, quick: bool, started: datetime.datetime, seconds: float
) -> str:
    box = machine()
    mode = (
        "**quick** (`BENCH_QUICK=1` / `--quick`): smaller sizes, to check that everything "
        "runs; not the figures to quote"
        if quick
        else "**full** (`make bench`: every benchmark's default sizes)"
    )
    took = ", ".join(
        f"{short(o['script'])} {duration(o['seconds'])}"
        for o in outcomes
        if o["status"] != "absent"
    )
    options = "; ".join(
        f"`{' '.join([o['script'], *o['options']])}`" if o["options"] else f"`{o['script']}`"
        for o in outcomes
        if o["status"] != "absent"
    )
    if not quick:
        options += " (every one with its defaults unless options are shown)"
    failed = [o for o in outcomes if o["status"] == "failed"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run_all.py` (`make bench`); the next run replaces it. What each "
        "figure means: `bench/README.md`.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Run: {mode}",
        f"- Machine: {box['cpu']}; {box['os']}",
        f"- Software: {box['software']}",
        f"- Commit: {git_commit()}",
        f"- Took: {duration(seconds)} ({took})",
        f"- Options: {options}",
        "",
        "Ratio = ours / yardstick, both measured in the same run on the same machine (the "
        "machines are shared and noisy: absolute times move between runs, ratios much less). "
        "Query counts are exact and repeatable.",
        "",
        markdown_table(rows),
        "",
    ]
    if failed:
        lines += [
            "**Failed:** "
            + "; ".join(f"`{o['script']}` ({o['why']})" for o in failed)
            + ". Their rows above, if any, are what ran before the failure.",
            "",
        ]
    lines += [
        "## Reproduce",
        "",
        "```sh",
        "make bench                                   # everything, as above (full)",
        "BENCH_QUICK=1 make bench                     # smaller sizes, a few minutes",
        ".venv/bin/python bench/run_all.py --only lists permits   # some of them",
        ".venv/bin/python bench/bench_lists.py        # one, with its own full report",
        "```",
        "",
        "`make bench` needs the PostgreSQL server binaries and Pango (`make sysdeps`); each "
        "benchmark starts its own throwaway database.",
        "",
        "## Each benchmark's own report",
        "",
    ]
    for o in outcomes:
        if o["status"] == "absent":
            continue
        command = " ".join([f"bench/{o['script']}", *o.get("options", [])])
        lines += [f"### `{command}`", "", "```text", o["report"].rstrip() or "(no output)", "```"]
        lines.append("")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started_at = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    scripts = sorted({p.name for p in BENCH.glob("bench_*.py")} | set(EXPECTED))
    if args.only:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in args.only}
        wanted = {n if n.endswith(".py") else f"{n}.py" for n in wanted}
        unknown = wanted - set(scripts)
        if unknown:
            say(f"no such benchmark: {', '.join(sorted(unknown))} (have: {', '.join(scripts)})")
            return 2
        scripts = [s for s in scripts if s in wanted]
    say(
        f"{'QUICK run (smaller sizes)' if args.quick else 'full run'}: "
        f"{', '.join(scripts)}; logs in {OUT.relative_to(ROOT)}/"
    )
    outcomes = []
    # One step a benchmark, on stderr below the children's progress (no bar when
    # stderr is not a terminal: make bench > log stays a plain log).
    with tqdm(scripts, desc="benchmarks", unit="benchmark", file=sys.stderr, disable=None) as bar:
        for script in bar:
            bar.set_postfix_str(short(script))
            outcomes.append(run_one(script, args.quick, bar))
    seconds = time.perf_counter() - started
    rows = table_rows(outcomes)

    title = "QUICK run (smaller sizes, not the figures to quote)" if args.quick else "full run"
    print()
    print(f"Benchmarks, {title}: ratio = ours / yardstick; took {duration(seconds)}")
    print()
    print(text_table(rows))
    output = args.output or (None if args.only else RESULTS)
    if output is not None:
        output.write_text(results_markdown(outcomes, rows, args.quick, started_at, seconds))
        shown = output.resolve()
        print(f"\nWritten to {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")
    failed = [o["script"] for o in outcomes if o["status"] == "failed"]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
