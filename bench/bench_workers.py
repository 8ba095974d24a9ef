"""Applications per second through the whole flow, with 1, 2 and 4 Celery worker processes.

Run from the repository root:

    .venv/bin/python bench/bench_workers.py [--applications 40] [--clients 4]
        [--workers 1 2 4] [--summary-json PATH]

It starts everything it needs and removes it afterwards: a throwaway
PostgreSQL (through ``devtools/postgres.py``, the script re-runs itself under
it), a throwaway Redis as the broker (``devtools/redisserver.py``), and for each
worker count a real ``celery -A hainan_window worker --concurrency N``.

The whole flow of one application: create (with prefill), hand in, submit,
accept, every department's review (company registration first: the other
four matters need its credit code); each approval issues its matter's
outcome, and the flow is done when a worker has rendered every outcome's PDF
(five) and sent the applicant's mails. The web part is driven through
``approvals.services`` by ``--clients`` threads in this process, each taking
the next application until ``--applications`` are done: the same writes a
request makes, without HTTP, which ``bench_http.py`` measures; one Python
process, so the app's share is at most one core (the GIL), as one
gunicorn worker's would be. Each worker count gets a warm-up batch first
(every pool process loads weasyprint and the fonts once) that is not timed.

Measured per worker count: the rate (applications / seconds from the first
create to the last PDF and mail), the web part's own rate, how long the
workers needed after the last approval, the deepest the queue got, and CPU
time from /proc of PostgreSQL (the postmaster, its backends, and the
backends already gone), the workers (the celery process and its pool), Redis
and this process (the app). CPU milliseconds per application and cores used
say where the limit is: the machine's cores, and who takes them. Times are
reported, never asserted; BENCH_QUICK=1 makes the batch smaller.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import say  # noqa: E402
from devtools.livehttp import signing_key_pem  # noqa: E402  (standard library only)
from devtools.redisserver import CeleryWorker, RedisServer, children_of  # noqa: E402

SERVICE = "fie-establishment"
QUICK = common.quick()
BUSY_RETRIES = 5  # an application step refused as busy (a lock held) is tried again
POLL_SECONDS = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Applications per second through the whole flow with 1, 2 and 4 workers."
    )
    parser.add_argument(
        "--applications",
        type=int,
        default=12 if QUICK else 40,
        help="applications timed per worker count (BENCH_QUICK=1: 12)",
    )
    parser.add_argument("--clients", type=int, default=4, help="threads driving the web part")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2, 4], help="worker process counts"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1 if QUICK else 2,
        help="times every worker count is measured, interleaved (BENCH_QUICK=1: 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds a worker count may take, warm-up included, before the run fails",
    )
    common.add_common_options(parser, results=True)
    args = parser.parse_args(argv)
    if min(args.applications, args.clients, args.rounds, *args.workers) < 1:
        parser.error("--applications, --clients, --rounds and --workers must be at least 1")
    if 1 not in args.workers:
        parser.error("--workers must include 1: it is the yardstick")
    return args


# --- CPU time from /proc ------------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of one process: its own CPU time and that of the
    children it has reaped, so CPU time is not lost when a child exits."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = text[text.rindex(")") + 2 :].split()
    # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return sum(int(v) for v in fields[11:15])


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and all its live descendants, reaped ones included.
    The difference of two readings is the CPU the tree used in between."""
    seen, stack, ticks = set(), [pid], 0
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        ticks += _cpu_ticks(current)
        stack.extend(children_of(current))
    return ticks / CLOCK_TICKS


def postmaster_pid() -> int:
    data = os.environ.get("HW_PG_DATA")
    if not data:
        raise RuntimeError("HW_PG_DATA is not set: run under devtools/postgres.py")
    return int((Path(data) / "postmaster.pid").read_text().split()[0])


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine used so far (all cores; /proc/stat), to
    tell our load from other processes' on a shared machine."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


# --- set-up (inside Django) -------------------------------------------------------------


def environment(database_url: str, broker_url: str, workdir: Path) -> dict[str, str]:
    """What the app (this process) and the workers share, as a deployment would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "CELERY_", "DB_"))}
    env.update(
        common.django_environment(
            database_url,
            workdir,
            DEBUG="0",  # no query log growing in memory
            SECRET_KEY=f"bench-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            CELERY_BROKER_URL=broker_url,
            PERMIT_RENDER_MODE="celery",
            PERMIT_SIGNING_KEY=signing_key_pem(),
            LOG_LEVEL="ERROR",
            PYTHONUNBUFFERED="1",
        )
    )
    return env


def prepare_data() -> dict:
    """Schema, catalogue, shared data, and one user per role (no password hashing)."""
    from django.core.management import call_command

    from approvals import selectors
    from approvals.models import Enterprise, Service

    say("migrate, load the catalogue and the shared data, create the users")
    call_command("migrate", verbosity=0, interactive=False)
    common.load_fixtures("catalogue", "shared_data")

    def user(username: str, *groups) -> int:
        return common.user_create(username, *groups).pk

    clerks, investors = common.role_groups()
    service = Service.objects.get(code=SERVICE)
    departments = selectors.departments_deciding(SERVICE)
    return {
        "investor": common.filer_create("investor", investors).pk,
        "clerk": user("clerk", clerks),
        "reviewers": {d.code: user(f"rev-{d.code}", d.reviewer_group) for d in departments},
        "service": service.pk,
        "uscc": Enterprise.objects.order_by("pk").first().uscc,
    }


# --- the web part: one application through the services -------------------------------------


def retrying(step):
    from approvals.errors import ApplicationBusy

    for attempt in range(BUSY_RETRIES):
        try:
            return step()
        except ApplicationBusy:
            if attempt == BUSY_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def one_application(data: dict, users: dict) -> int:
    """Create, hand in, submit, accept, review: returns the application's pk."""
    from approvals import demo, services
    from approvals.models import Enterprise, Service

    investor, clerk = users[data["investor"]], users[data["clerk"]]
    # An establishment is opened on a reservation the investor declares, shaped like
    # the enterprise (approvals.demo.application_for_script).
    app = demo.application_for_script(
        applicant=investor,
        service=Service.objects.get(pk=data["service"]),
        enterprise=Enterprise.objects.get(uscc=data["uscc"]),
    )
    common.hand_in(app, investor)
    app = retrying(lambda: services.application_submit(actor=investor, application=app))
    app = retrying(lambda: services.application_accept(actor=clerk, application=app))
    # Registration first: the matters that need it open when it is approved.
    retrying(lambda: demo.reviews_approve(app, lambda code: users[data["reviewers"][code]]))
    return app.pk


def drive(data: dict, count: int, clients: int) -> tuple[list[int], list[str], float]:
    """`count` applications by `clients` threads; returns their pks, errors, finish time."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    lock = threading.Lock()
    remaining = [count]
    done: list[int] = []
    errors: list[str] = []

    def client():
        try:
            ids = [data["investor"], data["clerk"], *data["reviewers"].values()]
            users = get_user_model().objects.in_bulk(ids)
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                try:
                    pk = one_application(data, users)
                except Exception as exc:  # reported, and the run fails
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                else:
                    with lock:
                        done.append(pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=count * 30)
    if any(t.is_alive() for t in threads):
        errors.append("a client thread did not finish")
    return done, errors, time.perf_counter()


def wait_for_workers(ids: list[int], deadline: float, queue_depth) -> tuple[float, int]:
    """Until every outcome of `ids` is rendered and every mail sent; returns (when, max queue).

    The outcomes and mails were all written by the time the web part returned: one outcome
    per approved matter (an establishment issues five)."""
    from approvals.models import Notification, Permit
    from approvals.models.permits import RenderStatus

    deepest, rendered, sent = 0, 0, 0
    mails = Notification.objects.filter(application_id__in=ids)
    expected_mails = mails.count()
    expected_outcomes = Permit.objects.filter(application_id__in=ids).count()
    while time.monotonic() < deadline:
        deepest = max(deepest, queue_depth())
        rendered = Permit.objects.filter(
            application_id__in=ids, render_status=RenderStatus.RENDERED
        ).count()
        failed = Permit.objects.filter(
            application_id__in=ids, render_status=RenderStatus.FAILED
        ).count()
        if failed:
            raise RuntimeError(f"{failed} outcome(s) failed to render")
        sent = mails.filter(sent_at__isnull=False).count()
        if rendered == expected_outcomes and sent == expected_mails:
            return time.perf_counter(), deepest
        time.sleep(POLL_SECONDS)
    raise RuntimeError(
        f"the workers had not finished within the time allowed ({rendered}/{expected_outcomes} "
        f"outcomes rendered, {sent}/{expected_mails} mails sent)"
    )


def measure(
    data: dict, env: dict, workdir: Path, broker, workers: int, args: argparse.Namespace
) -> dict:
    """One worker count: a warm-up batch, then the timed batch."""
    import redis

    from approvals.models import Permit

    deadline = time.monotonic() + args.timeout
    queue = redis.Redis.from_url(broker.url(0))
    with CeleryWorker(
        env=env, workdir=workdir, name=f"bench{workers}", concurrency=workers
    ) as worker:
        warm = max(2 * workers, args.clients)
        say(f"{workers} worker(s): warm-up, {warm} applications (not timed)")
        ids, errors, _ = drive(data, warm, args.clients)
        if errors:
            raise RuntimeError(f"warm-up failed: {errors[0]}")
        wait_for_workers(ids, deadline, lambda: 0)

        say(f"{workers} worker(s): {args.applications} applications, {args.clients} clients")
        pg, celery = postmaster_pid(), worker.pid
        before = {
            "postgres": tree_cpu_seconds(pg),
            "workers": tree_cpu_seconds(celery),
            "redis": tree_cpu_seconds(broker.process.pid),
            "app": self_cpu_seconds(),
        }
        machine_before = machine_busy_seconds()
        started = time.perf_counter()
        ids, errors, web_done = drive(data, args.applications, args.clients)
        if errors:
            raise RuntimeError(f"{len(errors)} application(s) failed; first: {errors[0]}")
        finished, deepest = wait_for_workers(ids, deadline, lambda: queue.llen("celery"))
        after = {
            "postgres": tree_cpu_seconds(pg),
            "workers": tree_cpu_seconds(celery),
            "redis": tree_cpu_seconds(broker.process.pid),
            "app": self_cpu_seconds(),
        }
        machine = machine_busy_seconds() - machine_before
        pool_processes = len(worker.pool_pids())
    queue.close()
    wall = finished - started
    cpu = {role: after[role] - before[role] for role in before}
    render_attempts = list(
        Permit.objects.filter(application_id__in=ids).values_list("render_attempts", flat=True)
    )
    return {
        "workers": workers,
        "pool_processes": pool_processes,
        "applications": len(ids),
        "wall_s": wall,
        "rate": len(ids) / wall,
        "web_s": web_done - started,
        "web_rate": len(ids) / (web_done - started),
        "drain_s": finished - web_done,
        "deepest_queue": deepest,
        "cpu_s": cpu,
        "machine_cpu_s": machine,
        "render_attempts_max": max(render_attempts),
    }


def limit_of(row: dict, cores: int) -> str:
    """Where the limit is, read from the CPU used over the run and the queue."""
    wall = row["wall_s"]
    used = {role: seconds / wall for role, seconds in row["cpu_s"].items()}
    ours = sum(used.values())
    machine = max(row["machine_cpu_s"] / wall, ours)
    busiest = max(used, key=used.get)
    others = (
        f"; other processes on the machine: {machine - ours:.2f}" if machine - ours > 0.1 else ""
    )
    if machine >= 0.9 * cores:
        return (
            f"the CPUs: {machine:.2f} of {cores} cores busy (ours {ours:.2f}, most by the "
            f"{busiest}: {used[busiest]:.2f}{others})"
        )
    if row["drain_s"] > 0.25 * wall and row["deepest_queue"] > row["workers"]:
        return (
            f"the workers: up to {row['deepest_queue']} tasks queued, {row['drain_s']:.1f} s "
            f"of work left when the web part finished ({machine:.2f} of {cores} cores busy"
            f"{others})"
        )
    if used["app"] >= 0.85:
        return f"the app: {used['app']:.2f} cores, one Python process (the GIL){others}"
    if used["postgres"] >= 0.85 * cores:
        return f"the database: {used['postgres']:.2f} cores{others}"
    return f"none saturated ({machine:.2f} of {cores} cores busy{others}): waits, locks"


def inside(database_url: str, args: argparse.Namespace) -> dict:
    """Everything measured, run under devtools/postgres.py; returns a JSON-able dict."""
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-workers-"))
    try:
        with RedisServer() as broker:
            env = environment(database_url, broker.url(0), workdir)
            os.environ.update(env)
            import django

            django.setup()
            from django.db import connection

            server = common.database_server()
            data = prepare_data()
            rows, error = [], ""
            # Rounds interleaved, so that a noisy minute on a shared machine hits
            # every worker count alike rather than one of them.
            try:
                for round_ in range(1, args.rounds + 1):
                    for n in args.workers:
                        say(f"round {round_} of {args.rounds}")
                        rows.append(
                            {**measure(data, env, workdir, broker, n, args), "round": round_}
                        )
            except Exception as exc:  # what did run is still reported
                traceback.print_exc()
                error = f"{type(exc).__name__}: {exc}"
            connection.close()
        return {"server": server, "rows": rows, "cores": os.cpu_count() or 1, "error": error}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def in_subprocess(args: argparse.Namespace) -> dict:
    say("starting a throwaway PostgreSQL through devtools/postgres.py")
    results, status = common.postgres_part(
        __file__,
        [
            f"--applications={args.applications}",
            f"--clients={args.clients}",
            f"--timeout={args.timeout}",
            f"--rounds={args.rounds}",
            "--workers",
            *map(str, args.workers),
        ],
    )
    if results is None:
        raise RuntimeError(f"the measurement failed (exit {status})")
    if status != 0 and not results.get("error"):
        results["error"] = f"the measurement exited {status}"
    return results


# --- the report -------------------------------------------------------------------------


def by_workers(results: dict) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for row in results["rows"]:
        found.setdefault(row["workers"], []).append(row)
    return found


def median_rate(rows: list[dict]) -> float:
    return statistics.median(r["rate"] for r in rows)


def quietest(rows: list[dict]) -> dict:
    """The round in which other processes on the machine took the least CPU."""
    return min(rows, key=lambda r: (r["machine_cpu_s"] - sum(r["cpu_s"].values())) / r["wall_s"])


def print_report(results: dict, args: argparse.Namespace) -> None:
    cores = results["cores"]
    print(f"Workers benchmark: {common.machine()}, {results['server']}, Redis broker")
    print(
        f"{args.applications} applications of {SERVICE} per worker count and round, through "
        f"the whole flow (to the five outcomes' PDFs and the mails), driven by "
        f"{args.clients} client threads; {args.rounds} round(s), interleaved"
    )
    if results.get("error"):
        print(f"FAILED part-way: {results['error']}")
    if not results["rows"]:
        return
    print()
    header = (
        f"{'round':>5} {'workers':>7} {'apps/s':>7} {'wall s':>7} {'web apps/s':>10} "
        f"{'drain s':>8} {'queue max':>9} | {'CPU ms per application':^34} | cores used"
    )
    print(header)
    sub = (
        f"{'':>5} {'':>7} {'':>7} {'':>7} {'':>10} {'':>8} {'':>9} | "
        f"{'app':>7} {'workers':>8} {'postgres':>9} {'redis':>6} | {'ours':>5} {'all':>5}"
    )
    print(sub)
    print("-" * len(header))
    for r in results["rows"]:
        per_app = {k: v * 1000 / r["applications"] for k, v in r["cpu_s"].items()}
        total_cores = sum(r["cpu_s"].values()) / r["wall_s"]
        machine_cores = r["machine_cpu_s"] / r["wall_s"]
        print(
            f"{r['round']:>5} {r['workers']:>7} {r['rate']:>7.2f} {r['wall_s']:>7.1f} "
            f"{r['web_rate']:>10.2f} {r['drain_s']:>8.1f} {r['deepest_queue']:>9} | "
            f"{per_app['app']:>7.0f} {per_app['workers']:>8.0f} {per_app['postgres']:>9.0f} "
            f"{per_app['redis']:>6.0f} | {total_cores:>5.2f} {machine_cores:>5.2f}"
        )
    print()
    print(
        "apps/s: applications / seconds from the first create to the last PDF and mail;\n"
        "web apps/s: the web part alone (to the last approval); drain s: how long the workers "
        "went on after it;\nqueue max: the most tasks waiting in Redis; cores used: CPU "
        f"seconds / wall seconds, of {cores}: ours (the four\nroles) and all (every process "
        "on the machine, /proc/stat: other processes' load shows here)."
    )
    groups = by_workers(results)
    if 1 not in groups:
        return
    print()
    print(f"{'workers':>7} {'median apps/s':>13} {'x 1 worker':>10}   limit (the quietest round)")
    base = median_rate(groups[1])
    for n, rows in groups.items():
        rate = median_rate(rows)
        print(f"{n:>7} {rate:>13.2f} {rate / base:>10.2f}   {limit_of(quietest(rows), cores)}")
    per_app = statistics.fmean(
        sum(r["cpu_s"].values()) / r["applications"] for r in results["rows"]
    )
    print(
        f"CPU per application, all roles, mean over the runs: {per_app * 1000:.0f} ms, "
        f"so at most {cores / per_app:.2f} applications/s on {cores} cores"
    )


def summary_rows(results: dict | None, args: argparse.Namespace) -> list[dict]:
    groups = by_workers(results) if results else {}
    if 1 not in groups:
        return []
    rows = []
    base = median_rate(groups[1])
    for n, found in groups.items():
        rate = median_rate(found)
        rounds = f"median of {len(found)} round(s)"
        rows.append(
            common.summary_row(
                "workers",
                f"applications/s through the whole flow, {n} worker process(es), "
                f"{args.applications} applications, {args.clients} clients, "
                f"{results['server']}",
                ours=rate,
                yardstick=base,
                unit="app/s",
                note=f"yardstick: 1 worker process; {rounds}; limit: "
                f"{limit_of(quietest(found), results['cores'])}",
                digits=3,
            )
        )
    cpu = {
        role: statistics.fmean(r["cpu_s"][role] * 1000 / r["applications"] for r in groups[1])
        for role in groups[1][0]["cpu_s"]
    }
    for role in ("workers", "postgres"):
        rows.append(
            common.summary_row(
                "workers",
                f"CPU per application, {role} against the app (1 worker process)",
                ours=cpu[role],
                yardstick=cpu["app"],
                unit="ms",
                note="the app: the web part driven through the services in this process",
                digits=1,
            )
        )
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    results, status = None, 0
    try:
        if common.in_throwaway_postgres():
            results = inside(common.throwaway_database_url(), args)
            if args.results_json:
                common.hand_back(args.results_json, results)
                return 1 if results["error"] else 0
        else:
            results = in_subprocess(args)
        print_report(results, args)
        if results.get("error"):
            status = 1
    except Exception:
        traceback.print_exc()
        status = 1
    if args.summary_json:
        common.write_summary(args.summary_json, summary_rows(results, args))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
