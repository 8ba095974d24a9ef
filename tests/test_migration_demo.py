"""The demo, seeded by the code as it was before matters, migrated by today's: every figure of
the report is unchanged.

The old code is the commit before matters came (``BEFORE_MATTERS``), taken out of this
repository's history and run as it was: it migrates an empty database, seeds the demo with
its history and writes the report as JSON. Today's code then migrates the same database
(``0015``–``0017``: services become things of matters) and writes the report again. Run on
the database of the pass: a file on SQLite, a database of its own on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.figures import OLDER_CODE_TOLERANCE, report_differences

ROOT = Path(settings.BASE_DIR)
# The last commit before matters (issue 13's end): services with departments, one permit.
BEFORE_MATTERS = "328b7a1"
HISTORY = 40


def _old_tree(target: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE_MATTERS],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _manage(tree: Path, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} in {tree}:\n{done.stderr[-3000:]}"
    return done.stdout


def _report(tree: Path, env: dict) -> dict:
    report = json.loads(_manage(tree, env, "approval_report", "--format", "json"))
    report.pop("generated_at", None)
    return report


@pytest.fixture
def database_url(tmp_path):
    """A database of its own, on the pass's kind of database."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'demo.sqlite3'}"
        return
    import psycopg  # noqa: PLC0415 - only the PostgreSQL pass needs it

    params = connection.settings_dict
    name = f"demo_migration_{uuid.uuid4().hex[:8]}"
    admin = dict(
        host=params["HOST"],
        port=params["PORT"],
        user=params["USER"],
        password=params["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**admin) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    yield f"postgresql://{params['USER']}{password}@{params['HOST']}:{params['PORT']}/{name}"
    with psycopg.connect(**admin) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_seeded_demo_migrated_to_matters_reports_the_same_figures(tmp_path, database_url):
    old = _old_tree(tmp_path / "old")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(tmp_path / "media"),
        PERMIT_RENDER_MODE="off",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PERMIT_SIGNING_KEY_FILE=str(tmp_path / "key.pem"),
    )
    _manage(old, env, "compilemessages", "-v0")  # .mo files are not in the history
    _manage(old, env, "migrate", "--no-input", "-v0")
    _manage(old, env, "seed_demo", "--history", str(HISTORY), "--no-progress")
    before = _report(old, env)
    assert before["overall"]["applications"] > 0, "the demo decided nothing to compare"

    _manage(ROOT, env, "migrate", "--no-input", "-v0")
    after = _report(ROOT, env)
    # Every table the old report had, unchanged (the new one, by matter, it did not have);
    # the old code rounded a halfway figure as the database's sum came (tests.figures).
    old_tables = {key: after.get(key) for key in before}
    assert report_differences(before, old_tables, tolerance=OLDER_CODE_TOLERANCE) == []
    assert after["matters"], "the migrated reviews are counted per matter too"
    # And the migration did move the demo onto matters: every review has its matter.
    counts = (
        _manage(
            ROOT,
            env,
            "shell",
            "-c",
            "from approvals import models as m; "
            "print(m.DepartmentReview.objects.filter(matter__isnull=True).count(), "
            "m.Permit.objects.filter(matter__isnull=True).count(), "
            "m.ApplicationMatter.objects.count(), m.Matter.objects.count())",
        )
        .splitlines()[-1]
        .split()
    )
    unmatched_reviews, unmatched_permits, parts, matters = map(int, counts)
    assert (unmatched_reviews, unmatched_permits) == (0, 0)
    assert parts > 0 and matters > 0

    # An application the old code left in review goes on to its decision with today's:
    # its reviews, opened before matters, settle their matters; the decision issues the
    # outcomes of the matters approved before the migration (the old flow issued none).
    finished = _manage(ROOT, env, "shell", "-c", FINISH_ONE_IN_REVIEW).splitlines()[-1]
    status, approved, outcomes = finished.split()
    assert status == "approved" and int(approved) == int(outcomes) > 0


FINISH_ONE_IN_REVIEW = """
from django.contrib.auth import get_user_model
from approvals import models as m, services
app = (
    m.Application.objects.filter(status="in_review", is_demo_history=True)
    .exclude(reviews__decision="rejected")
    .order_by("pk")[0]
)
for review in app.reviews.filter(decision="pending").select_related("department", "task__owner"):
    reviewer = review.task.owner or (
        get_user_model().objects.filter(groups=review.department.reviewer_group)[0]
    )
    services.review_complete(actor=reviewer, review=review, approve=True)
app.refresh_from_db()
approved = app.matters.filter(state="approved").count()
print(app.status, approved, app.permits.count())
"""
