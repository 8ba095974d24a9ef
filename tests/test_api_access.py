"""Who may call what on /api/, and how every refusal reads.

One table says, for every endpoint and every role, what the role gets: the
thing itself (2xx), a refusal of the role (401 for the anonymous, 403 for a
role that may not do it), or 404 for someone else's application, task or
permit, so that a guessed URL does not even confirm the object exists. Every
refusal is checked to be in the one error shape (approvals.api.common) and to
have written nothing; every allowed write is checked to have written
something.

Then the error shape with inputs a person gets wrong, idempotent creation,
throttles, lock contention (PostgreSQL, where row locks are real) and the
browser's session with its CSRF check.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from viewflow.workflow.models import Process, Task

from approvals import models as m
from approvals import permits, services
from approvals.models.permits import RenderStatus
from tests import factories as f
from tests import journey


@pytest.fixture(autouse=True)
def permit_settings(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.PERMIT_RENDER_MODE = "inline"
    settings.PERMIT_PUBLIC_BASE_URL = "https://window.example.test"


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counts live in the cache, which outlives a test: without this,
    # the table's many anonymous requests would run into the anonymous rate.
    cache.clear()
    yield
    cache.clear()


# --- helpers -----------------------------------------------------------------

ROLES = (
    "anonymous",
    "investor",  # the applicant
    "other_investor",
    "clerk",
    "reviewer",  # market: in the service; the task in the table is market's
    "other_reviewer",  # commerce: in the service, but the task is not theirs
    "customs",  # a department that is not in the service
    "supervisor",
)


def user_of(world, role: str):
    return {
        "anonymous": None,
        "investor": world.investor,
        "other_investor": world.other_investor,
        "clerk": world.clerk,
        "reviewer": world.reviewers["market"],
        "other_reviewer": world.reviewers["commerce"],
        "customs": world.reviewers["customs"],
        "supervisor": world.supervisor,
    }[role]


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def error(response, status: int, code: str | None = None) -> dict:
    """The one error shape: status, code, message; `fields` and `retry_after` when they apply."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert {"status", "code", "message"} <= set(body), body
    assert set(body) <= {"status", "code", "message", "fields", "retry_after"}, body
    assert body["status"] == status
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    if code is not None:
        assert body["code"] == code, body
    if "fields" in body:
        assert body["fields"], body
        for name, messages in body["fields"].items():
            assert isinstance(name, str) and name, body
            assert messages and all(isinstance(t, str) and t.strip() for t in messages), body
    return body


def messages_of(body: dict, name: str) -> str:
    assert name in body.get("fields", {}), body
    return " ".join(body["fields"][name])


def database_state() -> dict:
    """Everything a call on /api/ could write: equal before and after means nothing was."""

    def rows(queryset, *columns):
        return list(queryset.order_by("pk").values_list("pk", *columns))

    return {
        "applications": rows(
            m.Application.objects,
            "status",
            "submitted_at",
            "accepted_at",
            "decided_at",
            "idempotency_key",
        ),
        "values": rows(m.PrefilledValue.objects, "value", "confirmed_at"),
        "materials": rows(
            m.ApplicationMaterial.objects, "satisfied_by", "file", "commitment_text", "due_date"
        ),
        "reviews": rows(m.DepartmentReview.objects, "decision", "reasons"),
        "tasks": rows(Task.objects, "status", "owner_id"),
        "processes": rows(Process.objects, "status"),
        "steps": rows(m.Step.objects, "assigned_at", "finished_at"),
        "clock": rows(m.ClockInterval.objects, "ended_at"),
        "corrections": rows(m.CorrectionRequest.objects, "answered_at"),
        "permits": rows(m.Permit.objects, "status"),
        "audit": rows(m.AuditEntry.objects, "action"),
    }


def new_rows() -> tuple[int, int, int]:
    return (
        m.Application.objects.count(),
        m.ApplicationMaterial.objects.count(),
        m.PrefilledValue.objects.count(),
    )


# --- the stages an endpoint needs ----------------------------------------------------------


@dataclass
class Scene:
    application: m.Application | None = None
    review: m.DepartmentReview | None = None
    permit: m.Permit | None = None

    def url(self, template: str, world) -> str:
        return template.format(
            app=self.application.public_id if self.application else "",
            review=self.review.pk if self.review else "",
            permit=self.permit.number if self.permit else "",
            token=permits.permit_token(self.permit) if self.permit else "",
            uscc=world.enterprise.uscc,
            service=world.service.code,
        )


def stage(world, capture, name: str) -> Scene:
    """The investor's application, driven through the services as far as `name`."""
    if name == "catalogue":
        return Scene()
    app = journey.draft(world)
    if name == "draft":
        return Scene(app)
    journey.complete(world, app)
    if name == "complete":
        return Scene(app)
    app = services.application_submit(actor=world.investor, application=app)
    if name == "submitted":
        return Scene(app)
    if name == "returned":
        services.application_return(
            actor=world.clerk, application=app, items=["Sign the application form."]
        )
        return Scene(app)
    services.application_accept(actor=world.clerk, application=app)
    review = journey.review_of(app, "market")
    if name == "in_review":
        return Scene(app, review)
    if name == "taken":
        services.task_assign(actor=world.reviewers["market"], task=review.task)
        return Scene(app, review)
    assert name == "permit", name
    with capture(execute=True):
        journey.approve_all(world, app)
    permit = app.permit
    assert permit.render_status == RenderStatus.RENDERED, permit.render_error
    return Scene(app, review, permit)


# --- the table -----------------------------------------------------------------------------

LISTED = "200, listing the object"
NOT_LISTED = "200, without the object"


def expect(*, everyone, anonymous=401, **roles) -> dict:
    """What each role gets: `everyone` unless named; the anonymous get 401 unless said."""
    table = {role: everyone for role in ROLES}
    table["anonymous"] = anonymous
    table.update(roles)
    assert set(table) == set(ROLES), roles
    return table


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    stage: str
    expect: dict
    body: Callable | None = None
    format: str = "json"
    headers: dict = field(default_factory=dict)
    lists: str = ""  # a list endpoint: "application" or "review", the object looked for
    returns: str = "application/json"  # the content type of a 2xx answer

    def send(self, client: APIClient, scene: Scene, world):
        path = scene.url(self.path, world)
        if self.method == "get":
            return client.get(path, **self.headers)
        data = self.body(world) if self.body else None
        return getattr(client, self.method)(path, data, format=self.format, **self.headers)


def _create_body(world):
    return {"service": world.service.code, "uscc": world.enterprise.uscc}


def _pdf(world):
    return {"file": f.pdf_upload("form.pdf")}


APP = "/api/applications/{app}/"
WINDOW = "/api/window/{app}/"
TASK = "/api/tasks/{review}/"
OFFICIALS_WHO_SEE_IT = {"clerk": 200, "reviewer": 200, "other_reviewer": 200, "supervisor": 200}
PUBLIC = expect(everyone=200, anonymous=200)

ENDPOINTS = [
    # The catalogue and verification are public.
    Endpoint("service-list", "get", "/api/services/", "catalogue", PUBLIC),
    Endpoint("service-detail", "get", "/api/services/{service}/", "catalogue", PUBLIC),
    Endpoint("permit-verify", "get", "/api/verify/{token}/", "permit", PUBLIC),
    Endpoint(
        "schema", "get", "/api/schema/", "catalogue", PUBLIC,
        returns="application/vnd.oai.openapi",
    ),
    # What the government holds about an enterprise: only for whoever files for it.
    Endpoint(
        "prefill-preview", "get", "/api/enterprises/{uscc}/prefill/", "draft",
        expect(everyone=404, investor=200),
    ),
    # An investor's own applications.
    Endpoint(
        "application-list", "get", "/api/applications/", "draft",
        expect(everyone=NOT_LISTED, investor=LISTED), lists="application",
    ),
    Endpoint(
        "application-create", "post", "/api/applications/", "catalogue",
        # other_investor is verified but acts for no enterprise (a stranger to it).
        expect(everyone=403, investor=201),
        body=_create_body, headers={"HTTP_IDEMPOTENCY_KEY": "table-1"},
    ),
    Endpoint("application-detail", "get", APP, "draft", expect(everyone=404, investor=200)),
    Endpoint(
        "application-patch", "patch", APP, "draft", expect(everyone=404, investor=200),
        body=lambda w: {"values": {"enterprise.name_zh": w.enterprise.name_zh}},
    ),
    Endpoint(
        "material-upload", "post", APP + "materials/form/upload/", "draft",
        expect(everyone=404, investor=200), body=_pdf, format="multipart",
    ),
    Endpoint(
        "material-commitment", "post", APP + "materials/lease/commitment/", "draft",
        expect(everyone=404, investor=200),
        body=lambda w: {"text": "We commit that the address is real and in use."},
    ),
    Endpoint(
        "material-deferral", "post", APP + "materials/seal/deferral/", "draft",
        expect(everyone=404, investor=200),
    ),
    Endpoint(
        "application-submit", "post", APP + "submit/", "complete",
        expect(everyone=404, investor=200),
    ),
    Endpoint(
        "application-resubmit", "post", APP + "resubmit/", "returned",
        expect(everyone=404, investor=200), body=lambda w: {"answer": "Signed."},
    ),
    Endpoint(
        "application-withdraw", "post", APP + "withdraw/", "submitted",
        expect(everyone=404, investor=200),
    ),
    Endpoint(
        "application-withdraw-draft", "post", APP + "withdraw/", "draft",
        expect(everyone=404, investor=200),
    ),
    # The window: clerks act; supervisors and the departments involved may look.
    Endpoint(
        "window-queue", "get", "/api/window/", "submitted",
        expect(everyone=403, clerk=LISTED), lists="application",
    ),
    Endpoint(
        "window-application", "get", WINDOW, "submitted",
        expect(everyone=404, **OFFICIALS_WHO_SEE_IT),
    ),
    Endpoint(
        "window-accept", "post", WINDOW + "accept/", "submitted",
        expect(everyone=403, clerk=200), body=lambda w: {},
    ),
    Endpoint(
        "window-return", "post", WINDOW + "return/", "submitted",
        expect(everyone=403, clerk=200), body=lambda w: {"items": ["Sign the form."]},
    ),
    # Department tasks: only the department's own reviewers.
    Endpoint(
        "task-inbox", "get", "/api/tasks/inbox/", "taken",
        expect(everyone=403, reviewer=LISTED, other_reviewer=NOT_LISTED, customs=NOT_LISTED),
        lists="review",
    ),
    Endpoint(
        "task-queue", "get", "/api/tasks/queue/", "in_review",
        expect(everyone=403, reviewer=LISTED, other_reviewer=NOT_LISTED, customs=NOT_LISTED),
        lists="review",
    ),
    Endpoint(
        "task-detail", "get", TASK, "in_review",
        expect(everyone=404, reviewer=200),
    ),
    Endpoint(
        "task-assign", "post", TASK + "assign/", "in_review",
        expect(everyone=404, reviewer=200),
    ),
    Endpoint(
        "task-complete", "post", TASK + "complete/", "in_review",
        expect(everyone=404, reviewer=200), body=lambda w: {"decision": "approve"},
    ),
    # The permit: its applicant, the departments of its service, clerks, supervisors.
    Endpoint(
        "permit-pdf", "get", "/api/permits/{permit}/pdf/", "permit",
        expect(everyone=404, investor=200, **OFFICIALS_WHO_SEE_IT), returns="application/pdf",
    ),
    Endpoint(
        "report", "get", "/api/reports/approval-times/", "catalogue",
        expect(everyone=403, supervisor=200),
    ),
]  # fmt: skip

TABLE = [
    pytest.param(endpoint, role, expected, id=f"{endpoint.name}-{role}")
    for endpoint in ENDPOINTS
    for role, expected in endpoint.expect.items()
]


@pytest.mark.parametrize(("endpoint", "role", "expected"), TABLE)
def test_every_endpoint_for_every_role(
    world, django_capture_on_commit_callbacks, endpoint, role, expected
):
    scene = stage(world, django_capture_on_commit_callbacks, endpoint.stage)
    before = database_state()

    client = client_for(user_of(world, role))
    client.raise_request_exception = False  # a 500 fails as a status, like any wrong one
    response = endpoint.send(client, scene, world)

    if expected in (LISTED, NOT_LISTED):
        assert response.status_code == 200, (response.status_code, response.content[:2000])
        target = (
            str(scene.application.public_id) if endpoint.lists == "application" else scene.review.pk
        )
        listed = [row["id"] for row in response.json()["results"]]
        assert (target in listed) == (expected == LISTED), listed
    elif expected < 300:
        assert response.status_code == expected, (response.status_code, response.content[:2000])
        assert response["Content-Type"].startswith(endpoint.returns), response["Content-Type"]
        if endpoint.method != "get":
            assert database_state() != before, "the call answered 2xx but wrote nothing"
    else:
        error(response, expected, ERROR_CODES[expected])
        assert database_state() == before, "a refused call wrote something"


def test_the_table_covers_every_endpoint_of_the_api():
    from approvals.api.urls import urlpatterns

    tested = {endpoint.name for endpoint in ENDPOINTS}
    # The token endpoint has its own tests below; the docs page is HTML for people;
    # "not-found" is whatever else is asked for under /api/ (tested with the 404s).
    assert {p.name for p in urlpatterns} - tested == {"token", "docs", "not-found"}


def test_officials_are_told_why_they_cannot_apply(world):
    for official in (world.clerk, world.reviewers["market"], world.supervisor):
        response = client_for(official).post(
            "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="o-1"
        )
        assert "Officials cannot apply" in error(response, 403, "permission_denied")["message"]
    assert new_rows() == (0, 0, 0)


def test_filters_narrow_what_a_role_sees_and_never_widen_it(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    customs = client_for(world.reviewers["customs"])
    queue = customs.get("/api/tasks/queue/", {"department": "market", "service": "fie"})
    assert queue.status_code == 200 and queue.json()["results"] == []
    other = client_for(world.other_investor)
    mine = other.get("/api/applications/", {"uscc": world.enterprise.uscc, "service": "fie"})
    assert mine.status_code == 200 and mine.json()["results"] == []


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/applications/{uuid}/", "investor"),
        ("/api/window/{uuid}/", "clerk"),
        ("/api/tasks/999999/", "reviewer"),
        ("/api/permits/HNSW-2000-001-00000001/pdf/", "supervisor"),
        ("/api/applications/not-a-uuid/", "investor"),
        ("/api/tasks/not-a-number/", "reviewer"),
        ("/api/no-such-endpoint/", "anonymous"),
    ],
)
def test_objects_and_addresses_that_do_not_exist_are_404_in_the_error_shape(world, path, role):
    response = client_for(user_of(world, role)).get(path.format(uuid=uuid.uuid4()))
    error(response, 404, "not_found")


# --- the error shape ---------------------------------------------------------------------


def test_anonymous_and_bad_tokens_get_401_with_a_challenge(world):
    response = APIClient().get("/api/applications/")
    error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    error(bad.get("/api/applications/"), 401, "authentication_failed")


@pytest.mark.parametrize(
    ("mistake", "says"),
    [
        (lambda uscc: uscc[:10], "18 characters"),
        (lambda uscc: uscc[:-2] + "O" + uscc[-1], "cannot appear"),
        (lambda uscc: uscc[:-1] + ("1" if uscc[-1] != "1" else "2"), "check character"),
    ],
    ids=["too-short", "bad-character", "wrong-check-character"],
)
def test_a_mistyped_credit_code_is_an_error_of_the_uscc_field(world, mistake, says):
    response = client_for(world.investor).post(
        "/api/applications/",
        {"service": world.service.code, "uscc": mistake(world.enterprise.uscc)},
        format="json",
        HTTP_IDEMPOTENCY_KEY="typo-1",
    )
    assert says in messages_of(error(response, 400, "invalid"), "uscc")
    assert new_rows() == (0, 0, 0)


def test_a_mistyped_credit_code_in_the_prefill_url_is_a_400_saying_what_is_wrong(world):
    response = client_for(world.investor).get("/api/enterprises/91460100MA/prefill/")
    assert "18 characters" in error(response, 400, "invalid")["message"]


def test_a_missing_idempotency_key_says_which_header_to_send(world):
    response = client_for(world.investor).post(
        "/api/applications/", _create_body(world), format="json"
    )
    assert "Idempotency-Key" in messages_of(error(response, 400, "invalid"), "Idempotency-Key")
    assert new_rows() == (0, 0, 0)


@pytest.fixture
def draft_client(world):
    """The investor's token client and the URL of their fresh draft."""
    app = journey.draft(world)
    return client_for(world.investor), f"/api/applications/{app.public_id}/"


def _upload(client, url, material, upload):
    return client.post(f"{url}materials/{material}/upload/", {"file": upload}, format="multipart")


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (
            SimpleUploadedFile("scan.pdf", b"just some text\n" * 40, "application/pdf"),
            "Only PDF, JPEG or PNG",
        ),
        (
            SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 600, "application/pdf"),
            "Only PDF, JPEG or PNG",
        ),
        (SimpleUploadedFile("scan.pdf", b"", "application/pdf"), "empty"),
    ],
    ids=["text-named-pdf", "executable-named-pdf", "empty"],
)
def test_an_upload_is_judged_by_its_content(draft_client, upload, says):
    client, url = draft_client
    before = database_state()
    body = error(_upload(client, url, "form", upload), 400, "invalid")
    assert says in messages_of(body, "file")
    assert database_state() == before


def test_a_png_is_accepted_whatever_its_name_and_declared_type(draft_client):
    client, url = draft_client
    png = SimpleUploadedFile("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "text/plain")
    response = _upload(client, url, "form", png)
    assert response.status_code == 200, response.content
    assert response.json()["content_type"] == "image/png"


def test_a_file_over_the_limit_is_refused_saying_the_limit(draft_client, settings):
    settings.UPLOAD_MAX_BYTES = 4096
    client, url = draft_client
    before = database_state()
    body = error(_upload(client, url, "form", f.pdf_upload(size=4097)), 400, "invalid")
    assert "4.0" in messages_of(body, "file")  # "the limit is 4.0 KB"
    assert database_state() == before
    assert _upload(client, url, "form", f.pdf_upload(size=4096)).status_code == 200


def test_an_upload_without_a_file_or_for_no_such_material_names_the_field(draft_client):
    client, url = draft_client
    no_file = client.post(f"{url}materials/form/upload/", {}, format="multipart")
    messages_of(error(no_file, 400, "invalid"), "file")
    nowhere = _upload(client, url, "no-such-material", f.pdf_upload())
    messages_of(error(nowhere, 400, "invalid"), "material")


def test_an_upload_sent_as_json_is_415(draft_client):
    client, url = draft_client
    response = client.post(f"{url}materials/form/upload/", {"file": "x"}, format="json")
    error(response, 415, "unsupported_media_type")


def test_values_that_do_not_fit_name_their_field(draft_client):
    client, url = draft_client
    before = database_state()
    bad_amount = client.patch(
        url, {"values": {"enterprise.registered_capital": "lots"}}, format="json"
    )
    assert "10,000 CNY" in messages_of(
        error(bad_amount, 400, "invalid"), "enterprise.registered_capital"
    )
    no_such = client.patch(url, {"values": {"no.such.field": "x"}}, format="json")
    messages_of(error(no_such, 400, "invalid"), "no.such.field")
    not_a_dict = client.patch(url, {"values": ["a", "b"]}, format="json")
    messages_of(error(not_a_dict, 400, "invalid"), "values")
    assert database_state() == before


@pytest.mark.parametrize(
    ("method", "path", "role", "headers"),
    [
        ("post", "/api/applications/", "investor", {"HTTP_IDEMPOTENCY_KEY": "json-1"}),
        ("patch", "/api/applications/{app}/", "investor", {}),
        ("post", "/api/applications/{app}/materials/lease/commitment/", "investor", {}),
        ("post", WINDOW + "accept/", "clerk", {}),
        ("post", TASK + "complete/", "reviewer", {}),
        ("post", "/api/auth/token/", "anonymous", {}),
    ],
)
def test_a_malformed_json_body_is_a_400_not_a_500(
    world, django_capture_on_commit_callbacks, method, path, role, headers
):
    scene = stage(world, django_capture_on_commit_callbacks, "in_review")
    client = client_for(user_of(world, role))
    client.raise_request_exception = False
    before = database_state()
    response = getattr(client, method)(
        scene.url(path, world),
        data='{"decision": "approve", "values": {',
        content_type="application/json",
        **headers,
    )
    error(response, 400, "parse_error")
    assert database_state() == before


def test_a_json_body_that_is_not_an_object_is_a_400_not_a_500(world):
    client = client_for(world.investor)
    client.raise_request_exception = False
    response = client.post(
        "/api/applications/", ["fie"], format="json", HTTP_IDEMPOTENCY_KEY="list-1"
    )
    error(response, 400, "invalid")
    assert new_rows() == (0, 0, 0)


@pytest.fixture
def market_task(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    m.RejectionReason.objects.create(
        code="scope-unclear", text_zh="经营范围不明确", text_en="The scope is unclear.",
        department=m.Department.objects.get(code="market"),
    )  # fmt: skip
    m.RejectionReason.objects.create(
        code="customs-only", text_zh="海关原因", text_en="A customs reason.",
        department=m.Department.objects.get(code="customs"),
    )  # fmt: skip
    review = journey.review_of(app, "market")
    return client_for(world.reviewers["market"]), f"/api/tasks/{review.pk}/complete/", review


@pytest.mark.parametrize(
    ("decision", "field_name", "says"),
    [
        ({"decision": "reject", "reasons": ["no-such-reason"]}, "reasons", "no-such-reason"),
        ({"decision": "reject", "reasons": ["customs-only"]}, "reasons", "customs-only"),
        ({"decision": "reject"}, "reasons", "reasons for rejecting"),
        ({"decision": "maybe"}, "decision", "maybe"),
        ({"decision": "reject", "reasons": ["Not A Slug!"]}, "reasons.0", "slug"),
    ],
    ids=["unknown-reason", "another-departments-reason", "no-reason", "no-such-decision", "bad"],
)
def test_a_decision_with_unusable_reasons_names_the_field(market_task, decision, field_name, says):
    client, url, review = market_task
    before = database_state()
    body = error(client.post(url, decision, format="json"), 400, "invalid")
    assert says in messages_of(body, field_name)
    assert database_state() == before


def test_a_decision_with_a_reason_of_the_department_is_recorded(market_task):
    client, url, review = market_task
    response = client.post(
        url, {"decision": "reject", "reasons": ["scope-unclear"], "note": "See the scope."}
    )
    assert response.status_code == 200, response.content
    review.refresh_from_db()
    assert review.decision == m.ReviewDecision.REJECTED
    assert "The scope is unclear." in review.reasons and "See the scope." in review.reasons


def test_accepting_with_a_material_that_cannot_wait_names_that_material(world):
    app = journey.submitted(world)
    before = database_state()
    response = client_for(world.clerk).post(
        f"/api/window/{app.public_id}/accept/",
        {"deferrals": [{"material": "form"}]},
        format="json",
    )
    assert "later" in messages_of(error(response, 400, "invalid"), "material:form")
    assert database_state() == before


@pytest.mark.parametrize(
    ("path", "role", "field_name"),
    [
        ("/api/applications/?status=nonsense", "investor", "status"),
        ("/api/applications/?created_after=yesterday", "investor", "created_after"),
        ("/api/tasks/queue/?due_before=soon", "reviewer", "due_before"),
        ("/api/reports/approval-times/?decided_from=last-year", "supervisor", "decided_from"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_filter(world, path, role, field_name):
    response = client_for(user_of(world, role)).get(path)
    messages_of(error(response, 400, "invalid"), field_name)


def test_a_page_past_the_end_and_a_method_not_offered_are_in_the_error_shape(world):
    app = journey.draft(world)
    client = client_for(world.investor)
    error(client.get("/api/applications/?page=9"), 404, "not_found")
    error(client.delete(f"/api/applications/{app.public_id}/"), 405, "method_not_allowed")
    error(client.put(f"/api/applications/{app.public_id}/", {}), 405, "method_not_allowed")
    assert m.Application.objects.filter(pk=app.pk, status=m.ApplicationStatus.DRAFT).exists()


# --- idempotent creation -------------------------------------------------------------------


def test_the_same_key_and_body_give_back_the_same_draft(world):
    client = client_for(world.investor)
    first = client.post(
        "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    again = client.post(
        "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert m.Application.objects.count() == 1


def test_the_same_key_for_another_enterprise_is_refused_and_writes_nothing(world):
    client = client_for(world.investor)
    first = client.post(
        "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 201
    written = new_rows()
    other = f.EnterpriseFactory()
    response = client.post(
        "/api/applications/",
        {"service": world.service.code, "uscc": other.uscc},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    says = messages_of(error(response, 400, "invalid"), "idempotency_key")
    assert first.json()["reference"] in says and "new key" in says
    assert new_rows() == written
    assert list(m.Application.objects.values_list("uscc", flat=True)) == [world.enterprise.uscc]


def test_a_key_belongs_to_its_applicant(world):
    f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
    mine = client_for(world.investor).post(
        "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    theirs = client_for(world.other_investor).post(
        "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


REJECTED_CREATES = {
    "no-key": dict(headers={}),
    "blank-key": dict(headers={"HTTP_IDEMPOTENCY_KEY": "   "}),
    "key-too-long": dict(headers={"HTTP_IDEMPOTENCY_KEY": "k" * 81}),
    "bad-uscc": dict(body={"uscc": "91460100MA0000001"}),
    "no-such-service": dict(body={"service": "no-such-service"}),
    "no-uscc": dict(body={"uscc": None}),
    "malformed-json": dict(raw='{"service": '),
    "official": dict(role="clerk", status=403),
    "anonymous": dict(role="anonymous", status=401),
}


@pytest.mark.parametrize("case", REJECTED_CREATES.values(), ids=REJECTED_CREATES.keys())
def test_a_rejected_create_leaves_no_half_written_application(world, case):
    client = client_for(user_of(world, case.get("role", "investor")))
    client.raise_request_exception = False
    headers = case.get("headers", {"HTTP_IDEMPOTENCY_KEY": "reject-1"})
    if "raw" in case:
        response = client.post(
            "/api/applications/", case["raw"], content_type="application/json", **headers
        )
    else:
        body = {k: v for k, v in {**_create_body(world), **case.get("body", {})}.items() if v}
        response = client.post("/api/applications/", body, format="json", **headers)
    error(response, case.get("status", 400))
    assert new_rows() == (0, 0, 0)


# --- throttles -----------------------------------------------------------------------------


def test_anonymous_requests_past_the_rate_get_429_with_when_to_retry(world, settings):
    settings.API_THROTTLE_RATES = {"anon": "2/minute", "user": "1000/minute", "token": "5/minute"}
    client = APIClient()
    assert [client.get("/api/services/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/services/")
    body = error(response, 429, "throttled")
    assert 0 < body["retry_after"] <= 60
    assert int(response["Retry-After"]) == body["retry_after"]


def test_a_user_past_the_user_rate_gets_429(world, settings):
    settings.API_THROTTLE_RATES = {"anon": "1000/minute", "user": "3/minute", "token": "5/minute"}
    client = client_for(world.investor)
    assert [client.get("/api/applications/").status_code for _ in range(3)] == [200] * 3
    error(client.get("/api/applications/"), 429, "throttled")
    # Counted per user: someone else is not held back by the investor's calls.
    assert client_for(world.other_investor).get("/api/applications/").status_code == 200


def test_password_guessing_on_the_token_endpoint_is_throttled(world, settings):
    settings.API_THROTTLE_RATES = {
        "anon": "1000/minute",
        "user": "1000/minute",
        "token": "3/minute",
    }
    client = APIClient()
    for guess in ("guess-1", "guess-2", "guess-3"):
        response = client.post(
            "/api/auth/token/", {"username": "investor", "password": guess}, format="json"
        )
        assert "Unable to log in" in error(response, 400, "invalid")["message"]
    # Past the rate even the right password waits: the guesser learns nothing more.
    right = {"username": "investor", "password": "pw-for-tests-only"}
    response = client.post("/api/auth/token/", right, format="json")
    assert error(response, 429, "throttled")["retry_after"] > 0
    assert int(response["Retry-After"]) > 0
    assert not Token.objects.exists()


def test_the_right_password_gives_a_token_that_authenticates(world):
    app = journey.draft(world)
    response = APIClient().post(
        "/api/auth/token/",
        {"username": "investor", "password": "pw-for-tests-only"},
        format="json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert token == Token.objects.get(user=world.investor).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/applications/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(app.public_id)]
    missing = APIClient().post("/api/auth/token/", {"username": "investor"}, format="json")
    messages_of(error(missing, 400, "invalid"), "password")


# --- lock contention (PostgreSQL) -----------------------------------------------------------


def _holding_a_row_lock(model, pk):
    """A thread that holds SELECT ... FOR UPDATE on one row until released."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(timeout=10), "the lock holder did not get its lock"
    return thread, release


CONTENDED = {
    # name: (stage, role, path, body, the row someone else holds)
    "submit": ("complete", "investor", APP + "submit/", None, "application"),
    "withdraw-draft": ("draft", "investor", APP + "withdraw/", None, "application"),
    "withdraw-submitted": ("submitted", "investor", APP + "withdraw/", None, "application"),
    "resubmit": ("returned", "investor", APP + "resubmit/", {}, "application"),
    "accept": ("submitted", "clerk", WINDOW + "accept/", {}, "application"),
    "return": ("submitted", "clerk", WINDOW + "return/", {"items": ["Sign."]}, "application"),
    "task-assign": ("in_review", "reviewer", TASK + "assign/", None, "process"),
    "task-complete": (
        "in_review", "reviewer", TASK + "complete/", {"decision": "approve"}, "process",
    ),
}  # fmt: skip


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", CONTENDED.values(), ids=CONTENDED.keys())
def test_a_row_held_by_someone_else_is_a_409_to_retry_and_writes_nothing(
    world, django_capture_on_commit_callbacks, case
):
    stage_name, role, path, body, held = case
    scene = stage(world, django_capture_on_commit_callbacks, stage_name)
    client = client_for(user_of(world, role))
    client.raise_request_exception = False  # a 500 must show as a 500, not as a traceback
    url = scene.url(path, world)
    row = (m.Application, scene.application.pk)
    if held == "process":
        row = (Process, scene.application.process_id)
    before = database_state()

    holder, release = _holding_a_row_lock(*row)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        response = client.post(url, body, format="json")
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    body_ = error(response, 409, "busy")
    assert body_["retry_after"] > 0
    assert response["Retry-After"] == str(body_["retry_after"])
    assert "try again" in body_["message"]
    assert database_state() == before, "the call that timed out wrote something"
    # Once the lock is gone the retry the message asks for goes through.
    retry = client.post(url, body, format="json")
    assert retry.status_code == 200, (retry.status_code, retry.content[:2000])


# --- the browser's session ------------------------------------------------------------------

CSRF_SECRET = "a" * 32  # a well-formed CSRF secret: 32 characters from [a-zA-Z0-9]


def test_a_logged_in_browser_reads_its_applications_with_its_session(world):
    app = journey.draft(world)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.investor)
    response = client.get("/api/applications/")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [str(app.public_id)]
    assert client.get(f"/api/applications/{app.public_id}/").status_code == 200


def test_a_session_write_without_the_csrf_token_is_refused(world):
    # A draft for another enterprise: one for this one would be the open draft
    # that the create below answers with (200), not a new one.
    app = journey.draft(world, enterprise=f.EnterpriseFactory())
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.investor)
    before = database_state()

    create = client.post(
        "/api/applications/", _create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="csrf-1"
    )
    assert "CSRF" in error(create, 403, "permission_denied")["message"]
    patch = client.patch(
        f"/api/applications/{app.public_id}/",
        {"values": {"enterprise.name_zh": "改过的名字"}},
        format="json",
    )
    assert "CSRF" in error(patch, 403, "permission_denied")["message"]
    assert database_state() == before

    # The same calls with the token (cookie and header) go through: the refusal was the CSRF.
    client.cookies["csrftoken"] = CSRF_SECRET
    create = client.post(
        "/api/applications/",
        _create_body(world),
        format="json",
        HTTP_IDEMPOTENCY_KEY="csrf-1",
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
    )
    assert create.status_code == 201, create.content
