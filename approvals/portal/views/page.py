"""The one page of an application, and what every write on it shares: the
owner's lookup (anyone else gets a 404), the page's address, the busy answer."""

import functools
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from approvals import pages, prefill, privacy, selectors, services
from approvals.errors import ApplicationBusy
from approvals.models import (
    OPEN_STATUSES,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    PrefilledValue,
    SatisfiedBy,
    ValueState,
)
from approvals.portal.forms import (
    AnswerForm,
    CommitmentForm,
    UploadForm,
    ValuesForm,
    value_field_name,
)


def _outcome_of(part):
    """The matter's outcome, or None (a reverse one-to-one raises when there is none)."""
    try:
        return part.outcome
    except ObjectDoesNotExist:
        return None


def enterprise_name(enterprise, typed_zh: str | None, typed_en: str | None) -> str:
    """The registry's name when it holds the enterprise, else the one the applicant typed."""
    if enterprise is not None:
        name_zh, name_en = enterprise.name_zh, enterprise.name_en
    else:
        name_zh, name_en = typed_zh or "", typed_en or ""
    english = (get_language() or "").startswith("en")
    return (english and name_en) or name_zh or name_en


def own_application(request, public_id) -> Application:
    application = selectors.application_of(request.user, public_id)
    if application is None:
        raise Http404(_("No such application."))
    return application


def page_url(application: Application, anchor: str = "") -> str:
    url = reverse("portal:application", args=[application.public_id])
    return f"{url}#{anchor}" if anchor else url


def owner_action(methods=("POST",)):
    """A write on one of the user's own applications.

    Anyone else gets 404 (existence is not revealed), whatever the method;
    the owner following a stale link by GET is sent to the page. Lock
    contention becomes a "try again" page (409), never a 500.
    """

    def decorate(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, public_id, **kwargs):
            application = own_application(request, public_id)
            if request.method not in methods:
                return redirect(page_url(application))
            try:
                return view(request, application, **kwargs)
            except ApplicationBusy as exc:
                return pages.busy(
                    render(
                        request,
                        "portal/busy.html",
                        {"application": application, "message": str(exc)},
                    )
                )

        return wrapper

    return decorate


def material_prefix(code: str) -> str:
    return f"material-{code}"


@dataclass
class ValueRow:
    value: PrefilledValue
    field: object  # the BoundField
    source_label: str
    required: bool
    errors: list[str]


@dataclass
class MaterialRow:
    item: ApplicationMaterial
    anchor: str
    errors: list[str]
    upload_form: UploadForm | None
    commit_form: CommitmentForm | None
    can_defer: bool
    overdue: bool = False  # deferred, not handed in, past its due date


class TaskState:
    """A section's state on the draft's task list (the GOV.UK task list pattern)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANNOT_START = "cannot_start"

    LABELS = {
        NOT_STARTED: gettext_lazy("Not started"),
        IN_PROGRESS: gettext_lazy("In progress"),
        DONE: gettext_lazy("Completed"),
        CANNOT_START: gettext_lazy("Cannot start yet"),
    }


@dataclass
class TaskItem:
    key: str
    title: str
    state: str
    href: str
    hint: str = ""

    @property
    def state_label(self) -> str:
        return str(TaskState.LABELS[self.state])


def task_list(application, values, materials, matters) -> list[TaskItem]:
    """The draft's sections and how far each is, read from what the page has loaded already."""
    confirmed = [v for v in values if v.confirmed_at is not None]
    empty = [v for v in values if not v.value.strip()]
    if values and not empty and len(confirmed) == len(values):
        values_state = TaskState.DONE
    elif confirmed:
        values_state = TaskState.IN_PROGRESS
    else:
        values_state = TaskState.NOT_STARTED
    missing = [m for m in materials if m.satisfied_by == SatisfiedBy.MISSING]
    handed = [
        m for m in materials if m.satisfied_by not in (SatisfiedBy.MISSING, SatisfiedBy.REUSE)
    ]
    if not missing:
        materials_state = TaskState.DONE
    elif handed:
        materials_state = TaskState.IN_PROGRESS
    else:
        materials_state = TaskState.NOT_STARTED
    ready = values_state == TaskState.DONE and materials_state == TaskState.DONE
    return [
        TaskItem(
            "matters",
            _("Your answers and the matters applied for"),
            TaskState.DONE,
            page_url(application, "matters"),
            ngettext("%(n)s matter", "%(n)s matters", len(matters)) % {"n": len(matters)},
        ),
        TaskItem(
            "values",
            _("Check the values read from shared data"),
            values_state,
            page_url(application, "values"),
            ngettext("%(n)s value still empty", "%(n)s values still empty", len(empty))
            % {"n": len(empty)}
            if empty
            else "",
        ),
        TaskItem(
            "materials",
            _("Hand in the materials"),
            materials_state,
            page_url(application, "materials"),
            ngettext("%(n)s material missing", "%(n)s materials missing", len(missing))
            % {"n": len(missing)}
            if missing
            else "",
        ),
        TaskItem(
            "check",
            _("Check your answers and submit"),
            TaskState.NOT_STARTED if ready else TaskState.CANNOT_START,
            reverse("portal:check", args=[application.public_id]),
        ),
    ]


@dataclass
class Meter:
    value: float
    limit: float
    percent: int
    over: bool

    @classmethod
    def of(cls, value: float, limit: float) -> "Meter":
        share = value / limit if limit else 0.0
        return cls(value, limit, min(100, max(0, round(share * 100))), value > limit)


def _value_rows(form, values, extra_errors) -> list[ValueRow]:
    specs = prefill.field_specs()
    rows = []
    for value in values:
        spec, source = specs.get(value.field, (None, None))
        name = value_field_name(value.field)
        field = form[name]
        errors = [*field.errors, *extra_errors.get(value.field, [])]
        described = [f"prov-{name}"] + ([f"err-{name}"] if errors else [])
        field.field.widget.attrs["aria-describedby"] = " ".join(described)
        if errors:
            field.field.widget.attrs["aria-invalid"] = "true"
        rows.append(
            ValueRow(
                value=value,
                field=field,
                source_label=str(source.label) if source else value.source,
                required=bool(spec and spec.required),
                errors=errors,
            )
        )
    return rows


def _grouped_by_source(rows: list[ValueRow]) -> list[tuple[str, list[ValueRow]]]:
    """Rows in runs of the same source (they arrive ordered by source)."""
    return [(label, list(group)) for label, group in groupby(rows, key=lambda r: r.source_label)]


def _material_rows(application, materials, errors, posted_forms, editable) -> list[MaterialRow]:
    today = timezone.localdate()
    rows = []
    for item in materials:
        material, code = item.material, item.material.code
        prefix = material_prefix(code)
        reused = item.satisfied_by == SatisfiedBy.REUSE
        can_upload = material.allow_upload and (
            (editable and not reused) or services.is_deliverable(application, item)
        )
        commit_form = None
        if editable and material.allow_commitment and not reused:
            commit_form = posted_forms.get(code, {}).get("commit") or CommitmentForm(
                prefix=prefix,
                initial={
                    "text": item.commitment_text
                    or _(
                        "I commit that %(material)s meets the legal requirements and that "
                        "what I state in this application is true. I know the permit can be "
                        "revoked if this commitment turns out to be false."
                    )
                    % {"material": material.name}
                },
            )
        rows.append(
            MaterialRow(
                item=item,
                anchor=f"material-{code}",
                errors=errors.get(code, []),
                upload_form=UploadForm(prefix=prefix) if can_upload else None,
                commit_form=commit_form,
                overdue=services.is_deliverable(application, item)
                and item.due_date is not None
                and item.due_date < today,
                can_defer=editable
                and material.allow_deferral
                and item.satisfied_by
                not in (SatisfiedBy.REUSE, SatisfiedBy.DEFERRAL, SatisfiedBy.UPLOAD),
            )
        )
    return rows


def render_application(
    request,
    application: Application,
    *,
    status: int = 200,
    values_form: ValuesForm | None = None,
    material_errors: dict[str, list[str]] | None = None,
    material_forms: dict[str, dict] | None = None,
    submit_errors: ValidationError | None = None,
    answer_form: AnswerForm | None = None,
    top_errors: list[tuple[str | None, str]] | None = None,
    template: str = "portal/application.html",
):
    """The one page of an application: the draft's forms, or where it stands (or, with
    `template`, the same read as the page to check one's answers before submitting).

    Its queries are the same whatever the application's state or size, so
    the page costs a fixed number of them.
    """
    editable = application.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
    values = privacy.present_values(
        selectors.application_values(application), viewer=request.user, application=application
    )
    materials = list(selectors.application_materials(application))
    clock = selectors.application_clock(application)
    summary = selectors.application_materials_summary(application)
    timeline = list(selectors.application_timeline(application))
    reviews = list(selectors.application_reviews(application))
    corrections = list(selectors.application_corrections(application))

    # Errors from a submission: one list at the top, each linked to its
    # field, and the same message beside the field itself.
    summary_errors: list[tuple[str | None, str]] = list(top_errors or [])
    value_errors: dict[str, list[str]] = {}
    material_errors = dict(material_errors or {})
    for key, message in pages.error_items(submit_errors) if submit_errors else []:
        if key and key.startswith("material:"):
            code = key.split(":", 1)[1]
            material_errors.setdefault(code, []).append(message)
            summary_errors.append((f"material-{code}", message))
        elif key:
            value_errors.setdefault(key, []).append(message)
            summary_errors.append((f"id_{value_field_name(key)}", message))
        else:
            summary_errors.append((None, message))
    if values_form is not None and values_form.errors:
        for name, errors in values_form.errors.items():
            for message in errors:
                summary_errors.append((f"id_{name}", message))
    for code, errors in (material_errors or {}).items():
        if not any(anchor == f"material-{code}" for anchor, _m in summary_errors):
            summary_errors.extend((f"material-{code}", m) for m in errors)

    values_form = values_form or ValuesForm(rows=values)
    typed = {v.field: v.value for v in values}
    matters = selectors.matters_of(application)
    critical_path = selectors.expected_completion_of(application, matters)
    open_correction = next((c for c in reversed(corrections) if c.answered_at is None), None)
    context = {
        "application": application,
        "enterprise_name": enterprise_name(
            application.enterprise,
            typed.get("enterprise.name_zh"),
            typed.get("enterprise.name_en"),
        ),
        # The first matter's outcome (Application.permit), read from the matters already here.
        "permit": next((o for o in map(_outcome_of, matters) if o is not None), None),
        "editable": editable,
        "value_groups": _grouped_by_source(_value_rows(values_form, values, value_errors)),
        "values_form": values_form,
        "any_unavailable": any(v.state == ValueState.UNAVAILABLE for v in values),
        "any_corrected": any(v.corrected for v in values),
        "material_rows": _material_rows(
            application, materials, material_errors, material_forms or {}, editable
        ),
        "summary": summary,
        "missing_count": sum(1 for m in materials if m.satisfied_by == SatisfiedBy.MISSING),
        "clock": clock,
        "government_meter": Meter.of(clock.government_working_days, clock.promised_limit_days),
        "target_meter": Meter.of(clock.end_to_end_calendar_days, clock.target_days),
        "statutory_meter": Meter.of(clock.statutory_working_days, clock.statutory_limit_days),
        "expected": selectors.application_expected_completion(application, clock),
        "matters": matters,
        "critical_path": critical_path,
        "tasks": task_list(application, values, materials, matters) if editable else [],
        "timeline": timeline,
        "reviews": reviews,
        "corrections": corrections,
        "open_correction": open_correction,
        "answer_form": answer_form or AnswerForm(),
        "summary_errors": summary_errors,
        "withdrawable": application.status in (ApplicationStatus.DRAFT, *OPEN_STATUSES),
        "upload_limit_mb": settings.UPLOAD_MAX_BYTES / 1e6,
        "accepted_types": pages.ACCEPTED_UPLOAD_TYPES,
    }
    return render(request, template, context, status=status)
