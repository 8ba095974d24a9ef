"""Demo applications, one in each state, written through the real services.

Used by ``seed_demo`` so that the portal, the queues and the reports have
something to show. Nothing here is reachable from a request.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals import clock, services
from approvals.identifiers import DocumentType
from approvals.models import (
    Agency,
    Application,
    Enterprise,
    Identity,
    IdentityStatus,
    Mandate,
    MandateOrigin,
    NameReservation,
    PropertyRecord,
    ReservationStatus,
    ReviewDecision,
    SatisfiedBy,
    Service,
)

# The demo investor's own name reservations (fixtures/shared_data.json): one
# establishment in each state is opened with each.
DEMO_RESERVATIONS = (
    "HNMC2026110001",
    "HNMC2026110002",
    "HNMC2026110003",
    "HNMC2026110004",
    "HNMC2026110005",
)

# The departments whose matters the demo's application in review leaves to decide.
IN_REVIEW_LEFT = ("commerce", "tax")

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
            "verified_at": clock.now(),
        },
    )
    return identity


def paper_mandates(
    *,
    registered_by,
    enterprises,
    services_,
    user=None,
    agency=None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> int:
    """Paper mandates, as a clerk registers them, from each enterprise to `user` or
    `agency` for `services_`, for the scripts that play many investors with one account
    (the demo's agent, the simulator). Enterprises that already mandated them for every
    one of those services are skipped. In force for a year either side of now unless
    given. Returns how many were made."""
    # Establishing is no service an existing enterprise mandates (approvals.mandates).
    services_ = [s for s in services_ if not s.establishes_enterprise]
    now = clock.now()
    # Already covered: a mandate in force over the whole asked period (by default,
    # now), so that seed_demo run again registers nothing twice.
    needed_from, needed_until = valid_from or now, valid_until or now
    covered = set(
        Mandate.objects.filter(
            grantee_user=user,
            grantee_agency=agency,
            revoked_at__isnull=True,
            valid_from__lte=needed_from,
            valid_until__gte=needed_until,
        ).values_list("enterprise_id", flat=True)
    )
    new = Mandate.objects.bulk_create(
        Mandate(
            enterprise=e,
            grantee_user=user,
            grantee_agency=agency,
            valid_from=valid_from or now - timedelta(days=365),
            valid_until=valid_until or now + timedelta(days=365),
            origin=MandateOrigin.PAPER,
            registered_by=registered_by,
        )
        for e in enterprises
        if e.pk not in covered
    )
    Through = Mandate.services.through
    Through.objects.bulk_create(
        Through(mandate_id=m.pk, service_id=s.pk) for m in new for s in services_
    )
    return len(new)


# Reservations a script declares start with this, and no real one does.
SCRIPT_RESERVATION_PREFIX = "SIM"


def script_reservation(
    user, *, like: Enterprise, domicile: PropertyRecord | None = None
) -> NameReservation:
    """A name reservation declared by a script's verified account (the simulator's
    investor), shaped like an existing enterprise, so it can establish one more."""
    identity = user.identity
    today = timezone.localdate()
    number = f"{SCRIPT_RESERVATION_PREFIX}{uuid.uuid4().hex[:14].upper()}"
    return NameReservation.objects.create(
        number=number,
        name_zh=f"海南模拟{number[-6:]}有限公司",
        name_en=f"Hainan Simulated {number[-6:]} Co., Ltd.",
        reserver_name=identity.name,
        reserver_document_type=identity.document_type,
        reserver_document_number=identity.document_number,
        investor_name="Simulated Investor Pte. Ltd.",
        investor_country=identity.nationality or "SGP",
        investor_registration_number="",
        enterprise_type=like.enterprise_type,
        registered_capital=like.registered_capital,
        business_scope=like.business_scope,
        domicile_certificate=domicile.certificate_number if domicile else "",
        reserved_on=today,
        valid_until=today + timedelta(days=180),
        status=ReservationStatus.RESERVED,
    )


def application_for_script(
    *, applicant, service: Service, enterprise: Enterprise, domicile: PropertyRecord | None = None
) -> Application:
    """A draft opened by a script's verified account (the simulator, the benchmarks):
    for an existing enterprise by its credit code, or, for a service that establishes
    one, on a name reservation the account declares, shaped like `enterprise`."""
    if service.establishes_enterprise:
        reservation = script_reservation(applicant, like=enterprise, domicile=domicile)
        return services.application_create(
            applicant=applicant, service=service, reservation_number=reservation.number
        )
    return services.application_create(applicant=applicant, service=service, uscc=enterprise.uscc)


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
        elif key.endswith("legal_representative_id") or key.startswith("legal_representative."):
            continue  # optional, and no one types a made-up identity document
        else:
            blanks[key] = typed
    if blanks:
        services.application_values_update(actor=actor, application=application, values=blanks)
        done["values"] = len(blanks)
    return done


def reviews_approve(application: Application, reviewer_of, *, leave=()) -> int:
    """Every department approves its matter, the scripted reviewers' way: the reviews open
    now, then those the approvals open (a matter that needs another is reviewed once that
    one is approved), until none is pending but those of the departments in ``leave``.

    ``reviewer_of(department_code)`` is the user who decides. Shared, like
    ``hand_in_missing``, by the demo, the tests and the benchmarks. Returns how many
    reviews were approved."""
    approved = 0
    while pending := list(
        application.reviews.filter(decision=ReviewDecision.PENDING)
        .exclude(department__code__in=leave)
        .select_related("department")
    ):
        for review in pending:
            services.review_complete(
                actor=reviewer_of(review.department.code), review=review, approve=True
            )
            approved += 1
    return approved


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
    lines = []

    def establish(number):
        # The demo investor declared these names (fixtures/shared_data.json).
        return services.application_create(
            applicant=investor, service=establishment, reservation_number=number
        )

    def reviewer_of(code):
        return get_user_model().objects.get(username=f"rev-{code}")

    draft = establish(DEMO_RESERVATIONS[0])
    lines.append(f"{draft.reference}: establishment draft, prefilled from the name reservation")

    waiting = establish(DEMO_RESERVATIONS[1])
    hand_in_missing(waiting, actor=investor)
    services.application_submit(actor=investor, application=waiting)
    lines.append(f"{waiting.reference}: submitted, in the window clerk's queue")

    returned = establish(DEMO_RESERVATIONS[2])
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

    in_review = establish(DEMO_RESERVATIONS[3])
    hand_in_missing(in_review, actor=investor)
    services.application_submit(actor=investor, application=in_review)
    services.application_accept(actor=clerk, application=in_review)
    # Registration first (the other matters need its credit code), then all but two.
    reviews_approve(in_review, reviewer_of, leave=IN_REVIEW_LEFT)
    lines.append(
        f"{in_review.reference}: in review, the business licence issued, "
        f"{' and '.join(IN_REVIEW_LEFT)} still to decide"
    )

    approved = establish(DEMO_RESERVATIONS[4])
    hand_in_missing(approved, actor=investor)
    services.application_submit(actor=investor, application=approved)
    services.application_accept(actor=clerk, application=approved)
    reviews_approve(approved, reviewer_of)
    approved.refresh_from_db()
    lines.append(
        f"{approved.reference}: approved, enterprise registered as {approved.uscc}, "
        f"{approved.permits.count()} outcomes, business licence {approved.permit.number}"
    )

    # The new enterprise's later services reuse what the registry now holds on it:
    # the agent files its project under a paper mandate the window registers (a
    # filing asks for no business licence: fixtures/README.md; the tax
    # registration reuses the licence: tests/test_establishment.py).
    founded = approved.enterprise
    paper_mandates(
        registered_by=clerk, enterprises=[founded], services_=[project], agency=script_agency(agent)
    )
    filing = services.application_create(applicant=agent, service=project, uscc=founded.uscc)
    hand_in_missing(filing, actor=agent)
    services.application_submit(actor=agent, application=filing)
    lines.append(f"{filing.reference}: project filing by an agent, reusing the registry record")
    return lines
