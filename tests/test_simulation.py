"""The what-if simulator: the real engine on a simulated clock, over the demo catalogue."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task

from approvals import clock, jobs, reports, roles, simulation, timekeeping
from approvals import models as m
from approvals.simulation.people import People
from hainan_window.celery import app as celery_app
from tests.figures import report_differences

FIXTURES = [
    str(Path(settings.BASE_DIR) / "fixtures" / f"{n}.json") for n in ("catalogue", "shared_data")
]
SERVICE = "fie-establishment"  # five departments


@pytest.fixture
def catalogue(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("loaddata", *FIXTURES, verbosity=0)
    return m.Service.objects.get(code=SERVICE)


def batch_figures(result: simulation.SimulationResult) -> dict:
    report = reports.approval_report(result.population())
    figures = report.as_dict()
    figures.pop("generated_at")
    return figures


def run(service, routing: str, n: int = 6, seed: int = 7) -> simulation.SimulationResult:
    return simulation.simulate(applications=n, routing=routing, seed=seed, service=service)


@contextmanager
def unordered_rows_read_in_reverse():
    """On SQLite, every SELECT without an ORDER BY returns its rows in reverse (SQLite's
    pragma for finding code that leans on an order no query asked for). PostgreSQL's
    order follows the rows' places on disk, which a long test run shuffles by itself."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA reverse_unordered_selects = ON")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA reverse_unordered_selects = OFF")


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_figures(catalogue):
    first = run(catalogue, "parallel")
    # The second run and its report read the rows in another order: the draws, the
    # records and the figures must not follow it. (Summed in reverse, one percentile of
    # this batch lies exactly halfway between two shown values: rows.rounded.)
    with unordered_rows_read_in_reverse():
        second = run(catalogue, "parallel")
        second_figures = batch_figures(second)
    assert first.first_pk != second.first_pk
    assert first.decided == second.decided == 6
    assert report_differences(batch_figures(first), second_figures) == []
    other = run(catalogue, "parallel", seed=8)
    assert batch_figures(other)["overall"] != batch_figures(first)["overall"]


@pytest.mark.django_db
def test_parallel_routing_beats_sequential_routing(catalogue):
    sequential_run = run(catalogue, "sequential", n=8)
    parallel = batch_figures(run(catalogue, "parallel", n=8))["overall"]
    sequential = batch_figures(sequential_run)["overall"]
    assert parallel["applications"] == sequential["applications"] == 8
    assert parallel["median_days"] < sequential["median_days"]
    assert parallel["mean_days"] < sequential["mean_days"]
    # One submission per department the old way, one in all at the single window;
    # the same seed hands in the same materials and corrections either way, so
    # the difference is exactly the extra submissions.
    assert sequential_run.extra_submissions >= 8
    assert sequential["investor_steps"] - parallel["investor_steps"] == pytest.approx(
        sequential_run.extra_submissions / 8
    )
    assert parallel["steps_avoided"] > sequential["steps_avoided"]


@pytest.mark.django_db
def test_simulated_records_are_ordinary_but_marked_and_kept_out(catalogue):
    result = run(catalogue, "sequential", n=3)
    apps = m.Application.objects.filter(pk__in=result.batch().values("pk"))
    assert apps.count() == 3 and all(a.is_simulated for a in apps)
    assert {a.status for a in apps} <= {m.ApplicationStatus.APPROVED, m.ApplicationStatus.REJECTED}
    assert reports.approval_report().overall.applications == 0
    for app in apps:
        # The first submission by the flow, one more per department after the first.
        submissions = app.steps.filter(kind=m.StepKind.SUBMISSION)
        assert submissions.count() == 5
        assert set(
            submissions.exclude(department=None).values_list("department__code", flat=True)
        ) == {
            "commerce",
            "public-security",
            "tax",
            "human-resources",
        }
        assert all(s.holder == m.ClockHolder.INVESTOR for s in submissions)
        # The engine's ledger: intervals tile submission to decision.
        intervals = list(app.clock_intervals.order_by("started_at"))
        assert intervals[0].started_at == app.submitted_at
        assert intervals[-1].ended_at == app.decided_at
        assert all(
            x.ended_at == y.started_at for x, y in zip(intervals, intervals[1:], strict=False)
        )
        # Reviews in the catalogue's order, each after the previous one.
        decided = list(
            app.reviews.order_by("decided_at").values_list("department__code", flat=True)
        )
        assert decided == [
            "market-regulation",
            "commerce",
            "public-security",
            "tax",
            "human-resources",
        ]
    # The simulated permits never feed a real application's prefill.
    assert not m.Licence.objects.filter(
        permit__application__in=apps, status=m.LicenceStatus.VALID
    ).exists()


@pytest.mark.django_db
def test_officials_act_in_office_hours_on_working_days(catalogue):
    result = run(catalogue, "parallel", n=5)
    steps = m.Step.objects.filter(
        application__in=result.batch(), kind__in=[m.StepKind.ACCEPTANCE, m.StepKind.REVIEW]
    )
    for step in steps:
        local = timezone.localtime(step.finished_at)
        assert timekeeping.is_working_day(local.date())
        assert 9 <= local.hour < 17 or (local.hour, local.minute, local.second) == (17, 0, 0)


def test_office_hours_skip_nights_weekends_and_holidays():
    sh = ZoneInfo("Asia/Shanghai")
    friday = datetime(2025, 11, 7, 16, 0, tzinfo=sh)
    assert simulation.add_office_hours(friday, 2, (9, 17)) == datetime(
        2025, 11, 10, 10, 0, tzinfo=sh
    )
    # 30 September 2025, then the National Day holiday (1-8 October).
    before = datetime(2025, 9, 30, 16, 0, tzinfo=sh)
    assert simulation.add_office_hours(before, 2, (9, 17)) == datetime(
        2025, 10, 9, 10, 0, tzinfo=sh
    )


def test_profiles_are_checked():
    assert simulation.build_profile({"correction_probability": 0}).correction_probability == 0
    profile = simulation.build_profile(
        {"departments": {"tax": {"review_hours": {"median": 9, "sigma": 0}}}}
    )
    assert profile.department("tax").review_hours.median == 9
    assert profile.department("tax").queue_hours == profile.department("default").queue_hours
    # No late reviews unless a profile asks for them.
    assert profile.department("tax").late_probability == 0
    late = simulation.build_profile({"departments": {"default": {"late_probability": 0.5}}})
    assert late.department("tax").late_probability == 0.5
    for bad in (
        {"arrival_hours": 0},
        {"nonsense": 1},
        {"clerk_hours": {"median": -1, "sigma": 0.5}},
        {"clerk_hours": 3},
        {"correction_probability": 1.5},
        {"office_hours": [18, 9]},
        {"departments": {"tax": {"speed": 2}}},
        {"departments": {"default": {"late_probability": 1.5}}},
        {"departments": {"tax": {"late_hours": {"median": 0, "sigma": 0}}}},
        [],
    ):
        with pytest.raises(simulation.ProfileError):
            simulation.build_profile(bad)


@pytest.mark.django_db
def test_the_command_runs_and_reports_from_the_records(catalogue, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"correction_probability": 0}))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "simulate",
        "--applications=3",
        "--routing=parallel",
        "--seed=3",
        f"--service={SERVICE}",
        "--start=2025-06-02",
        f"--profile={profile}",
        stdout=out,
        stderr=err,
    )
    assert "Simulated 3 applications (parallel routing, seed 3)" in out.getvalue()
    assert "3 decided" in out.getvalue()
    # The progress bar (tqdm) on stderr, the summary alone on stdout.
    assert "simulate parallel" in err.getvalue() and "3/3" in err.getvalue()
    assert "simulate parallel" not in out.getvalue()
    batch = m.Application.objects.filter(is_simulated=True)
    assert batch.count() == 3
    assert min(a.submitted_at for a in batch).date() >= date(2025, 6, 2)
    assert not m.Step.objects.filter(application__in=batch, kind=m.StepKind.CORRECTION).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--applications=0", "--routing=parallel", "--seed=1"],
        ["--applications=ten", "--routing=parallel", "--seed=1"],
        ["--applications=2", "--routing=diagonal", "--seed=1"],
        ["--applications=2", "--routing=parallel"],
        ["--applications=2", "--routing=parallel", "--seed=x"],
        ["--applications=2", "--routing=parallel", "--seed=1", "--service=nope"],
        ["--applications=2", "--routing=parallel", "--seed=1", "--start=2025-02-30"],
        ["--applications=2", "--routing=parallel", "--seed=1", "--profile=/nonexistent.json"],
    ],
)
def test_bad_simulate_arguments_give_a_command_error(catalogue, args):
    with pytest.raises(CommandError):
        call_command("simulate", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not m.Application.objects.exists()


@pytest.mark.django_db
def test_a_bad_profile_file_gives_a_command_error(catalogue, tmp_path):
    profile = tmp_path / "broken.json"
    profile.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command(
            "simulate",
            "--applications=1",
            "--routing=parallel",
            "--seed=1",
            f"--profile={profile}",
            stdout=io.StringIO(),
        )


@pytest.mark.django_db
def test_until_stops_the_clock_and_leaves_the_latest_applications_open(catalogue):
    until = datetime(2025, 3, 5, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    result = simulation.simulate(
        applications=30, routing="parallel", seed=7, service=catalogue, until=until
    )
    batch = result.batch()
    # Arrivals every 3 hours from Monday 3 March: those after `until` never came.
    assert 0 < result.applications == batch.count() < 30
    assert result.open == batch.exclude(status__in=reports.DECIDED_STATUSES).count() > 0
    assert result.decided == batch.filter(status__in=reports.DECIDED_STATUSES).count() > 0
    assert max(a.created_at for a in batch) <= until
    assert not m.Step.objects.filter(application__in=batch, finished_at__gt=until).exists()
    assert not m.Step.objects.filter(application__in=batch, created_at__gt=until).exists()


@pytest.mark.django_db
def test_late_reviews_take_their_late_hours_and_escalate(catalogue):
    profile = simulation.build_profile(
        {
            "correction_probability": 0,
            "departments": {
                "default": {
                    "late_probability": 1,
                    "late_hours": {"median": 16, "sigma": 0},
                    "queue_hours": {"median": 1, "sigma": 0},
                    "reject_probability": 0,
                },
            },
        }
    )
    result = simulation.simulate(
        applications=2, routing="parallel", seed=1, service=catalogue, profile=profile
    )
    assert result.decided == 2
    reviews = m.Step.objects.filter(application__in=result.batch(), kind=m.StepKind.REVIEW)
    # 1 office hour in the queue and 16 lying there: 17 office hours of 8 a day
    # end on the third office day, more than two calendar days on.
    assert reviews.count() == 10
    assert all(step.calendar_days > 2 for step in reviews)
    assert result.escalations_fired > 0


@pytest.mark.django_db
def test_demo_history_is_marked_and_counted_like_real_work(catalogue):
    until = datetime(2025, 6, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    result = simulation.demo_history_create(applications=8, until=until, days=30)
    batch = result.batch()
    assert batch.count() == 8 == result.applications
    assert all(a.is_demo_history and not a.is_simulated for a in batch)
    # Spread over the 30 days, the last arrival half a day before `until`.
    created = sorted(a.created_at for a in batch)
    assert (until - created[0]).days >= 20
    assert timedelta(hours=11) < until - created[-1] < timedelta(hours=13)
    assert reports.approval_report().overall.applications == result.decided
    assert reports.approval_report(result.population()).overall.applications == result.decided


LATE = {
    "correction_probability": 0,
    "departments": {
        "default": {
            "late_probability": 1,
            "late_hours": {"median": 16, "sigma": 0},
            "queue_hours": {"median": 1, "sigma": 0},
            "reject_probability": 0,
        },
    },
}


# Committed for real, batch by batch, as a run outside a test commits: the work
# each commit hands over runs then, inside the run's context.
@pytest.mark.django_db(transaction=True)
def test_the_clock_is_passed_not_patched_and_nothing_leaves_the_process(catalogue, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PERMIT_RENDER_MODE = "inline"
    supervisor = get_user_model().objects.create(username="boss", email="boss@example.test")
    supervisor.groups.add(roles.ensure_role_groups()[roles.SUPERVISOR_GROUP])
    seen = []

    def on_clock(now):
        seen.append((now, clock.now(), timezone.now(), jobs.held(), settings.EMAIL_BACKEND))

    result = simulation.simulate(
        applications=2,
        routing="parallel",
        seed=1,
        service=catalogue,
        profile=simulation.build_profile(LATE),
        on_clock=on_clock,
    )
    # The engine reads the simulated moment; the process keeps the real time
    # and its settings; only this context holds mail and rendering.
    assert seen and all(sim == read for sim, read, *_ in seen)
    assert all(real.year > 2025 for _s, _r, real, _h, _b in seen)
    assert all(held for *_x, held, _b in seen) and not jobs.held()
    assert {backend for *_x, backend in seen} == {settings.EMAIL_BACKEND}
    assert clock.now().year > 2025
    # Escalations wrote their mail to the supervisors, marked sent when written,
    # and none of it went out; the permits wait for the renderer's sweep.
    assert result.escalations_fired > 0
    written = m.Notification.objects.filter(application__in=result.batch())
    assert any("boss@example.test" in n.recipients for n in written)
    assert not written.filter(sent_at=None).exists()
    assert all(n.sent_at == n.created_at for n in written)
    assert mail.outbox == []
    permits = m.Permit.objects.filter(application__in=result.batch())
    # One outcome for every approved matter (each establishment approved has five).
    approved = m.ApplicationMatter.objects.filter(
        application__in=result.batch(), state=m.MatterState.APPROVED
    )
    assert permits.count() == approved.count() == 10
    assert set(permits.values_list("render_status", flat=True)) == {"pending"}


@pytest.mark.django_db
def test_viewflow_stamps_its_rows_with_the_simulated_time(catalogue):
    result = run(catalogue, "parallel", n=3)
    processes = [a.process for a in result.batch().select_related("process")]
    tasks = Task.objects.filter(process__in=processes)
    stamps = (
        [
            value
            for task in tasks
            for value in (task.created, task.assigned, task.started, task.finished)
            if value is not None
        ]
        + [p.created for p in processes]
        + [p.finished for p in processes]
    )
    assert len(stamps) > 3 * len(processes)
    assert all(timezone.localtime(s).date() >= simulation.DEFAULT_START for s in stamps)
    assert max(stamps) <= result.last_decision
    # Each step opens when its task was created, both on the simulated clock.
    for step in m.Step.objects.filter(application__in=result.batch()).exclude(task=None):
        assert step.created_at == step.task.created


@pytest.fixture
def fiftieth_review_fails(monkeypatch):
    """The 50th simulated review raises: a run that stops part way (of 12 establishments'
    60 reviews, registration first, so some are decided by then). The moments of
    the reviews reached are in the list returned."""
    reviews = []
    review = People._on_review

    def fail_on_the_fiftieth(self, case, now, *payload):
        reviews.append(now)
        if len(reviews) == 50:
            raise ValueError("the reviewer's screen went dark")
        review(self, case, now, *payload)

    monkeypatch.setattr(People, "_on_review", fail_on_the_fiftieth)
    return reviews


@pytest.mark.django_db
def test_a_run_stopped_part_way_keeps_whole_days(catalogue, fiftieth_review_fails):
    reviews = fiftieth_review_fails
    with pytest.raises(simulation.SimulationStopped, match="screen went dark") as stopped:
        simulation.simulate(applications=12, routing="parallel", seed=7, service=catalogue)
    written, at = stopped.value.result, stopped.value.at
    assert at == reviews[-1]
    stop_day = timezone.localtime(at).date()
    batch = written.batch()
    # What the result says was written is what is there: the days before.
    assert 0 < written.applications == batch.count() <= 12
    assert 0 < written.decided == batch.filter(status__in=reports.DECIDED_STATUSES).count() < 12
    stamps = list(
        m.Step.objects.filter(application__in=batch).values_list("created_at", "finished_at")
    )
    assert all(
        timezone.localtime(s).date() < stop_day for pair in stamps for s in pair if s is not None
    )
    assert max(timezone.localtime(a.created_at).date() for a in batch) < stop_day
    # The engine's ledger of every written application is whole.
    for app in batch.filter(status__in=reports.DECIDED_STATUSES):
        intervals = list(app.clock_intervals.order_by("started_at"))
        assert intervals[0].started_at == app.submitted_at
        assert intervals[-1].ended_at == app.decided_at
    # And its licences are out of the library even though it did not finish.
    assert m.Licence.objects.filter(permit__application__in=batch).exists()
    assert not m.Licence.objects.filter(
        permit__application__in=batch, status=m.LicenceStatus.VALID
    ).exists()


@pytest.mark.django_db
def test_batches_of_one_event_give_the_same_figures_as_batches_of_a_day(catalogue):
    small = simulation.simulate(
        applications=3, routing="parallel", seed=7, service=catalogue, batch_events=1
    )
    large = simulation.simulate(applications=3, routing="parallel", seed=7, service=catalogue)
    assert batch_figures(small) == batch_figures(large)
    with pytest.raises(ValueError, match="at least one event"):
        simulation.simulate(
            applications=1, routing="parallel", seed=7, service=catalogue, batch_events=0
        )


def test_simulations_have_their_own_queue():
    router = celery_app.amqp.router
    assert router.route({}, "approvals.tasks.simulate")["queue"].name == "simulation"
    default = celery_app.conf.task_default_queue
    for name in ("approvals.tasks.render_permit", "approvals.tasks.deliver_notification"):
        assert router.route({}, name)["queue"].name == default != "simulation"


@pytest.mark.django_db
def test_the_command_says_what_a_stopped_run_wrote(catalogue, fiftieth_review_fails):
    with pytest.raises(CommandError) as stopped:
        call_command(
            "simulate",
            "--applications=12",
            "--routing=parallel",
            "--seed=7",
            f"--service={SERVICE}",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    written = m.Application.objects.filter(is_simulated=True)
    decided = written.filter(status__in=reports.DECIDED_STATUSES)
    assert "the reviewer's screen went dark" in str(stopped.value)
    assert (
        f"what it simulated before is written, whole days ({written.count()} applications, "
        f"{decided.count()} decided, marked simulated)" in str(stopped.value)
    )
    assert decided.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("routing", ["parallel", "sequential"])
def test_every_demo_thing_is_simulated_to_its_decision(routing):
    """The demo's things, bundles included: a department with two matters in one restaurant
    (branch, then food licence) reviews each once, and no application is left in review."""
    call_command("loaddata", "fixtures/catalogue.json", "fixtures/shared_data.json", verbosity=0)
    result = simulation.simulate(applications=24, routing=routing, seed=3)
    batch = result.batch()
    restaurants = batch.filter(service__code="open-restaurant")
    assert restaurants.exists()
    assert not batch.exclude(status__in=reports.DECIDED_STATUSES).exists()
    assert result.decided == batch.count() == 24
    # Each review decided once: as many decided reviews as reviews.
    reviews = m.DepartmentReview.objects.filter(application__in=batch)
    assert not reviews.filter(decision=m.ReviewDecision.PENDING).exists()
