"""The approval engine's cost: one full application against a bare viewflow flow.

Run from the repository root:

    .venv/bin/python bench/bench_engine.py [--runs 30] [--warmup 3] [--database both]
        [--summary-json PATH]

Each database part starts from nothing (a temporary SQLite file, or a
throwaway PostgreSQL started through ``devtools/postgres.py``), migrates, loads
the demo catalogue and shared data, and then measures two workloads run by
run, interleaved so that machine noise hits both alike:

* ours: one ``fie-establishment`` application through ``approvals.services``,
  from the draft and its prefill to the last department's approval (which
  runs the join, the decision and the permit);
* bare: ``bench.yardstick.BareSingleWindowFlow``, the same nodes on
  viewflow alone, driven from code with as many departments.

It reports SQL queries per run (exact: the count is deterministic), median
and p90 wall time, the ratios ours/bare, where our queries go by phase, and
the share of required materials that prefill spares each demo service.
Times are reported, never asserted. See bench/README.md for what each figure
means.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import say  # noqa: E402

SERVICE = "fie-establishment"
AVOIDED_TARGET = 0.55
# Our phases, each with the bare flow's phase doing the same engine work (if any).
PHASE_ROWS = (
    ("create+prefill", None),
    ("hand-in", None),
    ("submit", "start"),
    ("accept", "accept"),
    ("reviews", "reviews"),
)
OUR_PHASES = tuple(ours for ours, _bare in PHASE_ROWS)
BARE_PHASES = tuple(bare for _ours, bare in PHASE_ROWS if bare)
ENGINE_PHASES = tuple(ours for ours, bare in PHASE_ROWS if bare)
# Counted among the queries (Django logs BEGIN and COMMIT as queries on every
# database) and also shown apart.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Queries and time of one full application, ours against a bare viewflow flow."
    )
    parser.add_argument("--runs", type=int, default=30, help="measured runs of each workload")
    parser.add_argument("--warmup", type=int, default=3, help="runs of each workload discarded")
    common.add_common_options(parser, database=True, results=True)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    return args


# --- statistics -------------------------------------------------------------


def summarise(samples: list[dict], phases: tuple[str, ...], engine: tuple[str, ...]) -> dict:
    """Medians over the runs; `engine` names the phases the bare flow also goes through."""
    totals = [s["queries"] for s in samples]
    ms = [s["ms"] for s in samples]
    return {
        "queries": statistics.median(totals),
        "transaction_control": statistics.median(s["transaction_control"] for s in samples),
        "queries_min": min(totals),
        "queries_max": max(totals),
        "median_ms": statistics.median(ms),
        "p90_ms": common.p90(ms),
        "phases": {
            p: {
                "queries": statistics.median(s["phases"][p]["queries"] for s in samples),
                "median_ms": statistics.median(s["phases"][p]["ms"] for s in samples),
            }
            for p in phases
        },
        "engine": {
            "queries": statistics.median(
                sum(s["phases"][p]["queries"] for p in engine) for s in samples
            ),
            "median_ms": statistics.median(
                sum(s["phases"][p]["ms"] for p in engine) for s in samples
            ),
        },
    }


# --- one database part (runs inside Django) ----------------------------------


def prepare_data(label: str) -> dict:
    """Schema, catalogue, shared data and one user per role; returns what the runs need."""
    from django.core.management import call_command

    from approvals.models import Department, Enterprise, Service

    say(f"{label}: migrate")
    call_command("migrate", verbosity=0, interactive=False)
    say(f"{label}: load the catalogue and the shared data")
    common.load_fixtures("catalogue", "shared_data")

    say(f"{label}: create the users (investor, clerk, one reviewer per department)")
    clerks, investors = common.role_groups()
    investor = common.filer_create("investor", investors)
    clerk = common.user_create("clerk", clerks)
    reviewers = {
        d.code: common.user_create(f"rev-{d.code}", d.reviewer_group).pk
        for d in Department.objects.filter(matters__isnull=False)
        .select_related("reviewer_group")
        .distinct()
    }
    service = Service.objects.get(code=SERVICE)
    return {
        "investor": investor.pk,
        "clerk": clerk.pk,
        "reviewers": reviewers,
        "service": service,
        # One branch per matter in the bare flow too: the same shape, without the
        # parking of matters that need another first (ours reviews those later).
        "departments": list(
            service.thing_matters.order_by("order").values_list(
                "matter__department__code", flat=True
            )
        ),
        "enterprise": Enterprise.objects.order_by("pk").first(),
    }


def materials_avoided(investor_pk: int) -> dict:
    """Per active service: the share of required materials prefill reused, over every
    enterprise of the shared data. The drafts are rolled back afterwards."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from approvals import demo, selectors
    from approvals.models import Enterprise, Service

    investor = get_user_model().objects.get(pk=investor_pk)
    enterprises = list(Enterprise.objects.order_by("pk"))
    result = {}
    with transaction.atomic():
        for service in Service.objects.filter(is_active=True).order_by("pk"):
            shares = []
            for enterprise in enterprises:
                app = demo.application_for_script(
                    applicant=investor, service=service, enterprise=enterprise
                )
                shares.append(selectors.application_materials_summary(app).avoided_share)
            result[service.code] = {
                "required": service.materials.count(),
                # The ceiling: only a material with a reuse key can be reused.
                "reusable": service.materials.exclude(reuse_key="").count(),
                "enterprises": len(shares),
                "mean": statistics.fmean(shares),
                "max": max(shares),
                "reached": sum(s >= AVOIDED_TARGET - 1e-9 for s in shares),
            }
        transaction.set_rollback(True)
    return result


class Measured:
    """Queries and wall time of one run, with marks at the end of each phase."""

    def __init__(self, connection):
        from django.test.utils import CaptureQueriesContext

        self._capture = CaptureQueriesContext(connection)
        self.phases: dict[str, dict] = {}

    def __enter__(self):
        # The connection's query log is a bounded deque: past 9,000 entries a
        # capture would count nothing, so every run starts from an empty log.
        from django.db import reset_queries

        reset_queries()
        self._capture.__enter__()
        self._last = (0, time.perf_counter())
        self._start = self._last[1]
        return self

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        count = len(self._capture.captured_queries)
        self.phases[phase] = {
            "queries": count - self._last[0],
            "ms": (now - self._last[1]) * 1000,
        }
        self._last = (count, now)

    def __exit__(self, *exc):
        self.ms = (time.perf_counter() - self._start) * 1000
        self._capture.__exit__(*exc)
        captured = self._capture.captured_queries
        self.queries = len(captured)
        self.transaction_control = sum(
            q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL) for q in captured
        )

    def sample(self) -> dict:
        return {
            "queries": self.queries,
            "transaction_control": self.transaction_control,
            "ms": self.ms,
            "phases": self.phases,
        }


def run_ours(data: dict) -> tuple[dict, dict]:
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.db import connection

    from approvals import demo, services
    from approvals.models import ApplicationStatus, DepartmentReview, Permit

    # Fresh user objects each run, as each request would load them: the
    # permission caches on a user object must not carry over between runs.
    users = get_user_model().objects.in_bulk(
        [data["investor"], data["clerk"], *data["reviewers"].values()]
    )
    investor, clerk = users[data["investor"]], users[data["clerk"]]
    reviewers = {code: users[pk] for code, pk in data["reviewers"].items()}
    mail.outbox = []

    with Measured(connection) as m:
        app = demo.application_for_script(
            applicant=investor, service=data["service"], enterprise=data["enterprise"]
        )
        m.mark("create+prefill")
        handed_in = common.hand_in(app, investor)
        m.mark("hand-in")
        app = services.application_submit(actor=investor, application=app)
        m.mark("submit")
        app = services.application_accept(actor=clerk, application=app)
        m.mark("accept")
        # Registration first: the matters that need it open when it is approved.
        demo.reviews_approve(app, reviewers.__getitem__)
        m.mark("reviews")

    app.refresh_from_db()
    reviewed = DepartmentReview.objects.filter(application=app).count()
    outcomes = Permit.objects.filter(application=app).count()
    if app.status != ApplicationStatus.APPROVED or outcomes != len(data["departments"]):
        raise RuntimeError(f"our run ended as {app.status}, with {outcomes} outcomes")
    if reviewed != len(data["departments"]):
        raise RuntimeError(f"our run had {reviewed} reviews, not {len(data['departments'])}")
    return m.sample(), handed_in


def run_bare(data: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import PROCESS

    from bench.yardstick import BareSingleWindowFlow as Bare

    users = get_user_model().objects.in_bulk([data["clerk"], *data["reviewers"].values()])
    clerk = users[data["clerk"]]
    reviewers = {code: users[pk] for code, pk in data["reviewers"].items()}

    def complete(task, user) -> None:
        with task.activation() as act:
            if act.assign.can_proceed():
                if not task.flow_task.can_assign(user, act.task):
                    raise RuntimeError("viewflow refused the assignment")
                act.assign(user)
            if not task.flow_task.can_execute(user, act.task):
                raise RuntimeError("viewflow refused the execution")
            act.start(None)
            act.execute()

    with Measured(connection) as m:
        process = Bare.start.run(_process_data={"departments": data["departments"]})
        m.mark("start")
        complete(Task.objects.get(process_id=process.pk, flow_task=Bare.accept), clerk)
        m.mark("accept")
        for task in Task.objects.filter(process_id=process.pk, flow_task=Bare.review).order_by(
            "pk"
        ):
            complete(task, reviewers[task.data["department"]])
        m.mark("reviews")

    process.refresh_from_db()
    reviews = Task.objects.filter(process_id=process.pk, flow_task=Bare.review).count()
    if process.status != PROCESS.DONE or reviews != len(data["departments"]):
        raise RuntimeError(f"the bare run ended as {process.status} with {reviews} reviews")
    return m.sample()


def database_part(label: str, database_url: str | None, args: argparse.Namespace) -> dict:
    """Everything measured on one database, as a JSON-able dict."""
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-"))
    try:
        if database_url is None:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        # bench.settings installs the bench app, which viewflow needs to name the bare flow.
        common.setup_django(database_url, workdir, DJANGO_SETTINGS_MODULE="bench.settings")
        from django.db import connection

        data = prepare_data(label)
        say(f"{label}: materials avoided by prefill (a draft per enterprise and service)")
        avoided = materials_avoided(data["investor"])
        total = args.warmup + args.runs
        say(
            f"{label}: {args.warmup} warm-up + {args.runs} measured runs of each workload, "
            f"interleaved ({len(data['departments'])} departments)"
        )
        ours, bare, handed_in = [], [], None
        for i in range(total):
            sample, handed_in = run_ours(data)
            if i >= args.warmup:
                ours.append(sample)
            sample = run_bare(data)
            if i >= args.warmup:
                bare.append(sample)
        server = common.database_server()
        connection.close()
        say(f"{label}: done in {time.perf_counter() - started:.0f} s")
        return {
            "label": label,
            "server": server,
            "departments": data["departments"],
            "enterprise": f"{data['enterprise'].name_en} ({data['enterprise'].uscc})",
            "handed_in": handed_in,
            "ours": summarise(ours, OUR_PHASES, ENGINE_PHASES),
            "bare": summarise(bare, BARE_PHASES, BARE_PHASES),
            "avoided": avoided,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- the report -------------------------------------------------------------


def queries_text(summary: dict) -> str:
    q = summary["queries"]
    text = f"{q:g}"
    if summary["queries_min"] != summary["queries_max"]:
        text += f" ({summary['queries_min']}-{summary['queries_max']})"
    return text


def print_report(parts: list[dict], args: argparse.Namespace) -> None:
    first = parts[0]
    print(f"Engine benchmark: {common.machine('Django', 'viewflow')}")
    print(
        f"{args.runs} measured runs after {args.warmup} warm-up, ours and bare interleaved; "
        f"service {SERVICE} with {len(first['departments'])} departments "
        f"({', '.join(first['departments'])}); enterprise {first['enterprise']}"
    )
    h = first["handed_in"]
    print(
        f"Each of our runs hands in: uploads {h['uploads']}, commitments {h['commitments']}, "
        f"deferrals {h['deferrals']}, values typed {h['values']}; prefill reused the rest."
    )
    print()
    header = (
        f"{'database':<16} {'workload':<22} {'queries/run':>12} {'(tx)':>6} "
        f"{'median ms':>10} {'p90 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for part in parts:
        ours, bare = part["ours"], part["bare"]
        for name, s in (("ours (services+flow)", ours), ("bare viewflow", bare)):
            print(
                f"{part['server']:<16} {name:<22} {queries_text(s):>12} "
                f"{s['transaction_control']:>6g} {s['median_ms']:>10.1f} {s['p90_ms']:>8.1f}"
            )
        print(
            f"{part['server']:<16} {'ratio ours/bare':<22} "
            f"{ours['queries'] / bare['queries']:>11.2f}x {'':>6} "
            f"{ours['median_ms'] / bare['median_ms']:>9.2f}x".rstrip()
        )
    print("(tx): of the queries, BEGIN/COMMIT/SAVEPOINT/RELEASE")
    for part in parts:
        print()
        print(f"Where the queries go, {part['server']} (queries and median ms per phase)")
        header = (
            f"{'phase':<16} {'ours q':>7} {'ours ms':>8}   {'bare phase':<10} {'bare q':>7} "
            f"{'bare ms':>8} {'q ratio':>8} {'ms ratio':>8}"
        )
        print(header)
        print("-" * len(header))
        ours, bare = part["ours"], part["bare"]
        rows = [
            (name, ours["phases"][name], bare_name, bare["phases"].get(bare_name))
            for name, bare_name in PHASE_ROWS
        ]
        rows.append((f"{ENGINE_PHASES[0]}..{ENGINE_PHASES[-1]}", ours["engine"], "all", bare))
        rows.append(("whole run", ours, "all", bare))
        for name, o, bare_name, b in rows:
            line = f"{name:<16} {o['queries']:>7g} {o['median_ms']:>8.1f}   "
            if b is None:
                line += f"{'-':<10}"
            else:
                line += (
                    f"{bare_name:<10} {b['queries']:>7g} {b['median_ms']:>8.1f} "
                    f"{o['queries'] / b['queries']:>7.2f}x {o['median_ms'] / b['median_ms']:>7.2f}x"
                )
            print(line.rstrip())
        print("(phase medians need not add up to the run's median)")

    print()
    same = all(p["avoided"] == first["avoided"] for p in parts)
    where = "same on every database" if same else first["server"]
    print(
        f"Materials avoided by prefill: a draft for every enterprise in the shared data ({where})"
    )
    header = (
        f"{'service':<28} {'required':>8} {'reusable':>9} {'enterprises':>11} {'mean':>6} "
        f"{'max':>6} {'>= ' + format(AVOIDED_TARGET, '.0%'):>7}"
    )
    for part in parts if not same else parts[:1]:
        if not same:
            print(part["server"])
        print(header)
        print("-" * len(header))
        for code, a in part["avoided"].items():
            ceiling = f"{a['reusable']} ({a['reusable'] / a['required']:.0%})"
            print(
                f"{code:<28} {a['required']:>8} {ceiling:>9} {a['enterprises']:>11} "
                f"{a['mean']:>6.1%} {a['max']:>6.1%} {a['reached']:>7}"
            )
    print(
        "reusable: required materials that have a reuse key, the most prefill can spare; "
        f"mean and max of reused/required over the enterprises; >= {AVOIDED_TARGET:.0%}: "
        "how many enterprises reached it"
    )


def summary_rows(parts: list[dict], args: argparse.Namespace) -> list[dict]:
    """The run_all table's rows: ours against the bare flow, per database."""
    rows = []
    for part in parts:
        ours, bare = part["ours"], part["bare"]
        shape = f"{SERVICE}, {len(part['departments'])} departments"
        same_shape = f"yardstick: bare viewflow flow of the same shape ({shape})"
        runs = f"medians of {args.runs} interleaved runs after {args.warmup} warm-up"
        for figure, unit, note, digits in (
            ("queries", "queries", same_shape, None),
            ("median_ms", "ms", runs, 3),
        ):
            rows.append(
                common.summary_row(
                    "engine",
                    f"full application run, {part['server']}",
                    ours=ours[figure],
                    yardstick=bare[figure],
                    unit=unit,
                    note=note,
                    digits=digits,
                )
            )
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    parts: list[dict] = []
    status = 0
    try:
        child = [f"--runs={args.runs}", f"--warmup={args.warmup}"]
        for part in common.database_parts(__file__, args, database_part, child):
            parts.append(part)
        if args.results_json:
            common.hand_back(args.results_json, parts[0])
        else:
            print_report(parts, args)
    except Exception:
        traceback.print_exc()
        status = 1
    # What did run is summarised even when a later part failed (the exit
    # status says that it did).
    if args.summary_json and not args.results_json:
        common.write_summary(args.summary_json, summary_rows(parts, args))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
