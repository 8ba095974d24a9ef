"""The what-if simulator: the real engine on a simulated clock, over the demo catalogue."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from approvals import models as m
from approvals import reports, simulation, timekeeping

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


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_figures(catalogue):
    first = run(catalogue, "parallel")
    second = run(catalogue, "parallel")
    assert first.first_pk != second.first_pk
    assert first.decided == second.decided == 6
    assert batch_figures(first) == batch_figures(second)
    other = run(catalogue, "parallel", seed=8)
    assert batch_figures(other)["overall"] != batch_figures(first)["overall"]


@pytest.mark.django_db
def test_parallel_routing_beats_sequential_routing(catalogue):
    parallel = batch_figures(run(catalogue, "parallel", n=8))["overall"]
    sequential = batch_figures(run(catalogue, "sequential", n=8))["overall"]
    assert parallel["applications"] == sequential["applications"] == 8
    assert parallel["median_days"] < sequential["median_days"]
    assert parallel["mean_days"] < sequential["mean_days"]
    # One submission per department the old way, one in all at the single window.
    assert sequential["investor_steps"] >= 5 > parallel["investor_steps"]
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
    for bad in (
        {"arrival_hours": 0},
        {"nonsense": 1},
        {"clerk_hours": {"median": -1, "sigma": 0.5}},
        {"clerk_hours": 3},
        {"correction_probability": 1.5},
        {"office_hours": [18, 9]},
        {"departments": {"tax": {"speed": 2}}},
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
