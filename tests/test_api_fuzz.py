"""The API fuzzed from its own OpenAPI schema (schemathesis), as every role.

Each operation of the schema the app serves at /api/schema/ gets generated
requests, valid and invalid, sent to the real WSGI application with a real
database, once per role: anonymous, investor, clerk, reviewer, supervisor.
Every answer must be something other than a 5xx and must be what the schema
promises: a documented status, its content type, a body of its shape.

The data is built once for the module (an outer transaction rolled back at the
end) and every generated request runs in a savepoint rolled back after it, so
each example starts from the same database whatever the ones before it did.
In the requests the schema allows, ids, codes and some values are mostly
swapped for ones the data holds (a draft, an application in review, a task, a
permit, a field's name), or nearly every request would stop at a 404 or an
unknown code and the code behind it would go untested.

Run it alone with ``pytest tests/test_api_fuzz.py``; a failure prints the
request (as curl) and the check it broke. Hypothesis is derandomized, so the
same code gives the same cases on every machine and on both databases.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import TestCase, override_settings
from hypothesis import settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from approvals import models as m
from approvals import permits, prefill, services
from approvals.models.permits import RenderStatus
from hainan_window.wsgi import application as wsgi_application
from tests import factories as f
from tests import journey
from tests.conftest import build_world

ROLES = ["anonymous", "investor", "clerk", "reviewer", "supervisor"]
# Fields whose values the services parse, and values that parse badly, or too well.
TYPED_FIELDS = [
    "enterprise.registered_capital",
    "project.total_investment",
    "enterprise.legal_representative_id",
    "enterprise.established_on",
]
AWKWARD_VALUES = ["1200", "0", "-5", "1,200.50", "NaN", "sNaN", "Infinity", "1e999999999"]
AWKWARD_VALUES += ["2020-02-30", "2020-02-29", "46010019850615123X", "", " "]
# Fuzzed examples per operation and role, on top of the schema's examples and
# schemathesis' coverage cases: about 65 requests each, 8,500 in all, 1.5 to
# 2.5 minutes on SQLite or PostgreSQL on two cores.
MAX_EXAMPLES = 25

# The schema as the app serves it, in English like the committed openapi.yaml.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", wsgi_application, headers={"Accept-Language": "en"}
)


@dataclass
class Known:
    """What the module's data holds: values (by parameter or property name) for
    the generated requests to use, and each role's Authorization header."""

    values: dict[str, list | st.SearchStrategy] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


KNOWN = Known()


def _build_world() -> None:
    """The catalogue, the people, and applications in the states the API acts on."""
    world = build_world()
    world.matters["market"].outcome_valid_years = 5
    world.matters["market"].save()
    departments, reviewers = world.departments, world.reviewers
    m.RejectionReason.objects.create(
        code="scope-unclear", text_zh="经营范围不清", text_en="The business scope is unclear."
    )
    m.RejectionReason.objects.create(
        code="market-name-taken",
        text_zh="名称已被占用",
        text_en="The name is taken.",
        department=departments[0],
    )
    service, enterprise = world.service, world.enterprise

    # The investor's applications, one in each state that matters to the API.
    draft = journey.draft(world)
    # Another investor's draft for the same enterprise, under its mandate.
    f.mandate(enterprise, service, user=world.other_investor, by=world.investor)
    other_draft = journey.draft(world, applicant=world.other_investor)
    at_window = journey.submitted(world)
    in_review = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=in_review)
    taken = journey.review_of(in_review, "market")
    services.task_assign(actor=reviewers["market"], task=taken.task)
    untaken = journey.submitted(world)  # its reviews wait in the departments' queues
    services.application_accept(actor=world.clerk, application=untaken)
    returned = journey.submitted(world)
    services.application_return(
        actor=world.clerk, application=returned, items=["The lease is unsigned."]
    )
    approved = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=approved)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approved = journey.approve_all(world, approved)
    permit = approved.permit
    assert permit.render_status == RenderStatus.RENDERED, permit.render_error

    applications = [draft, other_draft, at_window, in_review, untaken, returned, approved]
    KNOWN.values = {
        "public_id": [str(a.public_id) for a in applications],
        "review_id": list(
            m.DepartmentReview.objects.filter(application__in=applications)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        "material_code": list(service.materials.values_list("code", flat=True)),
        # A NUL is a string the schema allows and no PostgreSQL text column holds.
        "number": [permit.number, "HNSW\x00"],
        "token": [permits.permit_token(permit), "\x00"],
        # One enterprise the shared data holds, one it does not.
        "uscc": [enterprise.uscc, f.new_uscc(), "\x00"],
        "username": ["investor", "clerk"],
        "password": ["pw-for-tests-only"],
        "code": [service.code],
        "service": [service.code],
        "department": [d.code for d in departments],
        "reasons": [["scope-unclear"], ["market-name-taken", "scope-unclear"]],
        "deferrals": [[{"material": "seal", "due": None}], [{"material": "lease"}]],
        # Values for the fields an application has, some of them awkward.
        "values": st.dictionaries(
            st.sampled_from(sorted(prefill.field_specs())) | st.sampled_from(TYPED_FIELDS),
            st.sampled_from(AWKWARD_VALUES) | st.text(max_size=30),
            min_size=1,
            max_size=3,
        ),
    }
    users = {
        "investor": world.investor,
        "clerk": world.clerk,
        "reviewer": reviewers["market"],
        "supervisor": world.supervisor,
    }
    KNOWN.headers = {"anonymous": {}} | {
        role: {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        for role, user in users.items()
    }


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The data every example starts from, built once: rolled back after the module."""
    tmp = tmp_path_factory.mktemp("fuzz")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp / "media",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PERMIT_SIGNING_KEY=permits.generate_private_key_pem(),
            PERMIT_SIGNING_KEY_FILE=tmp / "no-such-key.pem",
            PERMIT_RENDER_MODE="inline",
            PERMIT_PUBLIC_BASE_URL="https://window.example.test",
            LANGUAGE_CODE="en",
            # Raised so that a 429 never hides the answer the fuzzer asked for.
            API_THROTTLE_RATES={"anon": "100000/s", "user": "100000/s", "token": "100000/s"},
        ),
        transaction.atomic(),
    ):
        _build_world()
        yield KNOWN
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def wsgi_keeps_the_connection():
    """Django closes the database connection after each request; here that
    connection holds the module's transaction, so keep it open, as Django's
    own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# --- steering generated values toward objects that exist ------------------------------
#
# Only cases the schema allows are steered: a known id put into a case meant to
# break the schema would make it valid, and the checks would then expect a refusal.


def _maybe_known(name: str, value) -> st.SearchStrategy:
    """A known value for this name, more often than not, or the generated one.

    The known ones come first: Hypothesis leans toward the first choice, and
    made-up ids and codes are what the negative and coverage cases send anyway.
    """
    pool = KNOWN.values.get(name)
    if pool is None:
        return st.just(value)
    known = pool if isinstance(pool, st.SearchStrategy) else st.sampled_from(pool)
    return st.one_of(known, st.just(value))


def _steered(container: dict | None) -> st.SearchStrategy:
    if not isinstance(container, dict) or not container:
        return st.just(container)
    names = sorted(container)
    return st.tuples(*(_maybe_known(n, container[n]) for n in names)).map(
        lambda values: dict(zip(names, values, strict=True))
    )


@schema.hook
def flatmap_case(context, case):
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return st.just(case)

    def steer(parts):
        # Only what changed is put back: schemathesis checks a changed part
        # against the schema again, and a multipart body's bytes, read back as
        # JSON, would not pass for the string the schema says.
        path_parameters, query, body = parts
        if path_parameters != case.path_parameters:
            case.path_parameters = path_parameters
        if query != case.query:
            case.query = query
        if body != case.body:
            case.body = body
        return case

    return st.tuples(_steered(case.path_parameters), _steered(case.query), _steered(case.body)).map(
        steer
    )


# positive_data_acceptance expects a 2xx for any request the schema allows.
# Here many are refused for rules a schema cannot state: a service code or a
# USCC that does not exist, a wrong password, a draft with materials missing,
# an application not in the state the action needs. Those 400s are right.
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]

STATS = {"cases": 0}


@pytest.fixture(scope="module", autouse=True)
def _count_cases(request):
    """Say how many cases the fuzzing generated, and how long the module took."""
    started = time.perf_counter()
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not STATS["cases"]:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\nAPI fuzzing: {STATS['cases']} generated cases, "
            f"{time.perf_counter() - started:.0f} s with the data set-up"
        )


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_the_connection")
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
# No deadline: a request to a real database is as slow as the machine is busy.
# Derandomized and without Hypothesis' example database, so CI and a laptop run
# the same cases. No health check needs silencing: the one function-scoped
# fixture (the database) is requested by the mark, and each example gets its
# own savepoint anyway.
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None)
def test_api_answers_as_its_schema_says(case, role, fuzz_world):
    cache.clear()
    STATS["cases"] += 1
    with transaction.atomic():
        try:
            case.call_and_validate(
                headers=fuzz_world.headers[role], excluded_checks=EXCLUDED_CHECKS
            )
        finally:
            transaction.set_rollback(True)
