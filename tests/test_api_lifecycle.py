"""One application from draft to permit, through the API alone, as machines would drive it:
an agent's system with a token, the window clerk's and the departments' systems with theirs."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import permits
from tests import factories as f


@pytest.fixture(autouse=True)
def permit_settings(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.PERMIT_RENDER_MODE = "inline"
    settings.PERMIT_PUBLIC_BASE_URL = "https://window.example.test"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json() if response["Content-Type"].startswith("application/json") else response


@pytest.mark.django_db
def test_an_application_from_draft_to_a_verified_permit_through_the_api_alone(
    world, django_capture_on_commit_callbacks
):
    investor = client_for(world.investor)
    anonymous = APIClient()

    # The public catalogue says what the service needs.
    service = ok(anonymous.get(f"/api/services/{world.service.code}/"))
    assert {d["code"] for d in service["departments"]} == {"market", "commerce", "tax"}

    # A draft: prefilled, with provenance; the same key again gives the same draft.
    body = {"service": world.service.code, "uscc": world.enterprise.uscc}
    draft = ok(investor.post("/api/applications/", body, HTTP_IDEMPOTENCY_KEY="k-1"), 201)
    again = ok(investor.post("/api/applications/", body, HTTP_IDEMPOTENCY_KEY="k-1"), 200)
    assert again["id"] == draft["id"]
    url = f"/api/applications/{draft['id']}/"
    name = next(v for v in draft["values"] if v["field"] == "enterprise.name_zh")
    assert (name["value"], name["state"]) == (world.enterprise.name_zh, "prefilled")
    assert name["source"] and name["read_at"]
    materials = {m["code"]: m for m in draft["materials"]}
    assert materials["registry"]["satisfied_by"] == "reuse"

    # Now that it files for this enterprise, the investor may preview its shared data.
    preview = ok(investor.get(f"/api/enterprises/{world.enterprise.uscc}/prefill/"))
    assert any(src["found"] for src in preview["sources"])

    # Submitting with materials missing lists every one of them.
    missing = investor.post(f"{url}submit/")
    assert missing.status_code == 400
    assert {"material:form", "material:lease", "material:seal"} <= set(missing.json()["fields"])

    # Hand in the rest: a typed value for every field no source had, an upload, a commitment,
    # a deferral.
    typed = {
        key: "1200" if key.endswith("investment") else "由申请人填写"
        for key in missing.json()["fields"]
        if not key.startswith("material:")
    }
    typed["enterprise.name_zh"] = world.enterprise.name_zh  # confirmed as held
    confirmed = ok(investor.patch(url, {"values": typed}, format="json"))
    name = next(v for v in confirmed["values"] if v["field"] == "enterprise.name_zh")
    assert name["confirmed_at"] and not name["corrected"]
    ok(
        investor.post(
            f"{url}materials/form/upload/", {"file": f.pdf_upload("form.pdf")}, format="multipart"
        )
    )
    ok(
        investor.post(
            f"{url}materials/lease/commitment/",
            {"text": "本企业承诺所填住所真实有效 / The address is real."},
            format="json",
        )
    )
    ok(investor.post(f"{url}materials/seal/deferral/"))
    ok(investor.post(f"{url}materials/prior-licence/upload/", {"file": f.pdf_upload()}))
    submitted = ok(investor.post(f"{url}submit/"))
    assert submitted["status"] == "submitted"
    assert submitted["clock"]["holder_now"] == "government"

    # The clerk's system accepts it from the window queue.
    clerk = client_for(world.clerk)
    queue = ok(clerk.get("/api/window/"))
    assert [row["id"] for row in queue["results"]] == [draft["id"]]
    accepted = ok(clerk.post(f"/api/window/{draft['id']}/accept/", {}, format="json"))
    assert accepted["status"] == "in_review"

    # Every department takes its task and approves.
    with django_capture_on_commit_callbacks(execute=True):
        for code, reviewer in world.reviewers.items():
            if code == "customs":
                continue
            departments = client_for(reviewer)
            tasks = ok(departments.get("/api/tasks/queue/"))["results"]
            assert [t["application"] for t in tasks] == [draft["id"]]
            task_id = tasks[0]["id"]
            taken = ok(departments.post(f"/api/tasks/{task_id}/assign/"))
            assert taken["assigned_to"] == reviewer.username
            ok(
                departments.post(
                    f"/api/tasks/{task_id}/complete/", {"decision": "approve"}, format="json"
                )
            )

    # The investor sees the decision, downloads the permit and verifies it.
    decided = ok(investor.get(url))
    assert decided["status"] == "approved"
    permit = decided["permit"]
    pdf = ok(investor.get(permit["download_url"]))
    assert pdf["Content-Type"] == "application/pdf"
    data = b"".join(pdf.streaming_content)
    document = pdfium.PdfDocument(data)
    try:
        assert permit["number"] in document[0].get_textpage().get_text_range()
    finally:
        document.close()
    token = permit["verification_url"].rstrip("/").rsplit("/", 1)[-1]
    verdict = ok(anonymous.get(f"/api/verify/{token}/"))
    assert (verdict["status"], verdict["number"]) == ("valid", permit["number"])
