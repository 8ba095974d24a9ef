"""What every bench/bench_*.py shares: the run_all interface, progress, throwaway databases.

A benchmark is a script run from the repository root that keeps the interface
bench/README.md describes ("The interface every bench_*.py keeps"). The parts
of that interface that must read the same in every script live here, once:

* progress on stderr, prefixed with the script's name (``say``), and whether
  ``BENCH_QUICK`` asks for smaller sizes (``quick``);
* the shared options (``add_common_options``) and the summary rows run_all.py
  reads (``summary_row``, ``write_summary``);
* a throwaway PostgreSQL: the script runs itself again under
  ``devtools/postgres.py`` (``rerun_under_postgres``), and a database part
  measured there comes back through ``--results-json`` (``postgres_part``,
  ``hand_back``, and ``database_parts`` for the scripts that measure SQLite
  and PostgreSQL alike);
* Django on a temporary database with mail in memory and no permit PDF
  rendered behind the benchmark's back (``setup_django``), the fixtures, the
  users (``role_groups``, ``user_create``) and the scripted investor's
  hand-in (``hand_in``);
* for the reports: the database server's name, the machine line and the
  nearest-rank 90th percentile.

What a benchmark measures, and how, stays in its own script. Run as
``python bench/bench_x.py``, a script puts the repository root on
``sys.path`` and imports this as ``bench.common``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Set only on the command a script runs under devtools/postgres.py, so that a
# benchmark never migrates a database somebody pointed DATABASE_URL at.
THROWAWAY_MARK = "HW_BENCH_THROWAWAY_POSTGRES"
# What a report calls a package, where that is not its distribution's name.
DISTRIBUTIONS = {"viewflow": "django-viewflow"}


# --- progress and options ----------------------------------------------------------


def say(message: str) -> None:
    """A progress line on stderr (stdout is the report), named after the running script,
    so that run_all.py's log tells the benchmarks and their children apart."""
    print(f"[{Path(sys.argv[0]).stem}] {message}", file=sys.stderr, flush=True)


def quick() -> bool:
    """Whether BENCH_QUICK asks for smaller sizes (run_all.py sets it for every child)."""
    return os.environ.get("BENCH_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def add_common_options(
    parser: argparse.ArgumentParser, *, database: bool = False, results: bool = False
) -> None:
    """``--summary-json`` (every benchmark); with `database`, ``--database`` for a benchmark
    that measures on SQLite and PostgreSQL; with `results`, the hidden ``--results-json`` by
    which the part run under a throwaway PostgreSQL hands its results back."""
    if database:
        parser.add_argument(
            "--database",
            choices=("sqlite", "postgres", "both"),
            default="both",
            help="where to measure (postgres starts a throwaway server via devtools/postgres.py)",
        )
    parser.add_argument(
        "--summary-json",
        metavar="PATH",
        help="also write the summary rows (bench/README.md, 'The interface') to PATH",
    )
    if results:
        parser.add_argument("--results-json", help=argparse.SUPPRESS)


# --- the summary rows --------------------------------------------------------------


def summary_row(
    benchmark: str,
    measure: str,
    *,
    ours: float,
    yardstick: float,
    unit: str,
    note: str,
    digits: int | None = None,
) -> dict:
    """One row of run_all.py's table, every key present. The ratio is ours / yardstick as
    given; `digits` rounds the two figures the row shows, after the ratio is taken."""
    ratio = ours / yardstick
    if digits is not None:
        ours, yardstick = round(ours, digits), round(yardstick, digits)
    return {
        "benchmark": benchmark,
        "measure": measure,
        "ours": ours,
        "yardstick": yardstick,
        "ratio": ratio,
        "unit": unit,
        "note": note,
    }


def write_summary(path: str, rows: list[dict]) -> None:
    """The --summary-json file: the rows as a JSON list."""
    Path(path).write_text(json.dumps(rows, indent=1))


# --- a throwaway PostgreSQL ----------------------------------------------------------


def rerun_under_postgres(script: str, options: list[str]) -> int:
    """Run `script` again with `options` under a throwaway PostgreSQL server started by
    devtools/postgres.py (which removes it afterwards); returns the exit status."""
    command = [
        sys.executable,
        "-m",
        "devtools.postgres",
        "--",
        sys.executable,
        str(Path(script).resolve()),
        *options,
    ]
    return subprocess.run(command, cwd=ROOT, env={**os.environ, THROWAWAY_MARK: "1"}).returncode


def in_throwaway_postgres() -> bool:
    """Whether this process is the one rerun_under_postgres started."""
    return bool(os.environ.get(THROWAWAY_MARK))


def throwaway_database_url() -> str:
    """The server devtools/postgres.py started for this process; refuses anything else."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise RuntimeError(f"expected a PostgreSQL DATABASE_URL, got {url!r}")
    return url


def postgres_part(script: str, options: list[str]) -> tuple[dict | None, int]:
    """Run `script` with `options` under a throwaway PostgreSQL, the child handing its
    results back through ``--results-json``: (those results or None, its exit status)."""
    with tempfile.TemporaryDirectory(prefix="hw-bench-pg-") as tmp:
        out = Path(tmp) / "results.json"
        status = rerun_under_postgres(script, [*options, f"--results-json={out}"])
        return (json.loads(out.read_text()) if out.exists() else None), status


def hand_back(path: str, results: dict) -> None:
    """The child's side of postgres_part: write its results where the parent reads them."""
    Path(path).write_text(json.dumps(results))


def database_parts(
    script: str,
    args: argparse.Namespace,
    database_part: Callable[[str, str | None, argparse.Namespace], dict],
    child_options: list[str],
) -> Iterator[dict]:
    """Each database part ``args.database`` asks for, in turn: ``database_part(label,
    database_url, args)`` on a temporary SQLite file (url None) here, then on PostgreSQL in
    `script` rerun under a throwaway server with `child_options`. In that child, the
    PostgreSQL part only. Yields each part when done, so what did run is kept when a later
    part fails (it raises)."""
    if args.database == "postgres" and in_throwaway_postgres():
        yield database_part("postgresql", throwaway_database_url(), args)
        return
    if args.database in ("sqlite", "both"):
        yield database_part("sqlite", None, args)
    if args.database in ("postgres", "both"):
        say("postgresql: starting a throwaway server through devtools/postgres.py")
        results, status = postgres_part(script, ["--database=postgres", *child_options])
        if status != 0 or results is None:
            raise RuntimeError(f"the PostgreSQL part failed (exit {status})")
        yield results


# --- Django ----------------------------------------------------------------------


def django_environment(database_url: str, workdir: Path, **settings: str) -> dict[str, str]:
    """The environment the project's settings read, for a benchmark: `database_url`,
    uploads under `workdir`, mail kept in memory, and `settings` over those."""
    return {
        "DJANGO_SETTINGS_MODULE": "hainan_window.settings",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(workdir / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # A permit's PDF is made off the request path (a worker thread by
        # default), which would render during the next timed runs, competing
        # with them for the CPU. bench_permits.py renders them itself.
        "PERMIT_RENDER_MODE": "off",
        # Officials log in with force_login or a token made directly, with no
        # second factor to type: the demo's setting. What the second factor adds
        # to a page is counted by tests/test_second_factor.py.
        "OFFICIAL_SECOND_FACTOR": "false",
        **settings,
    }


def setup_django(database_url: str, workdir: Path, **settings: str) -> None:
    """Django in this process on `database_url` (django_environment)."""
    os.environ.update(django_environment(database_url, workdir, **settings))
    import django

    django.setup()


def load_fixtures(*names: str) -> None:
    """fixtures/<name>.json for each name, into the migrated database."""
    from django.core.management import call_command

    call_command("loaddata", *(str(ROOT / "fixtures" / f"{n}.json") for n in names), verbosity=0)


def role_groups() -> tuple:
    """The window clerks' group (allowed to accept applications) and the investors' group."""
    from approvals import roles

    made = roles.ensure_role_groups()
    return made[roles.CLERK_GROUP], made[roles.INVESTOR_GROUP]


def user_create(username: str, *groups):
    """A user in `groups` without a usable password: no hashing cost in the set-up, as no
    benchmark logs in with one (sessions by force_login, or API tokens)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(username=username, email=f"{username}@bench.example")
    user.set_unusable_password()
    user.save()
    user.groups.add(*groups)
    return user


def filer_create(username: str, *groups):
    """An investor's account as the services now require one: a verified identity and
    paper mandates of every enterprise in the shared data for every service (made in
    bulk), so that a benchmark's one account can file for any enterprise, as the
    simulator's does. Call it after the shared data is loaded."""
    from django.contrib.auth import get_user_model

    from approvals.demo import paper_mandates, verified_for_script
    from approvals.models import Enterprise, Service

    user = user_create(username, *groups)
    verified_for_script(user, name=username, document_number=f"BENCH{user.pk:08d}")
    window, _created = get_user_model().objects.get_or_create(username="bench-window")
    paper_mandates(
        registered_by=window,
        enterprises=Enterprise.objects.all(),
        services_=Service.objects.all(),
        user=user,
    )
    return user


def hand_in(app, investor) -> dict:
    """What the benchmarks' investor does after prefill (the project's one scripted
    investor), so that every whole-application workload hands in the same."""
    from approvals.demo import hand_in_missing

    return hand_in_missing(
        app,
        actor=investor,
        commitment="本企业承诺所填住所真实有效 / We commit that the address is real.",
        typed="由申请人填写 / filled by hand",
    )


def database_server() -> str:
    """The database Django is connected to, as reports and rows name it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return "PostgreSQL {}.{}".format(*divmod(connection.pg_version, 10000))
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


# --- the report ------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, "?" where there is none."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine(*packages: str) -> str:
    """A report's first line: the date, the CPUs, Python, and each package's version."""
    text = (
        f"{datetime.date.today():%Y-%m-%d}, {os.cpu_count()} CPU ({cpu_model()}), "
        f"Python {platform.python_version()}"
    )
    return text + "".join(f", {p} {version(DISTRIBUTIONS.get(p, p))}" for p in packages)


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile: the value 90 % of the runs did not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
