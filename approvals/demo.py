"""Demo applications, one in each state, written through the real services.

Used by ``seed_demo`` so that the portal, the queues and the reports have
something to show. Nothing here is reachable from a request.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import services
from approvals.models import Application, Enterprise, SatisfiedBy, Service

# A tiny but real PDF, so an uploaded demo material opens in a viewer.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _hand_in(app: Application, actor) -> None:
    """Satisfy what prefill could not, the way an investor would."""
    for row in app.materials.filter(satisfied_by=SatisfiedBy.MISSING).select_related("material"):
        material = row.material
        if material.allow_deferral:
            services.material_defer(actor=actor, application=app, material_code=material.code)
        elif material.allow_upload:
            services.material_upload(
                actor=actor,
                application=app,
                material_code=material.code,
                upload=SimpleUploadedFile(f"{material.code}.pdf", DEMO_PDF),
            )
        else:
            services.material_commit(
                actor=actor,
                application=app,
                material_code=material.code,
                text="本企业承诺所提交信息真实有效。We commit that the information is true.",
            )
    blanks = {v.field: "" for v in app.values.filter(value="")}
    fill = {}
    for key in blanks:
        if key.endswith(("registered_capital", "total_investment")):
            fill[key] = "1000"
        elif key.endswith("established_on"):
            fill[key] = "2024-01-01"
        elif not key.startswith(("social_security.", "project.", "tax.")):
            fill[key] = "（演示）Demo value"
    if fill:
        services.application_values_update(actor=actor, application=app, values=fill)


def demo_applications_create() -> list[str]:
    """Create the demo applications once; returns one line per application made."""
    if Application.objects.exists():
        return []
    users = get_user_model().objects.in_bulk(
        ["investor", "agent", "clerk", "supervisor"], field_name="username"
    )
    investor, agent, clerk = users["investor"], users["agent"], users["clerk"]
    establishment = Service.objects.get(code="fie-establishment")
    project = Service.objects.get(code="investment-project-filing")
    enterprises = list(Enterprise.objects.filter(tax_registration__isnull=False).order_by("pk")[:5])
    lines = []

    def new(service, enterprise, actor):
        return services.application_create(applicant=actor, service=service, uscc=enterprise.uscc)

    def reviewers_approve(app, except_codes=()):
        for review in app.reviews.select_related("department"):
            if review.department.code in except_codes:
                continue
            reviewer = get_user_model().objects.get(username=f"rev-{review.department.code}")
            services.review_complete(actor=reviewer, review=review, approve=True)

    draft = new(establishment, enterprises[0], investor)
    lines.append(f"{draft.reference}: draft, prefilled, waiting for the investor")

    waiting = new(establishment, enterprises[1], investor)
    _hand_in(waiting, investor)
    services.application_submit(actor=investor, application=waiting)
    lines.append(f"{waiting.reference}: submitted, in the window clerk's queue")

    returned = new(establishment, enterprises[2], investor)
    _hand_in(returned, investor)
    services.application_submit(actor=investor, application=returned)
    services.application_return(
        actor=clerk,
        application=returned,
        items=[
            "公司章程缺少股东签字页 / Articles of association: shareholders' signature page missing"
        ],
    )
    lines.append(f"{returned.reference}: returned for correction")

    in_review = new(establishment, enterprises[3], investor)
    _hand_in(in_review, investor)
    services.application_submit(actor=investor, application=in_review)
    services.application_accept(actor=clerk, application=in_review)
    reviewers_approve(in_review, except_codes=("market-regulation", "commerce"))
    lines.append(f"{in_review.reference}: in review, two departments still to decide")

    approved = new(establishment, enterprises[4], investor)
    _hand_in(approved, investor)
    services.application_submit(actor=investor, application=approved)
    services.application_accept(actor=clerk, application=approved)
    reviewers_approve(approved)
    approved.refresh_from_db()
    lines.append(f"{approved.reference}: approved, permit {approved.permit.number}")

    # The agent files the same enterprise's project: its new business licence is reused.
    filing = new(project, enterprises[4], agent)
    _hand_in(filing, agent)
    services.application_submit(actor=agent, application=filing)
    lines.append(f"{filing.reference}: project filing by an agent, reusing the new licence")
    return lines
