"""Applications and everything an investor or an official writes on one.

The business status lives here, not on viewflow's Process (whose status is
only NEW, DONE or CANCELED); services keep the two consistent.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from approvals import clock
from approvals.identifiers import validate_uscc

from .catalog import Department, Material, Service
from .matters import Matter
from .shared_data import Enterprise, NameReservation


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned for correction")
    ACCEPTED = "accepted", _("accepted")
    IN_REVIEW = "in_review", _("in review")
    APPROVED = "approved", _("approved")
    # Some matters approved, at least one refused or left undecided because it
    # needed a refused one: each approved matter's outcome stands.
    PARTLY_APPROVED = "partly_approved", _("partly approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.RETURNED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.IN_REVIEW,
)

# A deferred material is handed in after acceptance, until it is received:
# while the departments review and after the approval too (the permit does not
# wait for it). A rejected or withdrawn case needs nothing more.
DEFERRED_DELIVERY_STATUSES = (
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.APPROVED,
    ApplicationStatus.PARTLY_APPROVED,
)
# Decided with at least one outcome issued.
GRANTED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.PARTLY_APPROVED)
# Decided with at least one matter refused: the investor is owed a refusal notice and remedies.
REFUSED_STATUSES = (ApplicationStatus.REJECTED, ApplicationStatus.PARTLY_APPROVED)
DECIDED_STATUSES = (*GRANTED_STATUSES, ApplicationStatus.REJECTED)
FINAL_STATUSES = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.PARTLY_APPROVED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.WITHDRAWN,
)


class FiledAs(models.TextChoices):
    INVESTOR = "investor", _("the investor")
    AGENT = "agent", _("an agent on the investor's behalf")


class ActingAs(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("the enterprise's legal representative")
    MANDATE = "mandate", _("under the enterprise's mandate")
    FOUNDER = "founder", _("the investor establishing the enterprise")


class Application(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="applications", verbose_name=_("service")
    )
    # Empty for an establishment until market regulation assigns the new
    # enterprise its code at registration (approvals.establishment).
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
        db_index=True,
    )
    name_reservation = models.ForeignKey(
        NameReservation,
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        verbose_name=_("name reservation"),
        help_text=_(
            "An establishment is opened with the reservation of the new enterprise's name."
        ),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        help_text=_("The registry record, when the provincial data center holds one."),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    filed_as = models.CharField(
        _("filed by"), max_length=10, choices=FiledAs, default=FiledAs.INVESTOR
    )
    # On what ground the applicant acts for the enterprise, as checked when the
    # draft was opened (approvals.representation); every later write checks again.
    acting_as = models.CharField(
        _("acting as"), max_length=30, choices=ActingAs, blank=True, default="", db_default=""
    )
    mandate = models.ForeignKey(
        "approvals.Mandate",
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        verbose_name=_("mandate"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    process = models.OneToOneField(
        "viewflow.Process",
        on_delete=models.PROTECT,
        related_name="application",
        null=True,
        blank=True,
    )
    # The guide's answers as given ({determinant code: answer}); with the
    # thing they decide the matters and materials (approvals.guide).
    answers = models.JSONField(_("answers to the guide"), default=dict, blank=True)
    # A new application for matters refused (or left undecided) in this one.
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="reapplications",
        null=True,
        blank=True,
        verbose_name=_("applies again for matters of"),
    )
    # Lets a client retry "create" (double click, flaky network, API retry)
    # without creating a second application.
    idempotency_key = models.CharField(max_length=80, blank=True, default="")
    is_simulated = models.BooleanField(
        default=False, help_text=_("Written by the simulator; kept out of real reports.")
    )
    # The demo's past (``seed_demo``): written by the simulator's engine on a
    # simulated clock but, unlike is_simulated, counted like real work, so the
    # demo's reports, guide and overdue page show figures. Only seed_demo sets it.
    # db_default too: rows written in SQL (bench/bench_reports.py) need no change.
    is_demo_history = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("Demo history made by seed_demo; a real deployment never has any."),
    )
    created_at = models.DateTimeField(_("created"), default=clock.now, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True)
    # The language the applicant used when submitting: mail to them is written
    # in it first, with the other language below.
    language = models.CharField(_("language"), max_length=10, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        permissions = [
            ("accept_application", _("Can accept applications at the window")),
            ("supervise", _("Can see every application, escalations and reports")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="application_idempotency_key_once",
            ),
            # A draft withdrawn before submission has no submission time either.
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "withdrawn"])
                | models.Q(submitted_at__isnull=False),
                name="application_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["service", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def permit(self):
        """The outcome of the first matter in the thing's order (the only one of a thing of one
        matter), or None.

        The matters are written in the thing's order, so their ids keep it. Reads
        ``permits`` prefetched when it is, so a list pays no query per row."""
        outcomes = sorted(self.permits.all(), key=lambda p: (p.matter_id or 0, p.pk))
        return outcomes[0] if outcomes else None

    @property
    def reference(self) -> str:
        """The number shown to people: HW, year of creation, sequence."""
        year = self.created_at.year if self.created_at else 0
        return f"HW{year}{self.pk or 0:07d}"


class ValueState(models.TextChoices):
    PREFILLED = "prefilled", _("read from shared data")
    NOT_FOUND = "not_found", _("no record held: fill in by hand")
    UNAVAILABLE = "unavailable", _("source unavailable: fill in by hand")


class PrefilledValue(models.Model):
    """One field of an application, with where its value came from."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="values")
    field = models.CharField(_("field"), max_length=80)
    source = models.CharField(_("source"), max_length=80)
    record_ref = models.CharField(_("source record"), max_length=120, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ValueState)
    source_error = models.CharField(_("source error"), max_length=300, blank=True)
    source_value = models.TextField(_("value as held"), blank=True)
    value = models.TextField(_("value"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "field"], name="value_field_once")
        ]

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}"

    @property
    def corrected(self) -> bool:
        """The applicant changed a value the government held: reviewers must see it."""
        if hasattr(self, "_corrected"):  # set by approvals.privacy before masking
            return self._corrected
        return self.state == ValueState.PREFILLED and self.value != self.source_value


class SatisfiedBy(models.TextChoices):
    MISSING = "missing", _("not yet provided")
    REUSE = "reuse", _("reused from shared data")
    UPLOAD = "upload", _("uploaded")
    COMMITMENT = "commitment", _("signed commitment")
    DEFERRAL = "deferral", _("to be handed in after acceptance")


# The extension a stored upload gets, by the type its first bytes showed
# (approvals.uploads.sniff_content_type), never by the name the client sent: a PNG
# named "scan.pdf.html" is stored as ".png".
UPLOAD_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def material_upload_to(instance: "ApplicationMaterial", filename: str) -> str:
    # The stored name is ours (a random one); `filename` is ApplicationMaterial.upload_name's,
    # and an extension that is not one of ours is stored as .bin.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in UPLOAD_EXTENSIONS.values():
        suffix = "bin"
    return f"applications/{instance.application.public_id}/{uuid.uuid4().hex}.{suffix}"


class ApplicationMaterial(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    satisfied_by = models.CharField(
        _("satisfied by"), max_length=20, choices=SatisfiedBy, default=SatisfiedBy.MISSING
    )
    reuse_reference = models.CharField(_("reused record"), max_length=120, blank=True)
    file = models.FileField(_("file"), upload_to=material_upload_to, blank=True)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=80, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    commitment_text = models.TextField(_("commitment"), blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True)
    due_estimated = models.BooleanField(
        _("due date estimated"),
        default=False,
        db_default=False,
        help_text=_("Counted over days the official calendar does not cover yet."),
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application", "material__order", "material__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material"], name="application_material_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(satisfied_by="upload") | ~models.Q(file=""),
                name="uploaded_material_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.material.code}: {self.satisfied_by}"

    @staticmethod
    def upload_name(content_type: str) -> str:
        """The name to save an upload under: the extension of its sniffed type."""
        return f"upload.{UPLOAD_EXTENSIONS.get(content_type, 'bin')}"


class CorrectionRequest(models.Model):
    """The one notice that lists everything missing when a case is returned."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="corrections"
    )
    items = models.JSONField(_("what is missing or wrong"), default=list)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["application", "requested_at"]

    def __str__(self) -> str:
        return f"{self.application} correction {self.requested_at:%Y-%m-%d}"


class MatterState(models.TextChoices):
    PENDING = "pending", _("not started")
    WAITING = "waiting", _("waiting for the matters it needs")
    IN_REVIEW = "in_review", _("in review")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    NOT_DECIDED = "not_decided", _("not decided")
    WITHDRAWN = "withdrawn", _("withdrawn")


SETTLED_MATTER_STATES = (MatterState.APPROVED, MatterState.REFUSED, MatterState.NOT_DECIDED)


class ApplicationMatter(models.Model):
    """One matter of an application: its state, its own clock and (through Permit) its outcome."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="matters")
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="applications", verbose_name=_("matter")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=MatterState, default=MatterState.PENDING
    )
    # Why the matter ended as it did when no review says it: the refused
    # matter it needed, in both languages.
    reason = models.TextField(_("reason"), blank=True)
    started_at = models.DateTimeField(_("review started"), null=True, blank=True)
    decided_at = models.DateTimeField(_("settled"), null=True, blank=True)
    working_days = models.FloatField(_("working days in review"), null=True, blank=True)

    class Meta:
        ordering = ["application", "order", "matter__code"]
        verbose_name = _("matter of an application")
        verbose_name_plural = _("matters of an application")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "matter"], name="application_matter_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="not_decided") | ~models.Q(reason=""),
                name="matter_not_decided_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["matter", "state"])]

    def __str__(self) -> str:
        return f"{self.application} / {self.matter.code}: {self.state}"

    @property
    def settled(self) -> bool:
        return self.state in SETTLED_MATTER_STATES


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class DepartmentReview(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="reviews")
    # The matter reviewed: a department with two matters in one application
    # (business licence and food business licence) reviews each on its own.
    matter = models.OneToOneField(
        ApplicationMatter,
        on_delete=models.CASCADE,
        related_name="review",
        null=True,
        blank=True,
        verbose_name=_("matter"),
    )
    task = models.OneToOneField(
        "viewflow.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="review"
    )
    decision = models.CharField(
        _("decision"), max_length=20, choices=ReviewDecision, default=ReviewDecision.PENDING
    )
    reasons = models.TextField(_("reasons"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    due_estimated = models.BooleanField(
        _("due date estimated"),
        default=False,
        db_default=False,
        help_text=_("Counted over days the official calendar does not cover yet."),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["application", "department__code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="rejected") | ~models.Q(reasons=""),
                name="rejection_has_reasons",
            ),
        ]
        # A reviewer's queue starts from their department's pending reviews,
        # not from every task in the engine (bench_lists: the queue's SQL grew
        # with the database without it).
        indexes = [models.Index(fields=["department", "decision", "due_at"])]

    def __str__(self) -> str:
        return f"{self.application} / {self.department.code}: {self.decision}"


class Escalation(models.Model):
    """A review that outran its time limit, raised to the supervisors."""

    review = models.OneToOneField(
        DepartmentReview, on_delete=models.CASCADE, related_name="escalation"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="escalations"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("was due"))
    fired_at = models.DateTimeField(_("escalated"), default=clock.now, editable=False)

    class Meta:
        ordering = ["-fired_at"]

    def __str__(self) -> str:
        return f"{self.application} {self.department.code} overdue"


class ApplicationProcess(Process):
    """The viewflow process of an application; its business data is the `application`."""

    class Meta:
        proxy = True
        verbose_name = _("application process")
        verbose_name_plural = _("application processes")
