"""Every list's cost at 10 and at 1,000 applications: pages and API lists alike.

Run from the repository root:

    .venv/bin/python bench/bench_lists.py [--applications 1000] [--repeat 20] [--database both]
        [--summary-json PATH]

A list must cost a fixed number of queries whatever the number of rows
(STYLE.md). This measures it where people meet the lists, through the whole
request (middleware, authentication, permissions, template or serializer),
with Django's test client:

* the investor's "my applications" page and ``/api/applications/``;
* the window clerk's queue page and ``/api/window/``;
* a department reviewer's queue page (inbox and queue) and
  ``/api/tasks/queue/`` and ``/api/tasks/inbox/``;
* the public service guide and ``/api/services/``.

Each database part starts from nothing (a temporary SQLite file, or a
throwaway PostgreSQL started through ``devtools/postgres.py``), migrates, and
loads the catalogue, the shared data and the rejection reasons. Then ten
applications are made through ``approvals.services`` as people make them,
one of each kind the lists show (drafts, at the window, returned, in review
with the reviewer's task free, taken, taken and escalated, approved with its
permit), all filed by one investor. That database is the small size. A copy
of it (file copy, or ``CREATE DATABASE ... TEMPLATE``) becomes the large
size: there, copies of those ten are added row by row (the application, its
values, materials, ledger steps and clock intervals, corrections, department
reviews, escalations, permit and licence, audit entries, and its viewflow
process and tasks with their links) with ``bulk_create``. The real flow
takes about a second an application, the copies seconds in all, and a copy
is to every selector what its original is.

At each size every list is requested 3 times to warm up, then its queries
are counted on 2 more requests (``CaptureQueriesContext``; a range is shown
if they differ), then it is timed over ``--repeat`` requests (median), in
blocks of 5 that alternate between the two databases so that machine noise
hits both sizes alike. The ratios large/small are the figures: queries
should be exactly 1.00; time may grow with the rows a page shows (a full
page against a few rows), not with the rows in the database. Times are
reported, never asserted. Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import say  # noqa: E402

SERVICE = "fie-establishment"
OTHER_SERVICE = "investment-project-filing"
# The department whose reviewer's lists are measured (the first of the
# service's departments if the catalogue ever drops it).
REVIEW_DEPARTMENT = "market-regulation"
WARMUP = 3
COUNTED = 2
BLOCK = 5  # timed requests in a row on one size before switching to the other
TYPED = "由申请人填写 / filled by hand"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Queries and time of every list, page and API, at 10 and at N applications."
    )
    parser.add_argument(
        "--applications",
        type=int,
        default=1000,
        metavar="N",
        help="the large size (a multiple of 10, at least 20); the small one is 10",
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed requests of each list")
    common.add_common_options(parser, database=True, results=True)
    args = parser.parse_args(argv)
    if args.applications < 20 or args.applications % 10 or args.repeat < 1:
        parser.error("--applications must be a multiple of 10, at least 20; --repeat at least 1")
    return args


# --- the lists --------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    key: str
    label: str
    who: str  # "investor", "clerk", "reviewer" or "public"
    url: str
    api: bool


LISTS = (
    Listing("investor-page", "my applications page", "investor", "/applications/", False),
    Listing("investor-api", "/api/applications/", "investor", "/api/applications/", True),
    Listing("window-page", "window queue page", "clerk", "/office/window/", False),
    Listing("window-api", "/api/window/", "clerk", "/api/window/", True),
    Listing("reviewer-page", "review queue page", "reviewer", "/office/reviews/", False),
    Listing("queue-api", "/api/tasks/queue/", "reviewer", "/api/tasks/queue/", True),
    Listing("inbox-api", "/api/tasks/inbox/", "reviewer", "/api/tasks/inbox/", True),
    Listing("guide-page", "service guide page", "public", "/services/", False),
    Listing("guide-api", "/api/services/", "public", "/api/services/", True),
)


# --- one database part (runs inside Django) ----------------------------------


def setup_django(database_url: str, workdir: Path) -> None:
    (workdir / "static").mkdir(parents=True, exist_ok=True)
    common.setup_django(
        database_url,
        workdir,
        STATIC_ROOT=str(workdir / "static"),
        # As served: no DEBUG (no query log outside the counted requests).
        DEBUG="0",
        SECRET_KEY="bench-lists-not-secret",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="testserver",
        # The benchmark makes hundreds of requests a minute as one user;
        # the throttles would answer 429 instead of the list.
        API_THROTTLE_ANON="1000000/minute",
        API_THROTTLE_USER="1000000/minute",
    )


def prepare_users(label: str) -> dict:
    """Schema, catalogue, shared data, and the users whose lists are measured."""
    from django.core.management import call_command

    from approvals import selectors

    say(f"{label}: migrate")
    call_command("migrate", verbosity=0, interactive=False)
    say(f"{label}: load the catalogue, the shared data and the rejection reasons")
    common.load_fixtures("catalogue", "shared_data", "rejection_reasons")

    clerks, investors = common.role_groups()
    departments = list(selectors.departments_deciding(SERVICE))
    codes = [d.code for d in departments]
    reviewers = {d.code: common.user_create(f"rev-{d.code}", d.reviewer_group) for d in departments}
    return {
        "investor": common.filer_create("investor", investors),
        "clerk": common.user_create("clerk", clerks),
        "reviewers": reviewers,
        "department": REVIEW_DEPARTMENT if REVIEW_DEPARTMENT in codes else codes[0],
    }


def unregistered_uscc() -> str:
    """A valid USCC the shared data does not hold: the applicant types the names."""
    from approvals.identifiers import uscc_check_character
    from approvals.models import Enterprise

    for n in range(9_000_001, 9_100_000):
        body = f"91460100MA{n:07d}"
        uscc = body + uscc_check_character(body)
        if not Enterprise.objects.filter(uscc=uscc).exists():
            return uscc
    raise RuntimeError("no free USCC")


def make_originals(users: dict) -> list[tuple[int, str]]:
    """Ten applications made through the services, one of each kind; (pk, kind) each."""
    from approvals import demo, services
    from approvals.demo import hand_in_missing
    from approvals.engine import callbacks
    from approvals.models import ActingAs, Application, Enterprise, SatisfiedBy, Service

    investor, clerk = users["investor"], users["clerk"]
    reviewer = users["reviewers"][users["department"]]
    service = Service.objects.get(code=SERVICE)
    other = Service.objects.get(code=OTHER_SERVICE)
    enterprises = list(Enterprise.objects.filter(tax_registration__isnull=False).order_by("pk"))
    made: list[tuple[int, str]] = []

    def draft(uscc: str | None = None, on=service):
        # An establishment is opened on a reservation the investor declares, shaped
        # like the enterprise (approvals.demo.application_for_script).
        app = demo.application_for_script(
            applicant=investor, service=on, enterprise=enterprises[len(made) % len(enterprises)]
        )
        if uscc is None:
            return app
        # An enterprise the registry does not hold yet (an establishment's draft, its
        # founder's): moved to the new code and prefilled again, so its names are typed.
        Application.objects.filter(pk=app.pk).update(
            uscc=uscc, enterprise=None, acting_as=ActingAs.FOUNDER, mandate=None
        )
        app.materials.filter(satisfied_by=SatisfiedBy.REUSE).update(
            satisfied_by=SatisfiedBy.MISSING, reuse_reference=""
        )
        app.refresh_from_db()
        services.application_prefill(application=app)
        return app

    def submitted(uscc: str | None = None, on=service):
        app = draft(uscc, on)
        hand_in_missing(app, actor=investor, typed=TYPED)
        return services.application_submit(actor=investor, application=app)

    def returned():
        app = submitted()
        services.application_return(
            actor=clerk, application=app, items=["Sign the form. / 表格未签字。"]
        )
        return app

    def in_review():
        app = submitted()
        services.application_accept(actor=clerk, application=app)
        return app.reviews.select_related("task").get(department__code=users["department"])

    def keep(app, kind: str) -> None:
        made.append((app.pk, kind))

    keep(draft(), "draft")
    keep(draft(unregistered_uscc()), "draft, enterprise not in the registry")
    keep(submitted(on=other), f"at the window ({OTHER_SERVICE})")
    keep(submitted(unregistered_uscc()), "at the window, enterprise not in the registry")
    app = returned()
    keep(
        services.application_resubmit(actor=investor, application=app, answer="Signed."),
        "at the window again after a correction",
    )
    keep(returned(), "returned, waiting on the investor")
    review = in_review()
    keep(review.application, "in review, the reviewer's task not taken")
    review = in_review()
    services.task_assign(actor=reviewer, task=review.task)
    keep(review.application, "in review, taken by the reviewer")
    review = in_review()
    services.task_assign(actor=reviewer, task=review.task)
    callbacks.escalation_record(host_task=review.task)
    keep(review.application, "in review, taken and escalated")
    app = submitted()
    services.application_accept(actor=clerk, application=app)
    demo.reviews_approve(app, users["reviewers"].__getitem__)
    app.refresh_from_db()
    if app.status != "approved" or not hasattr(app, "permit"):
        raise RuntimeError(f"the approved original ended as {app.status}")
    keep(app, "approved, permit issued")
    return made


# --- copies ------------------------------------------------------------------


@contextmanager
def timestamps_kept(models):
    """bulk_create with auto_now(_add) fields taking the values given, not now."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def copy_applications(original_pks: list[int], rounds: int) -> dict[str, int]:
    """`rounds` copies of every original, every row that hangs off it copied too.

    Foreign keys between copied rows point at the copies (the copy's review at
    the copy's task, its escalation at that review...); everything else
    (users, services, departments, enterprises) is shared with the original.
    Unique values get a suffix. Returns the rows written per table.
    """
    from django.db import models, transaction
    from viewflow.workflow.models import Process, Task

    from approvals.models import Application, Licence, Permit

    originals = list(Application.objects.filter(pk__in=original_pks).order_by("pk"))
    process_ids = [a.process_id for a in originals if a.process_id]
    task_links = Task._meta.get_field("previous").remote_field.through
    # (model, rows to copy), parents before children.
    plan = [
        (Process, list(Process.objects.filter(pk__in=process_ids).order_by("pk"))),
        (Application, originals),
        (Task, list(Task.objects.filter(process_id__in=process_ids).order_by("pk"))),
        (task_links, list(task_links.objects.filter(from_task__process_id__in=process_ids))),
        (
            Licence,
            list(Licence.objects.filter(permit__application__in=original_pks).order_by("pk")),
        ),
    ]
    # Every other table with a foreign key to Application, each after the
    # tables it points at (an escalation after its review).
    link_of = {
        rel.related_model._meta.concrete_model: rel.field.name
        for rel in Application._meta.related_objects
        if (rel.one_to_many or rel.one_to_one) and rel.related_model is not Application
    }
    hanging = set(link_of)
    planned = {model for model, _rows in plan}
    while hanging:
        ready = [
            model
            for model in sorted(hanging, key=lambda m: m._meta.label)
            if not any(
                f.is_relation
                and f.concrete
                and f.related_model is not None
                and f.related_model._meta.concrete_model in hanging - {model}
                for f in model._meta.get_fields()
            )
        ]
        if not ready:
            raise RuntimeError(f"cannot order the copies of {sorted(map(str, hanging))}")
        for model in ready:
            rows = list(
                model._default_manager.filter(**{f"{link_of[model]}__in": original_pks}).order_by(
                    "pk"
                )
            )
            plan.append((model, rows))
            hanging.discard(model)
            planned.add(model)

    # Generic relations (viewflow's seed/artifact) to rows being copied would
    # need remapping too; none of the flow's processes or tasks has one.
    for model, rows in plan:
        if model not in (Process, Task):
            continue
        for f in model._meta.concrete_fields:
            if f.name.endswith("_object_id") and any(getattr(r, f.attname) for r in rows):
                raise RuntimeError(f"{model._meta.label}.{f.name} is set: copying would break it")

    new_pk: dict[type, dict[tuple[int, object], object]] = {}
    written: dict[str, int] = {}
    with transaction.atomic(), timestamps_kept([model for model, _rows in plan]):
        for model, rows in plan:
            model = model._meta.concrete_model
            copies = []
            for n in range(rounds):
                for row in rows:
                    copy = model()
                    for f in model._meta.concrete_fields:
                        value = getattr(row, f.attname)
                        if f.primary_key:
                            continue
                        if f.is_relation:
                            target = f.related_model._meta.concrete_model
                            if value is not None and target in new_pk:
                                value = new_pk[target][(n, value)]
                        elif isinstance(f, models.UUIDField) and f.unique:
                            value = uuid.uuid4()
                        elif value and (
                            f.unique or (model is Application and f.name == "idempotency_key")
                        ):
                            value = f"{value}-c{n + 1:05d}"
                        setattr(copy, f.attname, value)
                    copies.append(copy)
            done = model._default_manager.bulk_create(copies, batch_size=500)
            if model._meta.pk is not None and any(c.pk is None for c in done):
                raise RuntimeError(f"{model._meta.label}: bulk_create returned no keys")
            new_pk[model] = {
                (i // len(rows), rows[i % len(rows)].pk): c.pk for i, c in enumerate(done)
            }
            written[model._meta.db_table] = len(done)
    if Permit not in planned:
        raise RuntimeError("permits were not copied")
    return written


# --- measuring ----------------------------------------------------------------


def clients(users: dict):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    def page_client(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def api_client(user):
        if user is None:
            return Client()
        token, _ = Token.objects.get_or_create(user=user)
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    who = {
        "investor": users["investor"],
        "clerk": users["clerk"],
        "reviewer": users["reviewers"][users["department"]],
        "public": None,
    }
    return {
        listing.key: (api_client if listing.api else page_client)(who[listing.who])
        for listing in LISTS
    }


def expected_rows(users: dict) -> dict[str, tuple[int, str]]:
    """Per list: the rows its selector holds, and a link the first page must show."""
    from approvals import selectors

    investor = users["investor"]
    reviewer = users["reviewers"][users["department"]]
    mine = selectors.applications_for_list(investor)
    window = selectors.window_queue()
    inbox, queue = selectors.review_inbox(reviewer), selectors.review_queue(reviewer)
    guide = selectors.service_guide()
    first_app, first_window = mine.first(), window.first()
    first_review = (inbox.first() or queue.first()).pk
    return {
        "investor-page": (mine.count(), f"/applications/{first_app.public_id}/"),
        "investor-api": (mine.count(), str(first_app.public_id)),
        "window-page": (window.count(), f"/office/window/{first_window.public_id}/"),
        "window-api": (window.count(), str(first_window.public_id)),
        "reviewer-page": (inbox.count() + queue.count(), f"/office/reviews/{first_review}/"),
        "queue-api": (queue.count(), str(queue.first().application.public_id)),
        "inbox-api": (inbox.count(), str(inbox.first().application.public_id)),
        "guide-page": (guide.count(), f"/services/{guide.first().code}/"),
        "guide-api": (guide.count(), guide.first().code),
    }


def fetch(client, listing: Listing, rows: int, marker: str) -> None:
    response = client.get(listing.url)
    if response.status_code != 200:
        raise RuntimeError(
            f"{listing.url} as {listing.who} answered {response.status_code}: "
            f"{response.content[:300]!r}"
        )
    body = response.content.decode()
    if marker not in body:
        raise RuntimeError(f"{listing.url} as {listing.who} does not show {marker}")
    if listing.api and json.loads(body)["count"] != rows:
        raise RuntimeError(f"{listing.url} counts {json.loads(body)['count']}, not {rows}")


class Databases:
    """The small and the large data in two databases, the connection moved between them.

    The large one starts as a copy of the small one (users, sessions and
    tokens included), so the same clients work on both, and the timed
    requests alternate between the sizes in blocks: machine noise then hits
    both alike, as in the other benchmarks.
    """

    def __init__(self, workdir: Path):
        from django.db import connection

        self.connection = connection
        self.workdir = workdir
        self.names: dict[str, str] = {}
        if connection.vendor == "postgresql":
            # The server's own "postgres" database stays the maintenance one.
            self.maintenance = connection.settings_dict["NAME"]
            self._execute("CREATE DATABASE hw_bench_lists_small")
            self.names["small"] = "hw_bench_lists_small"
        else:
            self.names["small"] = connection.settings_dict["NAME"]
        self.use("small")

    def _execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)

    def use(self, size: str) -> None:
        if self.connection.settings_dict["NAME"] != self.names[size]:
            self.connection.close()
            self.connection.settings_dict["NAME"] = self.names[size]

    def copy_small_to_large(self) -> None:
        self.connection.close()
        if self.connection.vendor == "postgresql":
            self.connection.settings_dict["NAME"] = self.maintenance
            self._execute("CREATE DATABASE hw_bench_lists_large TEMPLATE hw_bench_lists_small")
            self.connection.close()
            self.names["large"] = "hw_bench_lists_large"
        else:
            large = self.workdir / "large.sqlite3"
            shutil.copyfile(self.names["small"], large)
            self.names["large"] = str(large)
        self.use("large")


def measure(users: dict, databases: Databases, browsers: dict, repeat: int) -> dict:
    """Per size and list: rows, queries per request and median ms, sizes interleaved."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sizes = ("small", "large")
    expected = {}
    for size in sizes:
        databases.use(size)
        expected[size] = expected_rows(users)
    block = min(BLOCK, repeat)
    blocks = -(-repeat // block)
    result: dict[str, dict] = {size: {} for size in sizes}
    for listing in LISTS:
        client = browsers[listing.key]
        ms: dict[str, list[float]] = {size: [] for size in sizes}

        def get(size: str, listing=listing, client=client) -> None:
            fetch(client, listing, *expected[size][listing.key])

        for size in sizes:
            databases.use(size)
            # The throttles keep each user's recent requests in the cache;
            # every run of requests starts from the same empty history.
            cache.clear()
            for _ in range(WARMUP):
                get(size)
            counts, sql_ms = [], []
            for _ in range(COUNTED):
                with CaptureQueriesContext(connection) as captured:
                    get(size)
                counts.append(len(captured.captured_queries))
                sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            result[size][listing.key] = {
                "rows": expected[size][listing.key][0],
                "queries": max(counts),
                "queries_min": min(counts),
                # Time in the database driver, as Django logs it: tells a list
                # whose SQL slows down with the data from one that renders more rows.
                "sql_ms": min(sql_ms),
            }
        for b in range(blocks):
            for size in sizes if b % 2 == 0 else sizes[::-1]:
                databases.use(size)
                cache.clear()
                get(size)  # untimed: the connection to this database is opened here
                for _ in range(min(block, repeat - len(ms[size]))):
                    started = time.perf_counter()
                    get(size)
                    ms[size].append((time.perf_counter() - started) * 1000)
        for size in sizes:
            result[size][listing.key]["median_ms"] = statistics.median(ms[size])
    return result


def database_part(label: str, database_url: str | None, args: argparse.Namespace) -> dict:
    """Everything measured on one database, as a JSON-able dict."""
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-lists-"))
    try:
        if database_url is None:
            database_url = f"sqlite:///{workdir / 'small.sqlite3'}"
        setup_django(database_url, workdir)
        from django.conf import settings
        from django.db import connection

        databases = Databases(workdir)
        users = prepare_users(label)
        say(f"{label}: 10 applications through the services, one of each kind")
        originals = make_originals(users)
        browsers = clients(users)
        say(f"{label}: a second database, a copy of the first")
        databases.copy_small_to_large()
        rounds = args.applications // len(originals) - 1
        say(f"{label}: there, {rounds} copies of each of the 10 applications, row by row")
        copied_started = time.perf_counter()
        written = copy_applications([pk for pk, _kind in originals], rounds)
        say(
            f"{label}: copied in {time.perf_counter() - copied_started:.1f} s "
            f"({sum(written.values()):,} rows in {len(written)} tables)"
        )
        say(
            f"{label}: every list at 10 and at {args.applications:,} applications, "
            f"{args.repeat} timed requests each, alternating"
        )
        measured = measure(users, databases, browsers, args.repeat)
        server = common.database_server()
        connection.close()
        say(f"{label}: done in {time.perf_counter() - started:.0f} s")
        return {
            "label": label,
            "server": server,
            "page_size": settings.PAGE_SIZE,
            "kinds": [kind for _pk, kind in originals],
            "written": written,
            "small": measured["small"],
            "large": measured["large"],
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- the report -------------------------------------------------------------


def queries_text(m: dict) -> str:
    if m["queries_min"] != m["queries"]:
        return f"{m['queries_min']}-{m['queries']}"
    return str(m["queries"])


def print_report(parts: list[dict], args: argparse.Namespace) -> None:
    n = args.applications
    print(f"List benchmark: {common.machine('Django')}")
    print(
        f"10 applications made through the services, one of each kind, all one investor's; "
        f"{n:,} = those and {n // 10 - 1} copies of each, row by row."
    )
    print("The kinds: " + "; ".join(parts[0]["kinds"]) + ".")
    print(
        f"Per list and size: {WARMUP} warm-up requests, queries counted on {COUNTED} more, "
        f"median ms of {args.repeat}; pages of {parts[0]['page_size']} rows."
    )
    for part in parts:
        print()
        print(f"{part['server']}: rows written by the copies: {sum(part['written'].values()):,}")
        header = (
            f"{'list':<22} {'as':<8} {'rows@10':>7} {f'rows@{n}':>10} {'q@10':>5} "
            f"{f'q@{n}':>7} {'q ratio':>8} {'ms@10':>7} {f'ms@{n}':>8} {'ms ratio':>8} "
            f"{'sql@10':>7} {f'sql@{n}':>9}"
        )
        print(header)
        print("-" * len(header))
        for listing in LISTS:
            s, big = part["small"][listing.key], part["large"][listing.key]
            print(
                f"{listing.label:<22} {listing.who:<8} {s['rows']:>7} {big['rows']:>10} "
                f"{queries_text(s):>5} {queries_text(big):>7} "
                f"{big['queries'] / s['queries']:>7.2f}x {s['median_ms']:>7.1f} "
                f"{big['median_ms']:>8.1f} {big['median_ms'] / s['median_ms']:>7.2f}x "
                f"{s['sql_ms']:>7.1f} {big['sql_ms']:>9.1f}"
            )
    print()
    print(
        "rows: what the list holds (a page shows at most the page size); q: queries per request, "
        "authentication and permissions included; ms: median wall time per request; sql: ms of "
        "it spent in the database driver (Django's query log, one counted request)."
    )


def summary_rows(parts: list[dict], args: argparse.Namespace) -> list[dict]:
    """The run_all table's rows: each list at N applications against itself at 10."""
    n = args.applications
    rows = []
    for part in parts:
        for unit in ("queries", "ms"):
            for listing in LISTS:
                s, big = part["small"][listing.key], part["large"][listing.key]
                if unit == "queries":
                    ours, yardstick = big["queries"], s["queries"]
                    note = f"at {n:,} applications vs at 10 (yardstick); should be 1.00"
                else:
                    ours, yardstick = round(big["median_ms"], 3), round(s["median_ms"], 3)
                    shown = [min(x["rows"], part["page_size"]) for x in (big, s)]
                    note = (
                        f"at {n:,} vs at 10, median of {args.repeat}; {shown[0]} rows shown "
                        f"vs {shown[1]}; SQL {big['sql_ms']:.1f} vs {s['sql_ms']:.1f} ms"
                    )
                rows.append(
                    common.summary_row(
                        "lists",
                        f"{listing.label} ({listing.who}), {part['server']}",
                        ours=ours,
                        yardstick=yardstick,
                        unit=unit,
                        note=note,
                    )
                )
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    parts: list[dict] = []
    status = 0
    try:
        child = [f"--applications={args.applications}", f"--repeat={args.repeat}"]
        for part in common.database_parts(__file__, args, database_part, child):
            if args.results_json:
                common.hand_back(args.results_json, part)
                return 0
            parts.append(part)
    except Exception:
        traceback.print_exc()
        status = 1
    if parts:
        print_report(parts, args)
    if args.summary_json:
        common.write_summary(args.summary_json, summary_rows(parts, args))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
