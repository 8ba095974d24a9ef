"""Demo applications, one in each state, written through the real services.

Used by ``seed_demo`` so that the portal, the queues and the reports have
something to show. Nothing here is reachable from a request.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals import services
from approvals.identifiers import DocumentType
from approvals.models import (
    Agency,
    Application,
    Enterprise,
    Identity,
    IdentityStatus,
    Mandate,
    MandateOrigin,
    SatisfiedBy,
    Service,
)

# A tiny but real PDF, so an uploaded demo material opens in a viewer.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def verified_for_script(
    user,
    *,
    name: str,
    document_number: str,
    document_type: str = DocumentType.PASSPORT,
    nationality: str = "SGP",
) -> Identity:
    """A verified identity for an account a script plays (the simulator's investor, the
    benchmarks'): no person stands behind it, so no register is asked. Never reached
    from a request; real accounts verify through approvals.realname."""
    identity, _created = Identity.objects.update_or_create(
        user=user,
        defaults={
            "name": name,
            "document_type": document_type,
            "document_number": document_number,
            "nationality": nationality,
            "status": IdentityStatus.VERIFIED,
            "source": "script",
            "verified_at": timezone.now(),
        },
    )
    return identity


def paper_mandates(
    *, registered_by, enterprises, services_, user=None, agency=None, days: int = 3650
) -> int:
    """Paper mandates, as a clerk registers them, from each enterprise to `user` or
    `agency` for `services_`, for the scripts that play many investors with one account
    (the demo's agent, the simulator). Enterprises that already mandated them for every
    one of those services are skipped. Returns how many were made."""
    services_ = list(services_)
    held = Mandate.objects.filter(
        grantee_user=user, grantee_agency=agency, revoked_at__isnull=True
    ).filter(valid_until__gt=timezone.now())
    covered = set(held.values_list("enterprise_id", flat=True))
    now = timezone.now()
    new = [
        Mandate(
            enterprise=e,
            grantee_user=user,
            grantee_agency=agency,
            valid_from=now - timedelta(days=days),
            valid_until=now + timedelta(days=days),
            origin=MandateOrigin.PAPER,
            registered_by=registered_by,
        )
        for e in enterprises
        if e.pk not in covered
    ]
    Mandate.objects.bulk_create(new)
    made = list(
        Mandate.objects.filter(
            grantee_user=user, grantee_agency=agency, enterprise__in=[m.enterprise for m in new]
        )
    )
    Through = Mandate.services.through
    Through.objects.bulk_create(
        Through(mandate_id=m.pk, service_id=s.pk) for m in made for s in services_
    )
    return len(new)


def script_agency(user) -> Agency:
    """The agency a script's account files through (made once, the account its member)."""
    agency, _created = Agency.objects.get_or_create(
        uscc="91460100MA5TAGNT0A",
        defaults={
            "name_zh": "海南自贸港代办服务有限公司",
            "name_en": "Hainan FTP Filing Agency Co., Ltd.",
        },
    )
    agency.members.add(user)
    return agency


def hand_in_missing(
    application: Application,
    *,
    actor,
    commitment: str = "本企业承诺所提交信息真实有效。We commit that the information is true.",
    typed: str = "（演示）Demo value",
) -> dict[str, int]:
    """What an investor does after prefill, scripted: every material prefill did not
    reuse is deferred, committed to or uploaded, in that order of preference (the
    reform's shortcuts first), and every value no source gave is typed in.

    The one scripted investor shared by the demo data, the tests, the simulator
    and the benchmark, so they all exercise the same services the same way.
    Returns how many of each were done.
    """
    done = {"deferrals": 0, "commitments": 0, "uploads": 0, "values": 0}
    missing = application.materials.filter(satisfied_by=SatisfiedBy.MISSING).select_related(
        "material"
    )
    for row in missing:
        material = row.material
        if material.allow_deferral:
            services.material_defer(
                actor=actor, application=application, material_code=material.code
            )
            done["deferrals"] += 1
        elif material.allow_commitment:
            services.material_commit(
                actor=actor, application=application, material_code=material.code, text=commitment
            )
            done["commitments"] += 1
        else:
            services.material_upload(
                actor=actor,
                application=application,
                material_code=material.code,
                upload=SimpleUploadedFile(f"{material.code}.pdf", DEMO_PDF),
            )
            done["uploads"] += 1
    blanks = {}
    for key in application.values.filter(value="").values_list("field", flat=True):
        if key.endswith(("registered_capital", "total_investment")):
            blanks[key] = "1000"
        elif key.endswith("established_on"):
            blanks[key] = "2020-01-01"
        elif key.endswith("insured_employees"):
            blanks[key] = "10"  # a count: typed text is refused
        elif key.endswith("legal_representative_id"):
            continue  # optional, and no one types a made-up identity number
        else:
            blanks[key] = typed
    if blanks:
        services.application_values_update(actor=actor, application=application, values=blanks)
        done["values"] = len(blanks)
    return done


def demo_applications_create() -> list[str]:
    """Create the demo applications once; returns one line per application made.

    The demo's history (``is_demo_history``, see ``simulation.demo_history_create``)
    and simulator runs do not count as demo applications: a database holding
    only those still gets them.
    """
    if Application.objects.filter(is_demo_history=False, is_simulated=False).exists():
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
    hand_in_missing(waiting, actor=investor)
    services.application_submit(actor=investor, application=waiting)
    lines.append(f"{waiting.reference}: submitted, in the window clerk's queue")

    returned = new(establishment, enterprises[2], investor)
    hand_in_missing(returned, actor=investor)
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
    hand_in_missing(in_review, actor=investor)
    services.application_submit(actor=investor, application=in_review)
    services.application_accept(actor=clerk, application=in_review)
    reviewers_approve(in_review, except_codes=("market-regulation", "commerce"))
    lines.append(f"{in_review.reference}: in review, two departments still to decide")

    approved = new(establishment, enterprises[4], investor)
    hand_in_missing(approved, actor=investor)
    services.application_submit(actor=investor, application=approved)
    services.application_accept(actor=clerk, application=approved)
    reviewers_approve(approved)
    approved.refresh_from_db()
    lines.append(f"{approved.reference}: approved, permit {approved.permit.number}")

    # The agent files the same enterprise's project: what the registry holds on it is
    # reused (a filing asks for no business licence: fixtures/README.md).
    filing = new(project, enterprises[4], agent)
    hand_in_missing(filing, actor=agent)
    services.application_submit(actor=agent, application=filing)
    lines.append(f"{filing.reference}: project filing by an agent, reusing the registry record")
    return lines
