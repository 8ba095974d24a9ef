"""Every list of the API costs a fixed number of queries whatever its length.

Each list is fetched at two sizes (3 and 30 rows, all on one page) and must
make exactly the same number of queries at both, the token lookup included;
a per-row query (an N+1) shows as a count that grows with the size. The rows
are made by the services, as people make them, so the lists see real ones:
applications with clock intervals and typed names, reviews with open
viewflow tasks, an escalation, a correction. The same lists' filters and
pagination are checked on the way.

When a change moves these numbers, update them on purpose and say why in
the commit, as for tests/test_queries.py.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import models as m
from approvals import services
from approvals.engine import callbacks
from tests import factories as f
from tests import journey

SIZES = [3, 30]
ALL_ON_ONE_PAGE = "page_size=100"

# Queries per request, the token lookup included, as captured on both databases.
# They agree today (these reads take no row locks); kept per vendor, as in
# tests/test_queries.py, so a change that moves only one shows as such.
#
# services (7):     1. the token, joined to its user (TokenAuthentication)
#                   2. COUNT of the DISTINCT open services (the paginator)
#                   3. the page of services
#                   4. prefetch: their matters, each with its department and rule joined
#                   5. prefetch: those matters' prerequisites
#                   6. prefetch: their materials, department and rule joined
#                   7. prefetch: the matters each material serves
#                   (5 before matters: one prefetch of departments, one of materials)
# applications (3): 1. the token and its user
#                   2. COUNT of the investor's applications
#                   3. the page: service and enterprise joined; the clock's holder
#                      and the typed enterprise names as subqueries of the SELECT
# window (4):       1. the token and its user
#                   2. the clerk's roles (approvals.roles: groups, their permissions
#                      and departments in one read, cached on the user for the
#                      rest of the request; two permission reads before, 5 in all)
#                   3. COUNT of submitted applications
#                   4. the page: service and enterprise joined; waiting_since,
#                      corrections_count and typed names as subqueries
# inbox, queue (4): 1. the token and its user
#                   2. the reviewer's roles (approvals.roles: one read, as for the
#                      window; an EXISTS on the departments before, 4 in all)
#                   3. COUNT of the matching reviews
#                   4. the page: application, its service, department, task, its
#                      owner and the escalation joined (a reverse one-to-one, so a
#                      review without one costs no query either)
# applications: 4 since the reader's identity is read to decide which drafts are still
# theirs (approvals.representation.visible_to_applicant_q); 3 before.
_COUNTS = {"services": 7, "applications": 4, "window": 4, "inbox": 4, "queue": 4}
EXPECTED = {"sqlite": _COUNTS, "postgresql": _COUNTS}


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # The throttles count requests in the cache, which outlives a test: other
    # files' requests must not use up this file's allowance (a 429 is no list).
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def listing(client, url):
    response = client.get(url)
    assert response.status_code == 200, (response.status_code, response.content[:2000])
    return response.json()


# --- rows made through the services -----------------------------------------------


@pytest.fixture
def food(world):
    """A second service, reviewed by two of the three departments of world.service."""
    service = f.ServiceFactory(code="food")
    for code in ("market", "commerce"):
        f.thing_part(service, m.Department.objects.get(code=code), review_limit_days=1)
    f.MaterialFactory(service=service, code="food-form", order=1)
    return service


def draft(world, *, service=None, applicant=None, unregistered=False):
    """A draft; `unregistered`: for an enterprise the registry does not hold, so its
    name is the one the applicant types."""
    if unregistered:
        return journey.unregistered_draft(world, applicant=applicant, service=service)
    return services.application_create(
        applicant=applicant or world.investor,
        service=service or world.service,
        uscc=world.enterprise.uscc,
    )


def submitted(world, **kwargs):
    app = journey.complete(world, draft(world, **kwargs), applicant=kwargs.get("applicant"))
    return services.application_submit(actor=app.applicant, application=app)


def in_review(world, **kwargs):
    app = submitted(world, **kwargs)
    services.application_accept(actor=world.clerk, application=app)
    app.refresh_from_db()
    return app


def resubmitted(world, **kwargs):
    """Returned once for correction and sent back: at the window again."""
    app = submitted(world, **kwargs)
    services.application_return(actor=world.clerk, application=app, items=["Sign the form."])
    return services.application_resubmit(actor=app.applicant, application=app, answer="Signed.")


# --- /api/services/ -----------------------------------------------------------------


def add_services(world, count: int) -> None:
    """`count` more open services, each with departments and materials like the real
    ones (every other one reviewed by customs), and a closed one the guide hides."""
    customs = m.Department.objects.get(code="customs")
    for i in range(count):
        service = f.ServiceFactory()
        departments = [world.departments[i % 3], customs] if i % 2 else [world.departments[i % 3]]
        for d in departments:
            f.thing_part(service, d, review_limit_days=2)
        f.MaterialFactory(service=service, reuse_key="enterprise_registry", order=1)
        f.MaterialFactory(service=service, department=departments[-1], order=2)
    f.ServiceFactory(is_active=False)


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_the_service_list_costs_the_same_at_any_length(world, size, django_assert_num_queries):
    add_services(world, size - 1)
    client = client_for(world.investor)

    with django_assert_num_queries(EXPECTED[connection.vendor]["services"]):
        body = listing(client, f"/api/services/?{ALL_ON_ONE_PAGE}")

    assert (body["count"], body["next"], len(body["results"])) == (size, None, size)
    fie = next(row for row in body["results"] if row["code"] == world.service.code)
    assert [d["code"] for d in fie["departments"]] == ["commerce", "market", "tax"]
    assert len(fie["materials"]) == 6


@pytest.mark.django_db
def test_the_service_list_filters_by_department(world):
    add_services(world, 4)  # customs reviews the 2nd and the 4th
    client = client_for(world.investor)

    body = listing(client, f"/api/services/?department=customs&{ALL_ON_ONE_PAGE}")

    assert body["count"] == 2
    for row in body["results"]:
        assert "customs" in {d["code"] for d in row["departments"]}
    assert listing(client, "/api/services/?department=tax")["count"] == 2  # fie and the 3rd
    assert listing(client, "/api/services/?department=nobody")["count"] == 0


@pytest.mark.django_db
def test_pages_hold_at_most_api_page_size_max_rows(world):
    assert settings.API_PAGE_SIZE_MAX == 100
    m.Service.objects.bulk_create(f.ServiceFactory.build_batch(110))  # 111 open with fie
    client = client_for(world.investor)

    default = listing(client, "/api/services/")
    assert (default["count"], len(default["results"])) == (111, min(settings.PAGE_SIZE, 100))

    first = listing(client, "/api/services/?page_size=1000")
    assert (first["count"], len(first["results"])) == (111, 100)
    assert first["previous"] is None and "page=2" in first["next"]
    second = listing(client, first["next"])
    assert (len(second["results"]), second["next"]) == (11, None)
    codes = [row["code"] for row in first["results"] + second["results"]]
    assert len(set(codes)) == 111


# --- /api/applications/ -----------------------------------------------------------


def investor_applications(world, size: int) -> list[m.Application]:
    """`size` of the investor's applications at every stage, every fourth for an
    enterprise the registry does not hold; and someone else's, which stays out."""
    stages = [draft, submitted, in_review]
    apps = [stages[i % 3](world, unregistered=i % 4 == 1) for i in range(size)]
    f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
    draft(world, applicant=world.other_investor)
    return apps


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_the_application_list_costs_the_same_at_any_length(world, size, django_assert_num_queries):
    apps = investor_applications(world, size)
    client = client_for(world.investor)

    with django_assert_num_queries(EXPECTED[connection.vendor]["applications"]):
        body = listing(client, f"/api/applications/?{ALL_ON_ONE_PAGE}")

    assert (body["count"], body["next"]) == (size, None)
    assert [row["id"] for row in body["results"]] == [str(a.public_id) for a in reversed(apps)]
    rows = {row["id"]: row for row in body["results"]}
    for app in apps:
        row = rows[str(app.public_id)]
        assert row["clock_holder"] == (None if app.status == "draft" else "government")
        if app.enterprise_id:
            assert row["enterprise_name_zh"] == world.enterprise.name_zh
        else:  # the name the applicant typed, once they have
            typed = "" if app.status == "draft" else "由申请人填写 / filled by hand"
            assert row["enterprise_name_zh"] == typed


@pytest.mark.django_db
def test_the_application_list_filters_by_status_and_service(world, food):
    investor_applications(world, 6)
    submitted(world, service=food)
    client = client_for(world.investor)

    drafts = listing(client, f"/api/applications/?status=draft&{ALL_ON_ONE_PAGE}")
    assert drafts["count"] == 2
    assert {row["status"] for row in drafts["results"]} == {"draft"}
    in_food = listing(client, "/api/applications/?service=food")
    assert [(row["service"], row["status"]) for row in in_food["results"]] == [
        ("food", "submitted")
    ]
    bad = client.get("/api/applications/?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


# --- /api/window/ -------------------------------------------------------------------


def window_rows(world, food, size: int) -> list[m.Application]:
    """`size` applications at the window: of two services, one returned and resubmitted,
    some for unregistered enterprises; and a draft and a case in review, which are not."""
    makers = [resubmitted] + [submitted] * (size - 1)
    apps = [
        make(world, service=food if i % 2 else None, unregistered=i % 5 == 4)
        for i, make in enumerate(makers)
    ]
    draft(world)
    in_review(world)
    return apps


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_the_window_queue_costs_the_same_at_any_length(
    world, food, size, django_assert_num_queries
):
    apps = window_rows(world, food, size)
    client = client_for(world.clerk)

    with django_assert_num_queries(EXPECTED[connection.vendor]["window"]):
        body = listing(client, f"/api/window/?{ALL_ON_ONE_PAGE}")

    assert (body["count"], body["next"]) == (size, None)
    assert {row["id"] for row in body["results"]} == {str(a.public_id) for a in apps}
    returned = next(row for row in body["results"] if row["id"] == str(apps[0].public_id))
    assert returned["corrections_count"] == 1


@pytest.mark.django_db
def test_the_window_queue_filters_by_service(world, food):
    apps = window_rows(world, food, 5)  # the 2nd and the 4th are food's
    client = client_for(world.clerk)

    body = listing(client, f"/api/window/?service=food&{ALL_ON_ONE_PAGE}")

    assert [row["id"] for row in body["results"]] == [str(apps[i].public_id) for i in (1, 3)]
    assert listing(client, "/api/window/?service=fie")["count"] == 3


# --- /api/tasks/inbox/ and /api/tasks/queue/ --------------------------------------


def reviews_in_flight(world, food, size: int) -> list[m.Application]:
    """`size` applications in review, each with an open task for market and one for
    commerce: market's are all taken by its reviewer, commerce's are free; one of
    market's is escalated, as the flow's timer does when a review outruns its limit."""
    apps = [in_review(world, service=food if i == 0 else None) for i in range(size)]
    market = world.reviewers["market"]
    for app in apps:
        services.task_assign(actor=market, task=journey.review_of(app, "market").task)
    callbacks.escalation_record(host_task=journey.review_of(apps[-1], "market").task)
    submitted(world)  # not accepted yet: no tasks
    return apps


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_the_task_lists_cost_the_same_at_any_length(world, food, size, django_assert_num_queries):
    apps = reviews_in_flight(world, food, size)
    ids = {str(a.public_id) for a in apps}
    market = client_for(world.reviewers["market"])
    commerce = client_for(world.reviewers["commerce"])

    with django_assert_num_queries(EXPECTED[connection.vendor]["inbox"]):
        inbox = listing(market, f"/api/tasks/inbox/?{ALL_ON_ONE_PAGE}")
    with django_assert_num_queries(EXPECTED[connection.vendor]["queue"]):
        queue = listing(commerce, f"/api/tasks/queue/?{ALL_ON_ONE_PAGE}")

    assert (inbox["count"], inbox["next"]) == (size, None)
    assert {row["application"] for row in inbox["results"]} == ids
    assert {row["assigned_to"] for row in inbox["results"]} == {"rev-market"}
    assert sum(row["escalated"] for row in inbox["results"]) == 1
    assert (queue["count"], queue["next"]) == (size, None)
    assert {row["application"] for row in queue["results"]} == ids
    assert {(row["department"], row["assigned_to"]) for row in queue["results"]} == {
        ("commerce", None)
    }


@pytest.mark.django_db
def test_the_task_lists_filter_and_never_widen(world, food):
    apps = reviews_in_flight(world, food, 4)  # the first is food's
    market = client_for(world.reviewers["market"])
    commerce = client_for(world.reviewers["commerce"])

    in_food = listing(market, "/api/tasks/inbox/?service=food")
    assert [row["application"] for row in in_food["results"]] == [str(apps[0].public_id)]
    assert listing(commerce, "/api/tasks/queue/?department=commerce")["count"] == 4
    # Another department's code narrows to nothing; it does not open that department's tasks.
    assert listing(commerce, "/api/tasks/queue/?department=market")["count"] == 0
    assert listing(market, "/api/tasks/queue/")["count"] == 0  # all of market's are taken
