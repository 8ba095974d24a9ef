"""Shared test set-up: a small catalogue, an enterprise, and one user per role."""

import os
from dataclasses import dataclass

import pytest
from django.db import connection
from mirakuru.exceptions import ExecutorError
from pytest_redis import factories as redis_factories
from pytest_redis.exception import RedisMisconfigured, RedisUnsupported

from approvals import models as m
from approvals.roles import CLERK_GROUP, INVESTOR_GROUP, SUPERVISOR_GROUP
from devtools import redisserver
from tests import factories as f

# Officials' second factor is on by default (production). The suite runs with it
# off, as the demo does, and tests/test_second_factor.py switches it on. Set in the
# environment too, for the servers and workers that tests start.
os.environ["OFFICIAL_SECOND_FACTOR"] = "false"


def pytest_collection_modifyitems(config, items):
    # On the PostgreSQL run (HW_REQUIRE_POSTGRES=1, set by `make test`) a test
    # marked postgres_only must run; on SQLite it is skipped with a reason.
    if os.environ.get("HW_REQUIRE_POSTGRES"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


# One redis-server for the session (pytest-redis), with snapshots off; its
# idle-client timeout is 0 by `redis_timeout` in pyproject.toml (an argument of
# 0 here would read as "not given"). Each test that uses it empties it first.
redis_proc = redis_factories.redis_proc(
    executable=redisserver.find_binary(),
    db_count=redisserver.DATABASES,
    save=redisserver.NO_SNAPSHOTS,
)


class _RedisURLs:
    def __init__(self, server) -> None:
        self.server = server

    def url(self, db: int = 0) -> str:
        return redisserver.url(self.server, db)


@pytest.fixture(scope="session")
def redis_server(request):
    """The session's redis-server, by URL (``redis_server.url(db)``). Without one the
    test is skipped, except on the PostgreSQL pass of ``make test``
    (HW_REQUIRE_POSTGRES=1), which must run it: there it fails."""
    try:
        return _RedisURLs(request.getfixturevalue("redis_proc"))
    except (RedisMisconfigured, RedisUnsupported, ExecutorError, OSError) as exc:
        if os.environ.get("HW_REQUIRE_POSTGRES"):
            pytest.fail(f"the PostgreSQL pass needs a Redis server: {exc}")
        pytest.skip(f"needs a Redis server ({redisserver.INSTALL_HINT}): {exc}")


@pytest.fixture(autouse=True)
def _english_unless_asked(settings):
    # The site defaults to Chinese; tests read English messages unless they
    # ask for another language (Accept-Language, or a browser locale).
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _no_second_factor_unless_asked(settings):
    settings.OFFICIAL_SECOND_FACTOR = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit and throttle counts live in the cache: one test's requests
    # must not count against the next one's.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_background_rendering(settings):
    # A worker thread rendering permits would outlive the test's transaction;
    # the permit tests choose "inline" themselves.
    settings.PERMIT_RENDER_MODE = "off"


@pytest.fixture(autouse=True)
def _calendar_notices(request):
    # Calendar notices live in the database: a test without one sees none; a
    # test with one reads them afresh (once, when a day outside the package's
    # years is first looked at).
    from approvals import timekeeping

    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    timekeeping.use_notices(None if uses_db else {})
    yield
    timekeeping.use_notices(None)


@pytest.fixture(autouse=True)
def _database_is_the_one_asked_for(request):
    if os.environ.get("HW_REQUIRE_POSTGRES") and "django_db_setup" in request.fixturenames:
        assert connection.vendor == "postgresql", "the PostgreSQL pass is not on PostgreSQL"


@dataclass
class World:
    service: m.Service
    departments: list
    matters: dict
    enterprise: m.Enterprise
    investor: object
    other_investor: object
    clerk: object
    reviewers: dict
    supervisor: object


def build_world(**service_fields) -> World:
    """The catalogue and the people most tests stand on: a service with three
    departments (and one department outside it), six materials covering every
    way to meet one, an enterprise in the shared data, and one user per role.
    Also used by module-scoped fixtures, which cannot use `world`."""
    f.role_groups()
    departments = [f.DepartmentFactory(code=c) for c in ("market", "commerce", "tax")]
    f.DepartmentFactory(code="customs")  # in the catalogue, not in this service
    service = f.ServiceFactory(code="fie", **service_fields)
    # The market department's matter issues the business licence; the others a record each.
    matters = {
        d.code: f.thing_part(
            service,
            d,
            outcome_licence_type="business-licence" if d.code == "market" else f"{d.code}-record",
            outcome_name_zh="营业执照" if d.code == "market" else f"{d.name_zh}回执",
            outcome_name_en="Business licence" if d.code == "market" else f"{d.name_en} receipt",
        )
        for d in departments
    }
    f.MaterialFactory(service=service, code="registry", reuse_key="enterprise_registry", order=1)
    f.MaterialFactory(service=service, code="tax-info", reuse_key="tax_registration", order=2)
    f.MaterialFactory(
        service=service, code="prior-licence", reuse_key="licence:food-licence", order=3
    )
    f.MaterialFactory(service=service, code="form", order=4)
    f.MaterialFactory(service=service, code="lease", allow_commitment=True, order=5)
    f.MaterialFactory(service=service, code="seal", allow_deferral=True, deferral_days=5, order=6)
    enterprise = f.EnterpriseFactory()
    m.TaxRegistration.objects.create(
        enterprise=enterprise,
        taxpayer_type="一般纳税人",
        tax_authority="国家税务总局海口市税务局",
        registered_on="2020-01-02",
    )
    reviewers = {
        d.code: f.UserFactory(username=f"rev-{d.code}", groups=[f"reviewer:{d.code}"])
        for d in [*departments, m.Department.objects.get(code="customs")]
    }
    return World(
        service=service,
        matters=matters,
        departments=departments,
        enterprise=enterprise,
        # The legal representative of every EnterpriseFactory enterprise (verified).
        investor=f.verified(f.UserFactory(username="investor", groups=[INVESTOR_GROUP])),
        # Verified, but acts for no enterprise: a stranger to all of them.
        other_investor=f.verified(
            f.UserFactory(username="investor2", groups=[INVESTOR_GROUP]),
            name="李四",
            number=f.stranger_id(),
        ),
        clerk=f.UserFactory(username="clerk", groups=[CLERK_GROUP]),
        reviewers=reviewers,
        supervisor=f.UserFactory(username="supervisor", groups=[SUPERVISOR_GROUP]),
    )


def build_bundle(world, *, dependent: bool = True) -> dict:
    """A thing of five matters in five departments: tax registration needs the licence first
    (unless not `dependent`).

    One material (the articles of association) serves three matters; the
    guide asks whether food is handled and the floor area."""
    security = f.DepartmentFactory(code="security")
    hr = f.DepartmentFactory(code="hr")
    for d in (security, hr):
        world.reviewers[d.code] = f.UserFactory(
            username=f"rev-{d.code}", groups=[f"reviewer:{d.code}"]
        )
    market, commerce, tax = world.departments
    thing = f.ServiceFactory(code="open-company", prefill_sources=["enterprise_registry"])
    licence = f.thing_part(
        thing,
        market,
        code="licence",
        outcome_licence_type="business-licence",
        promised_limit_days=1,
    )
    report = f.thing_part(thing, commerce, code="report", outcome_kind="record")
    taxreg = f.thing_part(
        thing, tax, code="taxreg", outcome_kind="record", requires=[licence] if dependent else ()
    )
    seal = f.thing_part(thing, security, code="seal", outcome_kind="record")
    social = f.thing_part(thing, hr, code="social", outcome_kind="record")
    articles = f.MaterialFactory(service=thing, code="articles", order=1)
    articles.matters.set([licence, report, taxreg])
    f.MaterialFactory(service=thing, code="registry", reuse_key="enterprise_registry", order=2)
    staff = f.MaterialFactory(service=thing, code="staff-list", order=3)
    staff.matters.set([social])
    return {
        "thing": thing,
        "licence": licence,
        "report": report,
        "taxreg": taxreg,
        "seal": seal,
        "social": social,
    }


def guide_questions() -> tuple:
    """Two questions of the guide: "Will you handle food?" (yes/no) and the floor area (m²)."""
    food = m.Determinant.objects.create(
        code="food",
        question_zh="是否经营食品？",
        question_en="Will you handle food?",
        kind="yes_no",
    )
    area = m.Determinant.objects.create(
        code="area",
        question_zh="经营场所面积？",
        question_en="Floor area of the premises?",
        kind="number",
        unit_zh="平方米",
        unit_en="m²",
    )
    return food, area


@pytest.fixture
def bundle(world):
    return build_bundle(world)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~0.3 s a user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return build_world()
