"""The approval-time report at scale: our ORM figures against the best hand-written SQL.

Run from the repository root:

    .venv/bin/python bench/bench_reports.py [--applications 1000000] [--runs 1] [--suggested-index]
        [--summary-json PATH]

It starts a throwaway PostgreSQL through ``devtools/postgres.py`` (the script
calls it itself), migrates, loads the demo catalogue, and generates N
applications with their ledger straight into the tables, on the server, with
``INSERT ... SELECT`` over ``generate_series`` (multi-row inserts, no Python
per row, foreign-key triggers off while loading): steps (submission, window
acceptance, correction for 20 %, one review per matter of the thing, by its
department, decision, one outcome per approved matter), the applications'
matters, clock intervals that tile submission to decision, materials (about
30 % reused), and escalations (with the department reviews they hang off) for
the slowest reviews. 2 % are still in review, 1 % withdrawn, 2 % rejected, 1 %
partly approved (the first matter approved, the others refused), 5 %
simulated. The matters are reviewed side by side (the engine reviews a matter
after the ones it needs): the data only has to be self-consistent. Working days are 0.72 x calendar
days: the data only has to be self-consistent, not calendar-exact.

Then, run after run (interleaved, so machine noise hits both alike), it
times

* ours: ``approvals.reports.approval_report`` over the real decided
  applications, the figures the page, the CSV and the command show;
* hand: three SQL statements computing the same figures the way one would
  by hand (per-application aggregates in CTEs joined once, GROUPING SETS for
  the service/month/overall levels, percentile_cont over each),

checks that both give the same figures, and prints a table: median wall
time of each, the ratio, our query count, the slowest of our queries, and
the peak resident memory of this process (``ru_maxrss``). Times are
reported, never asserted. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
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

# Statutory compliance reads each application's acceptance steps; with only
# the foreign-key index on Step.application that is a heap visit per step of
# the application. This index makes it an index-only scan. It is not in the
# schema (models are not ours to change here): --suggested-index measures it.
SUGGESTED_INDEX_NAME = "step_application_kind_days"
SUGGESTED_INDEX = (
    f"CREATE INDEX {SUGGESTED_INDEX_NAME} ON approvals_step (application_id, kind) "
    "INCLUDE (working_days, finished_at)"
)
WORK_MEM = "64MB"  # both workloads run in the same session with the same setting
WORKING_RATIO = 0.72


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the approval-time report over N generated applications on PostgreSQL."
    )
    parser.add_argument("--applications", type=int, default=1_000_000, metavar="N")
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each workload")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() for the generator")
    parser.add_argument(
        "--suggested-index",
        action="store_true",
        help=f"also create {SUGGESTED_INDEX_NAME} (not in the schema) to show what it would save",
    )
    common.add_common_options(parser)
    args = parser.parse_args(argv)
    if args.applications < 100 or args.runs < 1 or not -1 <= args.seed <= 1:
        parser.error("--applications at least 100, --runs at least 1, --seed in [-1, 1]")
    return args


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- data ---------------------------------------------------------------------

GENERATE = """
CREATE TEMP TABLE gen AS
SELECT g AS id,
       (ARRAY[%(services)s])[1 + (r_service > 0.5)::int + (r_service > 0.8)::int] AS service_id,
       timestamptz '2024-01-01 00:00+08' + (random() * 730) * interval '1 day' AS submitted_at,
       random() * 0.1 AS draft_d,
       0.02 + random() * 0.4 AS clerk1_d,
       corrected,
       CASE WHEN corrected THEN 0.3 + random() * 2.5 ELSE 0 END AS correction_d,
       CASE WHEN corrected THEN 0.02 + random() * 0.3 ELSE 0 END AS clerk2_d,
       CASE WHEN r_status < 0.02 THEN 'in_review' WHEN r_status < 0.03 THEN 'withdrawn'
            WHEN r_status < 0.05 THEN 'rejected' WHEN r_status < 0.06 THEN 'partly_approved'
            ELSE 'approved' END AS status,
       random() < 0.05 AS is_simulated
FROM (SELECT g, random() AS r_service, random() AS r_status, random() < 0.2 AS corrected
      FROM generate_series(1, %(n)s) g) seeds;

-- One review per matter of the thing; its id is also its application matter's.
CREATE TEMP TABLE rev AS
SELECT row_number() OVER () AS id, gen.id AS application_id, m.department_id,
       m.id AS matter_id, tm."order" AS ord,
       CASE gen.status WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'refused'
            WHEN 'in_review' THEN 'in_review' WHEN 'withdrawn' THEN 'withdrawn'
            ELSE CASE WHEN tm."order" = first.ord THEN 'approved' ELSE 'refused' END
       END AS state,
       m.review_limit_days::float AS limit_d, 0.05 - ln(1 - random()) * 0.35 AS review_d
FROM gen JOIN approvals_thingmatter tm ON tm.service_id = gen.service_id
JOIN approvals_matter m ON m.id = tm.matter_id
JOIN (SELECT service_id, min("order") AS ord FROM approvals_thingmatter GROUP BY 1) first
  ON first.service_id = gen.service_id;

CREATE TEMP TABLE app AS
SELECT gen.*, gen.submitted_at
         + (gen.clerk1_d + gen.correction_d + gen.clerk2_d) * interval '1 day' AS accepted_at,
       CASE WHEN gen.status = 'in_review' THEN NULL
            ELSE gen.submitted_at + (gen.clerk1_d + gen.correction_d + gen.clerk2_d
                                     + longest.review_d) * interval '1 day' END AS decided_at
FROM gen JOIN (SELECT application_id, max(review_d) AS review_d FROM rev GROUP BY 1) longest
  ON longest.application_id = gen.id;
ANALYZE app; ANALYZE rev;
"""

LOAD = [
    (
        "applications",
        """
INSERT INTO approvals_application (id, public_id, service_id, uscc, enterprise_id, applicant_id,
    filed_as, status, process_id, idempotency_key, is_simulated, created_at, submitted_at,
    accepted_at, decided_at, decision_reasons, answers)
SELECT id, gen_random_uuid(), service_id, '91460000MA5T00001X', NULL, %(user)s, 'investor',
       status, NULL, '', is_simulated, submitted_at - draft_d * interval '1 day', submitted_at,
       CASE WHEN status = 'in_review' OR accepted_at < decided_at OR decided_at IS NULL
            THEN accepted_at END,
       decided_at, CASE WHEN status IN ('rejected', 'partly_approved') THEN 'bench' ELSE '' END,
       '{}'::jsonb
FROM app
""",
    ),
    (
        "matters of the applications",
        """
INSERT INTO approvals_applicationmatter (id, application_id, matter_id, "order", state, reason,
    started_at, decided_at, working_days)
SELECT rev.id, rev.application_id, rev.matter_id, rev.ord, rev.state, '', app.accepted_at,
       CASE WHEN rev.state <> 'in_review' AND app.status <> 'withdrawn'
            THEN app.accepted_at + rev.review_d * interval '1 day' END,
       CASE WHEN rev.state <> 'in_review' AND app.status <> 'withdrawn'
            THEN rev.review_d * %(ratio)s END
FROM rev JOIN app ON app.id = rev.application_id
""",
    ),
    (
        "steps",
        """
INSERT INTO approvals_step (application_id, kind, department_id, matter_id, task_id, holder,
    actor_id, created_at, assigned_at, finished_at, calendar_days, working_days, estimated)
SELECT application_id, kind, department_id, matter_id, NULL, holder, NULL, created_at,
       created_at, finished_at, days, days * %(ratio)s, false
FROM (
  SELECT id AS application_id, 'submission' AS kind, NULL::bigint AS department_id,
         NULL::bigint AS matter_id, 'investor' AS holder,
         submitted_at - draft_d * interval '1 day' AS created_at,
         submitted_at AS finished_at, draft_d AS days FROM app
  UNION ALL
  SELECT id, 'acceptance', NULL, NULL, 'government', submitted_at,
         submitted_at + clerk1_d * interval '1 day', clerk1_d FROM app
  UNION ALL
  SELECT id, 'correction', NULL, NULL, 'investor', submitted_at + clerk1_d * interval '1 day',
         submitted_at + (clerk1_d + correction_d) * interval '1 day', correction_d
  FROM app WHERE corrected
  UNION ALL
  SELECT id, 'acceptance', NULL, NULL, 'government',
         submitted_at + (clerk1_d + correction_d) * interval '1 day', accepted_at, clerk2_d
  FROM app WHERE corrected
  UNION ALL
  SELECT rev.application_id, 'review', rev.department_id, rev.id, 'government', app.accepted_at,
         CASE WHEN app.status <> 'in_review' THEN app.accepted_at + rev.review_d * interval '1 day'
         END,
         CASE WHEN app.status <> 'in_review' THEN rev.review_d END
  FROM rev JOIN app ON app.id = rev.application_id
  UNION ALL
  SELECT id, 'decision', NULL, NULL, 'government', decided_at, decided_at, 0 FROM app
  WHERE status IN ('approved', 'partly_approved', 'rejected')
  UNION ALL
  -- One outcome per approved matter, issued as its review is decided.
  SELECT rev.application_id, 'permit', NULL, rev.id, 'government',
         app.accepted_at + rev.review_d * interval '1 day',
         app.accepted_at + rev.review_d * interval '1 day', 0
  FROM rev JOIN app ON app.id = rev.application_id WHERE rev.state = 'approved'
) steps
""",
    ),
    (
        "clock intervals",
        """
INSERT INTO approvals_clockinterval (application_id, holder, started_at, ended_at,
    calendar_days, working_days)
SELECT application_id, holder, started_at, ended_at, days, days * %(ratio)s
FROM (
  SELECT id AS application_id, 'government' AS holder, submitted_at AS started_at,
         decided_at AS ended_at,
         extract(epoch FROM decided_at - submitted_at)::float / 86400 AS days
  FROM app WHERE NOT corrected
  UNION ALL
  SELECT id, 'government', submitted_at, submitted_at + clerk1_d * interval '1 day', clerk1_d
  FROM app WHERE corrected
  UNION ALL
  SELECT id, 'investor', submitted_at + clerk1_d * interval '1 day',
         submitted_at + (clerk1_d + correction_d) * interval '1 day', correction_d
  FROM app WHERE corrected
  UNION ALL
  SELECT id, 'government', submitted_at + (clerk1_d + correction_d) * interval '1 day',
         decided_at,
         extract(epoch FROM decided_at
                 - (submitted_at + (clerk1_d + correction_d) * interval '1 day'))::float / 86400
  FROM app WHERE corrected
) intervals
""",
    ),
    (
        "materials",
        """
INSERT INTO approvals_applicationmaterial (application_id, material_id, satisfied_by,
    reuse_reference, file, original_name, content_type, size, commitment_text, due_date,
    received_at, updated_at)
SELECT application_id, material_id, way,
       CASE WHEN way = 'reuse' THEN 'bench' ELSE '' END,
       CASE WHEN way = 'upload' THEN 'applications/bench.pdf' ELSE '' END,
       CASE WHEN way = 'upload' THEN 'scan.pdf' ELSE '' END,
       CASE WHEN way = 'upload' THEN 'application/pdf' ELSE '' END,
       CASE WHEN way = 'upload' THEN 2048 END,
       CASE WHEN way = 'commitment' THEN 'bench commitment' ELSE '' END,
       NULL, NULL, created
FROM (
  SELECT app.id AS application_id, mat.id AS material_id, app.submitted_at AS created,
         CASE WHEN mat.reuse_key <> '' AND random() < 0.75 THEN 'reuse'
              WHEN mat.allow_deferral AND random() < 0.5 THEN 'deferral'
              WHEN mat.allow_commitment THEN 'commitment'
              ELSE 'upload' END AS way
  FROM app JOIN approvals_material mat ON mat.service_id = app.service_id
) materials
""",
    ),
    (
        "escalated reviews",
        """
INSERT INTO approvals_departmentreview (id, application_id, department_id, matter_id, task_id,
    decision, reasons, reviewer_id, due_at, decided_at)
SELECT rev.id, rev.application_id, rev.department_id, rev.id, NULL,
       CASE WHEN rev.state = 'refused' THEN 'rejected' ELSE 'approved' END,
       CASE WHEN rev.state = 'refused' THEN 'bench' ELSE '' END, NULL,
       app.accepted_at + rev.limit_d * interval '1 day',
       app.accepted_at + rev.review_d * interval '1 day'
FROM rev JOIN app ON app.id = rev.application_id
WHERE rev.review_d > 2 * rev.limit_d AND app.status <> 'in_review'
""",
    ),
    (
        "escalations",
        """
INSERT INTO approvals_escalation (review_id, application_id, department_id, due_at, fired_at)
SELECT id, application_id, department_id, due_at, due_at + interval '1 minute'
FROM approvals_departmentreview
""",
    ),
]

LOADED_TABLES = (
    "approvals_application",
    "approvals_applicationmatter",
    "approvals_step",
    "approvals_clockinterval",
    "approvals_applicationmaterial",
    "approvals_departmentreview",
    "approvals_escalation",
)
TABLES = (
    "approvals_application",
    "approvals_applicationmatter",
    "approvals_step",
    "approvals_clockinterval",
    "approvals_applicationmaterial",
    "approvals_escalation",
)


def generate(n: int, seed: float) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from approvals.models import Service

    user = get_user_model().objects.create(username="bench-investor")
    services = list(Service.objects.order_by("code").values_list("pk", flat=True))[:3]
    timings = {}
    with connection.cursor() as cursor:
        # Load as one would load a warehouse: no foreign-key triggers, and the
        # plain (non-unique) indexes dropped and built again once, afterwards.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
            [list(LOADED_TABLES)],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT setseed(%s)", [seed])
        started = time.perf_counter()
        cursor.execute(GENERATE % {"services": ", ".join(map(str, services)), "n": int(n)})
        timings["draw the timings"] = time.perf_counter() - started
        for label, sql in LOAD:
            started = time.perf_counter()
            cursor.execute(sql, {"user": user.pk, "ratio": WORKING_RATIO})
            timings[label] = time.perf_counter() - started
            say(f"  {label}: {cursor.rowcount:,} rows in {timings[label]:.1f} s")
        cursor.execute("SET session_replication_role = DEFAULT")
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        timings["indexes"] = time.perf_counter() - started
        say(f"  {len(indexes)} indexes built again in {timings['indexes']:.1f} s")
        for table in (
            "approvals_application",
            "approvals_applicationmatter",
            "approvals_departmentreview",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        started = time.perf_counter()
        cursor.execute("DROP TABLE gen, rev, app")
        cursor.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - started
        rows = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            rows[table.removeprefix("approvals_")] = cursor.fetchone()[0]
    return {"timings": timings, "rows": rows}


# --- the two workloads ----------------------------------------------------------------


def run_ours() -> tuple[object, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals import reports

    with CaptureQueriesContext(connection) as captured:
        report = reports.approval_report(reports.Population())
    return report, list(captured.captured_queries)


POPULATION = """
SELECT a.id, a.service_id, s.statutory_limit_days AS statutory_limit,
       date_trunc('month', a.decided_at AT TIME ZONE %(tz)s) AS month,
       extract(epoch FROM a.decided_at - a.submitted_at)::float / 86400 AS days
FROM approvals_application a JOIN approvals_service s ON s.id = a.service_id
WHERE a.status IN ('approved', 'partly_approved', 'rejected') AND a.submitted_at IS NOT NULL
  AND a.decided_at IS NOT NULL AND NOT a.is_simulated
"""

HAND_APPLICATIONS = (
    "WITH pop AS ("
    + POPULATION
    + """),
held AS (
  SELECT application_id, sum(working_days) AS working_days,
         sum(calendar_days) FILTER (WHERE holder = 'government') AS government_days,
         sum(calendar_days) FILTER (WHERE holder = 'investor') AS investor_days,
         sum(working_days) FILTER (WHERE holder = 'government') AS government_working_days,
         sum(working_days) FILTER (WHERE holder = 'investor') AS investor_working_days
  FROM approvals_clockinterval WHERE ended_at IS NOT NULL GROUP BY application_id),
stepped AS (
  SELECT application_id,
         count(*) FILTER (WHERE kind IN ('submission', 'correction')) AS investor_steps,
         count(*) FILTER (WHERE kind NOT IN ('submission', 'correction')) AS government_steps,
         sum(working_days) FILTER (WHERE kind = 'acceptance' AND finished_at IS NOT NULL)
           AS window_working_days
  FROM approvals_step GROUP BY application_id),
materials AS (
  SELECT application_id, count(*) AS required,
         count(*) FILTER (WHERE satisfied_by = 'reuse') AS reused,
         count(*) FILTER (WHERE satisfied_by IN ('upload', 'commitment', 'deferral'))
           AS handed_in
  FROM approvals_applicationmaterial GROUP BY application_id),
trips AS (
  SELECT service_id, count(*) AS n FROM approvals_thingmatter GROUP BY service_id),
escalated AS (
  SELECT application_id, count(*) AS n FROM approvals_escalation GROUP BY application_id),
per_app AS (
  SELECT pop.*, held.*, stepped.government_steps,
         -- each visit or correction, and each material handed in (not reused)
         coalesce(stepped.investor_steps, 0) + coalesce(materials.handed_in, 0)
           AS investor_steps,
         -- without the window: one trip per matter, every material handed in
         coalesce(trips.n, 0) + coalesce(materials.required, 0) AS baseline_steps,
         coalesce(held.government_working_days, 0) - coalesce(stepped.window_working_days, 0)
           AS statutory_working_days,
         coalesce(materials.required, 0) AS required, coalesce(materials.reused, 0) AS reused,
         coalesce(escalated.n, 0) AS escalations
  FROM pop
  LEFT JOIN held ON held.application_id = pop.id
  LEFT JOIN stepped ON stepped.application_id = pop.id
  LEFT JOIN materials ON materials.application_id = pop.id
  LEFT JOIN trips ON trips.service_id = pop.service_id
  LEFT JOIN escalated ON escalated.application_id = pop.id)
SELECT GROUPING(service_id, month) AS level, service_id, month,
       count(*) AS applications,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY days) AS days_pct,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY working_days) AS working_pct,
       sum(days) AS days, sum(working_days) AS working_days,
       count(*) FILTER (WHERE days <= %(target)s) AS within_target,
       count(*) FILTER (WHERE days <= %(baseline)s) AS within_baseline,
       sum(government_days) AS government_days, sum(investor_days) AS investor_days,
       sum(government_working_days) AS government_working_days,
       sum(investor_working_days) AS investor_working_days,
       sum(investor_steps) AS investor_steps, sum(government_steps) AS government_steps,
       sum(baseline_steps) AS baseline_steps,
       sum(required) AS required, sum(reused) AS reused,
       count(*) FILTER (WHERE statutory_working_days <= statutory_limit) AS compliant,
       sum(escalations) AS escalations
FROM per_app
GROUP BY GROUPING SETS ((), (service_id), (month))
"""
)

HAND_STEPS = (
    "WITH pop AS ("
    + POPULATION
    + """)
SELECT GROUPING(st.department_id, am.matter_id) AS level, st.kind, st.department_id,
       am.matter_id,
       count(*) AS steps, count(DISTINCT st.application_id) AS applications,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY st.calendar_days) AS days_pct,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY st.working_days) AS working_pct,
       sum(st.calendar_days) AS days, sum(st.working_days) AS working_days,
       count(*) FILTER (WHERE st.calendar_days <= %(target)s) AS within_target,
       count(*) FILTER (WHERE st.calendar_days <= %(baseline)s) AS within_baseline
FROM approvals_step st JOIN pop ON pop.id = st.application_id
LEFT JOIN approvals_applicationmatter am ON am.id = st.matter_id
WHERE st.finished_at IS NOT NULL
GROUP BY GROUPING SETS ((st.kind), (st.kind, st.department_id), (st.kind, am.matter_id))
HAVING GROUPING(st.department_id, am.matter_id) = 3 OR st.kind = 'review'
"""
)

HAND_ESCALATIONS = (
    "WITH pop AS ("
    + POPULATION
    + """)
SELECT e.department_id, count(*) FROM approvals_escalation e JOIN pop ON pop.id = e.application_id
GROUP BY e.department_id
"""
)


def run_hand() -> dict:
    from django.conf import settings
    from django.db import connection

    params = {
        "tz": settings.TIME_ZONE,
        "target": settings.BENCHMARK_TARGET_DAYS,
        "baseline": settings.BENCHMARK_BASELINE_DAYS,
    }
    result = {}
    with connection.cursor() as cursor:
        for name, sql in (
            ("applications", HAND_APPLICATIONS),
            ("steps", HAND_STEPS),
            ("escalations", HAND_ESCALATIONS),
        ):
            cursor.execute(sql, params)
            columns = [c.name for c in cursor.description]
            result[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return result


def compare(report, hand: dict) -> tuple[int, list[str]]:
    """Check the hand-written SQL's figures against the report's; (values compared, problems)."""
    from approvals.models import Department, Matter, Service

    services = dict(Service.objects.values_list("pk", "code"))
    departments = dict(Department.objects.values_list("pk", "code"))
    matters = dict(Matter.objects.values_list("pk", "code"))
    ours = {(r.table, r.key): r for r in report.rows()}
    checked, problems = 0, []
    seen: set[tuple[str, str]] = set()

    def check(group, name, theirs, mine):
        nonlocal checked
        checked += 1
        if theirs is None and mine is None:
            return
        if theirs is None or mine is None or not math.isclose(theirs, mine, abs_tol=2e-6):
            problems.append(f"{group} {name}: hand {theirs!r}, ours {mine!r}")

    for row in hand["applications"]:
        if row["level"] == 3:
            group = ("overall", "all")
        elif row["level"] == 1:
            group = ("service", services[row["service_id"]])
        else:
            group = ("month", f"{row['month']:%Y-%m}")
        mine = ours.get(group)
        seen.add(group)
        if mine is None:
            problems.append(f"{group}: missing from the report")
            continue
        n = row["applications"]
        check(group, "applications", n, mine.applications)
        check(group, "median_days", row["days_pct"][0], mine.median_days)
        check(group, "p90_days", row["days_pct"][1], mine.p90_days)
        check(group, "median_working_days", row["working_pct"][0], mine.median_working_days)
        check(group, "p90_working_days", row["working_pct"][1], mine.p90_working_days)
        check(group, "mean_days", row["days"] / n, mine.mean_days)
        check(group, "mean_working_days", row["working_days"] / n, mine.mean_working_days)
        check(group, "within_target", row["within_target"] / n, mine.within_target)
        check(group, "within_baseline", row["within_baseline"] / n, mine.within_baseline)
        check(group, "government_days", row["government_days"] / n, mine.government_days)
        check(group, "investor_days", (row["investor_days"] or 0) / n, mine.investor_days)
        check(group, "investor_steps", row["investor_steps"] / n, mine.investor_steps)
        check(group, "government_steps", row["government_steps"] / n, mine.government_steps)
        if row["baseline_steps"]:
            avoided = 1 - row["investor_steps"] / row["baseline_steps"]
            check(group, "steps_avoided", avoided, mine.steps_avoided)
        check(group, "materials_avoided", row["reused"] / row["required"], mine.materials_avoided)
        check(group, "statutory_compliance", row["compliant"] / n, mine.statutory_compliance)
        check(group, "escalations", row["escalations"], mine.escalations)
    escalations = {departments[r["department_id"]]: r["count"] for r in hand["escalations"]}
    for row in hand["steps"]:
        if row["level"] == 1:
            group = ("department", departments[row["department_id"]])
        elif row["level"] == 2:
            group = ("matter", matters[row["matter_id"]])
        else:
            group = ("step", row["kind"])
        mine = ours.get(group)
        seen.add(group)
        if mine is None:
            problems.append(f"{group}: missing from the report")
            continue
        n = row["steps"]
        check(group, "steps", n, mine.steps)
        check(group, "applications", row["applications"], mine.applications)
        check(group, "median_days", row["days_pct"][0], mine.median_days)
        check(group, "p90_days", row["days_pct"][1], mine.p90_days)
        check(group, "median_working_days", row["working_pct"][0], mine.median_working_days)
        check(group, "p90_working_days", row["working_pct"][1], mine.p90_working_days)
        check(group, "mean_days", row["days"] / n, mine.mean_days)
        check(group, "within_target", row["within_target"] / n, mine.within_target)
        if group[0] == "department":
            check(group, "escalations", escalations.get(group[1], 0), mine.escalations)
    # And the other way: every row of the report's tables is one the SQL computed.
    problems += [f"{key}: in the report, not in the SQL's" for key in sorted(set(ours) - seen)]
    return checked, problems


# --- the run ------------------------------------------------------------------------------


def measure(args: argparse.Namespace, database_url: str) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="hw-bench-reports-"))
    common.setup_django(database_url, workdir)
    from django.core.management import call_command
    from django.db import connection

    rss_start = peak_rss_mb()
    say("migrate and load the catalogue")
    call_command("migrate", verbosity=0, interactive=False)
    common.load_fixtures("catalogue")
    say(f"generate {args.applications:,} applications and their ledger on the server")
    started = time.perf_counter()
    data = generate(args.applications, args.seed)
    generated_in = time.perf_counter() - started
    say(
        f"generated in {generated_in:.0f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in data["rows"].items())
    )
    with connection.cursor() as cursor:
        if args.suggested_index:
            say(f"create the suggested index: {SUGGESTED_INDEX}")
            cursor.execute(SUGGESTED_INDEX)
            cursor.execute("VACUUM ANALYZE approvals_step")
        cursor.execute(f"SET work_mem = '{WORK_MEM}'")
    rss_before = peak_rss_mb()

    ours_s, hand_s, rss_ours, rss_hand = [], [], [], []
    report = queries = hand = None
    for run in range(args.runs):
        say(f"run {run + 1}/{args.runs}: ours")
        started = time.perf_counter()
        report, queries = run_ours()
        ours_s.append(time.perf_counter() - started)
        rss_ours.append(peak_rss_mb())
        say(f"  {ours_s[-1]:.1f} s; hand-written SQL")
        started = time.perf_counter()
        hand = run_hand()
        hand_s.append(time.perf_counter() - started)
        rss_hand.append(peak_rss_mb())
        say(f"  {hand_s[-1]:.1f} s")
    checked, problems = compare(report, hand)

    server = common.database_server()
    ours_median, hand_median = statistics.median(ours_s), statistics.median(hand_s)
    print(
        f"Report benchmark: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}, {server}, work_mem {WORK_MEM}"
    )
    print(
        f"{args.applications:,} applications generated in {generated_in:.0f} s; rows: "
        + ", ".join(f"{k} {v:,}" for k, v in data["rows"].items())
    )
    print(
        f"{args.runs} run(s) of each workload, interleaved; "
        + (
            f"with the suggested index {SUGGESTED_INDEX_NAME}"
            if args.suggested_index
            else "schema as migrated"
        )
    )
    print()
    header = f"{'workload':<34} {'queries':>8} {'median s':>9} {'min s':>7} {'max s':>7}"
    print(header)
    print("-" * len(header))
    print(
        f"{'ours (approvals.reports)':<34} {len(queries):>8} {ours_median:>9.2f} "
        f"{min(ours_s):>7.2f} {max(ours_s):>7.2f}"
    )
    print(
        f"{'hand-written SQL':<34} {3:>8} {hand_median:>9.2f} {min(hand_s):>7.2f} "
        f"{max(hand_s):>7.2f}"
    )
    print(f"{'ratio ours/hand':<34} {'':>8} {ours_median / hand_median:>8.2f}x")
    print()
    print(
        f"Peak resident memory of this process (ru_maxrss): {peak_rss_mb():.0f} MB "
        f"(after Django set-up {rss_start:.0f} MB, after generating {rss_before:.0f} MB, "
        f"after our report {max(rss_ours):.0f} MB)"
    )
    print(
        f"Same figures: {'yes' if not problems else 'NO'} "
        f"({checked} values compared{'' if not problems else f', {len(problems)} differ'})"
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    print()
    print("Our queries, slowest first (last run):")
    for q in sorted(queries, key=lambda q: -float(q["time"]))[:8]:
        sql = " ".join(q["sql"].split())
        print(f"  {float(q['time']):7.2f} s  {sql[:150]}")
    o = report.overall
    print()
    print(
        f"Overall: {o.applications:,} decided, median {o.median_days:.3f} days, "
        f"p90 {o.p90_days:.3f}, working median {o.median_working_days:.3f}, "
        f"within target {o.within_target:.1%}, slowest step {report.slowest_step.key}"
    )
    if args.summary_json:
        same = "same figures" if not problems else f"FIGURES DIFFER ({len(problems)} values)"
        index = f", with {SUGGESTED_INDEX_NAME}" if args.suggested_index else ""
        what = f"{args.applications:,} applications, {server}{index}"
        rows = [
            common.summary_row(
                "reports",
                f"approval-time report, {what}",
                ours=ours_median,
                yardstick=hand_median,
                unit="s",
                note=f"yardstick: hand-written SQL (3 statements); {same}; median of {args.runs}",
                digits=4,
            ),
            common.summary_row(
                "reports",
                f"approval-time report, {what}",
                ours=len(queries),
                yardstick=3,
                unit="queries",
                note="yardstick: the hand-written SQL's 3 statements",
            ),
        ]
        common.write_summary(args.summary_json, rows)
    return 0


def strip_option(argv: list[str], option: str) -> list[str]:
    """argv without `option` and its value (as `--opt value` or `--opt=value`)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(f"{option}="):
            out.append(arg)
    return out


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        if not common.in_throwaway_postgres():
            say("starting a throwaway PostgreSQL through devtools/postgres.py")
            if args.summary_json:
                # The child runs from the repository root: give it an absolute path.
                summary = f"--summary-json={Path(args.summary_json).resolve()}"
                argv = [*strip_option(argv, "--summary-json"), summary]
            return common.rerun_under_postgres(__file__, argv)
        return measure(args, common.throwaway_database_url())
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
