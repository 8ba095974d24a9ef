"""Opening a draft (by a legal representative, a mandate's holder or a
founder) and prefilling it from the shared data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from approvals import (
    audit,
    clock,
    establishment,
    guide,
    prefill,
    representation,
    roles,
)
from approvals.identifiers import (
    normalize_uscc,
    validate_uscc,
)
from approvals.models import (
    ActingAs,
    Application,
    ApplicationMaterial,
    ApplicationMatter,
    ApplicationStatus,
    AuditAction,
    Enterprise,
    FiledAs,
    PrefilledValue,
    SatisfiedBy,
    Service,
    ValueState,
)

# --- drafts and prefill ---------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """What asking for a draft gave: a new one, or the one already opened."""

    application: Application
    created: bool
    # Not created because the applicant already has a draft of this service
    # for this enterprise (a replayed idempotency key is not counted here).
    open_draft: bool = False


def application_create(
    *,
    applicant,
    service: Service,
    uscc: str = "",
    idempotency_key: str = "",
    reservation_number: str = "",
    **guided,
) -> Application:
    """Open a draft for an enterprise and prefill it from every shared-data source.

    `guided` passes the guide's `answers`, a direct pick of `matters`, or
    `replaces` on to :func:`application_open`.

    Repeating the call with the same idempotency key returns the first draft.
    Scripts that play many investors with one account (the simulator, the
    tests) call this; the portal and the API call :func:`application_open`,
    which also sends an investor to the draft they already have open.
    """
    return application_open(
        applicant=applicant,
        service=service,
        uscc=uscc,
        idempotency_key=idempotency_key,
        reuse_open_draft=False,
        reservation_number=reservation_number,
        **guided,
    ).application


def _replayed(
    applicant, idempotency_key: str, service: Service, uscc: str, reservation=None
) -> Application | None:
    """The draft this key opened before, if any; refused if it was opened for something else."""
    existing = Application.objects.filter(
        applicant=applicant, idempotency_key=idempotency_key
    ).first()
    asked = (service.pk, uscc, reservation.pk if reservation else None)
    if (
        existing is not None
        and (
            existing.service_id,
            "" if existing.name_reservation_id else existing.uscc,
            existing.name_reservation_id,
        )
        != asked
    ):
        raise ValidationError(
            {
                "idempotency_key": _(
                    "This key already opened %(ref)s, for another service or "
                    "enterprise. Use a new key for a new application."
                )
                % {"ref": existing.reference}
            }
        )
    return existing


def application_open(
    *,
    applicant,
    service: Service,
    uscc: str,
    idempotency_key: str = "",
    reuse_open_draft: bool = True,
    reservation_number: str = "",
    answers: dict | None = None,
    matters: list[str] | None = None,
    replaces: Application | None = None,
) -> Opened:
    """Open a draft, or give back the one the applicant already has.

    `answers` answer the guide's questions and decide the thing's matters and
    materials (``approvals.guide``); `matters` (codes) picks matters directly
    instead, so one matter may be applied for alone. `replaces` is the
    application whose refused matters this one applies for again.

    The code is normalised first (full-width, spaces, dashes, lower case), so
    every way of typing one enterprise's code names the same enterprise. The
    same idempotency key gives back the draft it opened, whichever of two
    racing requests won; a key that opened a draft for another service or
    enterprise is refused, on either path. With `reuse_open_draft`, an open
    draft of the same service for the same enterprise is given back instead
    of a second one.

    A service that establishes an enterprise is opened with a name
    reservation number instead (``approvals.establishment``): only the
    verified person who declared the name may, and the code stays empty
    until registration assigns one.
    """
    if not (applicant and applicant.is_authenticated):
        raise PermissionDenied(_("Log in to apply."))
    if roles.is_official(applicant):
        raise PermissionDenied(
            _("Officials cannot apply: use an investor's or an agent's account to apply.")
        )
    reservation = None
    if service.establishes_enterprise:
        # The enterprise does not exist: nobody acts for it. Its founder is the
        # verified person who declared its name (approvals.establishment).
        reservation = establishment.reservation_for_opening(
            applicant=applicant, number=reservation_number
        )
        uscc = ""
        basis = representation.Basis(ActingAs.FOUNDER)
    elif reservation_number:
        raise ValidationError(
            {
                "reservation_number": _(
                    "This service is for an enterprise that exists: give its unified social "
                    "credit code, not a name reservation."
                )
            }
        )
    else:
        uscc = normalize_uscc(uscc)
        try:
            validate_uscc(uscc)
        except ValidationError as exc:
            raise ValidationError({"uscc": exc.messages}) from exc
        # Before anything is read or written: a stranger learns nothing, not even
        # whether the code is registered (the message is the same either way).
        basis = representation.require_basis(applicant, service, uscc)
    if not service.is_active:
        raise ValidationError({"service": _("This service is not open for applications.")})
    thing = guide.service_for_guide(service)
    answers = guide.clean_answers(guide.determinants_of(thing), answers or {})
    decision = guide.decide(thing, answers, matters)
    if not decision.matters:
        raise ValidationError({"matters": _("Choose at least one matter to apply for.")})
    # Who files follows from the ground checked above, not from a box ticked: an
    # agent acts under a mandate, the investor as legal representative or founder.
    filed_as = FiledAs.AGENT if basis.mandate is not None else FiledAs.INVESTOR
    idempotency_key = (idempotency_key or "").strip()[:80]
    if idempotency_key:
        existing = _replayed(applicant, idempotency_key, service, uscc, reservation)
        if existing is not None:
            return Opened(existing, created=False)
    if reuse_open_draft:
        same = {"name_reservation": reservation} if reservation else {"uscc": uscc}
        draft = (
            Application.objects.filter(
                applicant=applicant, service=service, status=ApplicationStatus.DRAFT, **same
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if draft is not None:
            return Opened(draft, created=False, open_draft=True)
        _require_within_draft_limit(applicant)
    if reservation is not None:
        under_way = establishment.open_elsewhere(reservation)
        if under_way is not None:
            raise ValidationError(
                {
                    "reservation_number": _(
                        "Application %(ref)s for this name reservation is already under way: "
                        "follow it there rather than applying twice."
                    )
                    % {"ref": under_way.reference}
                }
            )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                service=service,
                uscc=uscc,
                enterprise=Enterprise.objects.filter(uscc=uscc).first() if uscc else None,
                name_reservation=reservation,
                applicant=applicant,
                filed_as=filed_as,
                acting_as=basis.acting_as,
                mandate=basis.mandate,
                idempotency_key=idempotency_key,
                answers=answers,
                replaces=replaces,
            )
            ApplicationMatter.objects.bulk_create(
                ApplicationMatter(application=application, matter=d.matter, order=d.order)
                for d in decision.matters
            )
            ApplicationMaterial.objects.bulk_create(
                ApplicationMaterial(application=application, material=d.material)
                for d in decision.materials
            )
            outcomes = application_prefill(application=application)
            audit.record(
                actor=applicant,
                application=application,
                action=AuditAction.CREATED,
                service=service.code,
                uscc=uscc,
                **({"name_reservation": reservation.number} if reservation else {}),
                filed_as=filed_as,
                sources_failed=[o.source.name for o in outcomes if o.error],
            )
            if basis.mandate is not None:
                audit.record(
                    actor=applicant,
                    application=application,
                    action=AuditAction.MANDATE_USED,
                    mandate=str(basis.mandate.public_id),
                )
    except IntegrityError:
        # Two requests with the same key raced and the other one won: its
        # draft is the answer, if it was opened for what this one asks.
        existing = (
            _replayed(applicant, idempotency_key, service, uscc, reservation)
            if idempotency_key
            else None
        )
        if existing is None:
            raise
        return Opened(existing, created=False)
    return Opened(application, created=True)


def _require_within_draft_limit(applicant) -> None:
    """At most settings.DRAFTS_PER_HOUR new drafts an account an hour, counted in the
    database (so every worker counts the same); scripts that play many investors
    (application_create) are not limited."""
    limit = settings.DRAFTS_PER_HOUR
    if not limit:
        return
    since = clock.now() - timedelta(hours=1)
    opened = Application.objects.filter(applicant=applicant, created_at__gte=since).count()
    if opened >= limit:
        raise ValidationError(
            ngettext(
                "You opened %(count)d draft in the last hour, the most an account may. "
                "Carry on with the drafts you have, or try again later.",
                "You opened %(count)d drafts in the last hour, the most an account may. "
                "Carry on with the drafts you have, or try again later.",
                opened,
            )
            % {"count": opened},
            code="draft_limit",
        )


def application_prefill(*, application: Application) -> list[prefill.SourceOutcome]:
    """Fill a draft from every source, keeping each value's provenance.

    Values the applicant already confirmed or typed are kept; a source that
    failed before is asked again, so this also serves as "retry".
    """
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ValidationError(_("Only a draft or a returned application can be prefilled."))
    outcomes = prefill.read_all(
        establishment.subject_of(application), application.service.prefill_sources
    )
    existing = {v.field: v for v in application.values.all()}
    documents: dict[str, str] = {}
    to_create, to_update = [], []
    claimed: set[str] = set()  # a field two of the service's sources fill: the first one's
    for outcome in outcomes:
        fetched = outcome.fetched
        if fetched is not None and fetched.found:
            documents.update(fetched.documents)
        for spec in outcome.source.fields:
            if spec.key in claimed:
                continue
            claimed.add(spec.key)
            if outcome.error:
                state, source_value, record_ref = ValueState.UNAVAILABLE, "", ""
            elif fetched.found:
                state = ValueState.PREFILLED
                source_value, record_ref = fetched.values.get(spec.key, ""), fetched.record_ref
            else:
                state, source_value, record_ref = ValueState.NOT_FOUND, "", ""
            current = existing.get(spec.key)
            if current is None:
                to_create.append(
                    PrefilledValue(
                        application=application,
                        field=spec.key,
                        source=outcome.source.name,
                        record_ref=record_ref,
                        read_at=outcome.read_at,
                        state=state,
                        source_error=outcome.error,
                        source_value=source_value,
                        value=source_value,
                    )
                )
            elif current.confirmed_at is None or current.state == ValueState.UNAVAILABLE:
                if state == ValueState.UNAVAILABLE and current.state == ValueState.PREFILLED:
                    continue  # keep what an earlier read gave rather than blank it
                current.state, current.record_ref = state, record_ref
                current.read_at, current.source_error = outcome.read_at, outcome.error
                current.source_value = source_value
                if current.confirmed_at is None or not current.value:
                    current.value = source_value
                to_update.append(current)
    PrefilledValue.objects.bulk_create(to_create)
    if to_update:
        PrefilledValue.objects.bulk_update(
            to_update,
            ["state", "record_ref", "read_at", "source_error", "source_value", "value"],
        )
    reusable = [
        am
        for am in application.materials.select_related("material")
        if am.material.reuse_key in documents
        and am.satisfied_by in (SatisfiedBy.MISSING, SatisfiedBy.REUSE)
    ]
    for am in reusable:
        am.satisfied_by = SatisfiedBy.REUSE
        am.reuse_reference = documents[am.material.reuse_key]
    ApplicationMaterial.objects.bulk_update(reusable, ["satisfied_by", "reuse_reference"])
    return outcomes


# In 10,000 CNY: a trillion yuan is beyond any registered capital or project.
