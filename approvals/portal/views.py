"""Public and investor pages. Reads come from selectors, writes from services."""

import functools
import uuid
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import (
    clock,
    prefill,
    privacy,
    representation,
    roles,
    selectors,
    services,
    timekeeping,
)
from approvals.context_processors import Roles
from approvals.errors import ApplicationBusy
from approvals.models import (
    OPEN_STATUSES,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    PrefilledValue,
    SatisfiedBy,
    Service,
    ValueState,
)
from approvals.portal.forms import (
    ACCEPTED_UPLOAD_TYPES,
    AnswerForm,
    ApplyForm,
    CommitmentForm,
    StatusFilterForm,
    UploadForm,
    ValuesForm,
    value_field_name,
)


def home(request):
    """Send each visitor to the face of the window they use."""
    if request.user.is_authenticated:
        roles = Roles(request.user)
        if roles.clerk:
            return redirect("review:window")
        if roles.reviewer:
            return redirect("review:reviews")
        if roles.supervisor:
            return redirect("review:overdue")
        if roles.investor:
            return redirect("portal:applications")
    return render(request, "portal/home.html", {"services": selectors.service_guide()})


def service_list(request):
    services = list(selectors.service_guide())
    for service in services:
        service.median_days = selectors.median_decision_days(service)
    return render(request, "portal/service_list.html", {"services": services})


def service_detail(request, code):
    service = get_object_or_404(selectors.service_guide(), code=code)
    service.median_days = selectors.median_decision_days(service)
    return render(request, "portal/service_detail.html", {"service": service})


# --- applying and following an application ------------------------------------
#
# Every write goes through a service; a view only turns the request into a
# call and the outcome into a page. Writes are POST-redirect-GET to the
# application page (with an anchor to where the person was), except when the
# service refuses: then the page is rendered again with the errors and what
# was typed (status 400), so nothing is lost.


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, code):
    service = get_object_or_404(Service, code=code, is_active=True)
    if roles.is_official(request.user):
        return render(
            request, "portal/officials_cannot_apply.html", {"service": service}, status=403
        )
    form = ApplyForm(
        request.POST if request.method == "POST" else None,
        initial={
            "idempotency_key": uuid.uuid4().hex,
            "uscc": request.GET.get("uscc", "")[:40],  # from "Mandates I hold"
        },
        service=service,
    )
    refusal = None
    if form.is_bound and form.is_valid():
        uscc = form.cleaned_data.get("uscc", "")
        reservation_number = form.cleaned_data.get("reservation_number", "")
        # The key names what was asked, not only the form it was asked in: the
        # same form posted twice opens one draft, but a form reached again by
        # the back button and sent for another enterprise opens a new one.
        key = form.cleaned_data["idempotency_key"] or uuid.uuid4().hex
        subject = uscc or reservation_number
        try:
            opened = services.application_open(
                applicant=request.user,
                service=service,
                uscc=uscc,
                reservation_number=reservation_number,
                idempotency_key=f"{key}:{service.pk}:{subject}",
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        except PermissionDenied as exc:
            # No ground to act for this enterprise: the page again, with what was
            # typed and how to obtain one (approvals.representation), not a bare 403.
            refusal = str(exc) or representation.no_basis_message()
        else:
            application = opened.application
            if opened.open_draft:
                messages.info(
                    request,
                    _(
                        "You already have draft %(reference)s of this service for this "
                        "enterprise: carry on with it here instead of starting again."
                    )
                    % {"reference": application.reference},
                )
                return redirect(_page(application))
            messages.success(
                request,
                _(
                    "Draft %(reference)s saved. We read what the provincial data center holds: "
                    "check each value and its source below, then hand in what is still missing."
                )
                % {"reference": application.reference},
            )
            return redirect(_page(application))
    drafts = (
        selectors.applications_of(request.user)
        .filter(service=service, status=ApplicationStatus.DRAFT)
        .select_related("name_reservation")[:5]
    )
    return render(
        request,
        "portal/apply.html",
        {
            "service": service,
            "form": form,
            "drafts": drafts,
            "refusal": refusal,
            "unverified": refusal is not None and not representation.is_verified(request.user),
        },
        status=403 if refusal else 400 if form.errors else 200,
    )


@login_required
def application_list(request):
    form = StatusFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    if not form.is_valid():
        form = StatusFilterForm()
    page = Paginator(
        selectors.applications_for_list(request.user, status=status), settings.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    now = clock.now()
    for application in page:
        application.display_name = _enterprise_name(
            application.enterprise, application.typed_name_zh, application.typed_name_en
        )
        if application.submitted_at:
            end = application.decided_at or now
            application.elapsed_calendar = timekeeping.calendar_days_between(
                application.submitted_at, end
            )
            application.elapsed_working = timekeeping.working_days_between(
                application.submitted_at, end
            )
    return render(
        request,
        "portal/application_list.html",
        {"page": page, "filter_form": form, "status": status},
    )


def _enterprise_name(enterprise, typed_zh: str | None, typed_en: str | None) -> str:
    """The registry's name when it holds the enterprise, else the one the applicant typed."""
    if enterprise is not None:
        name_zh, name_en = enterprise.name_zh, enterprise.name_en
    else:
        name_zh, name_en = typed_zh or "", typed_en or ""
    english = (get_language() or "").startswith("en")
    return (english and name_en) or name_zh or name_en


def _own(request, public_id) -> Application:
    application = selectors.application_of(request.user, public_id)
    if application is None:
        raise Http404(_("No such application."))
    return application


def _page(application: Application, anchor: str = "") -> str:
    url = reverse("portal:application", args=[application.public_id])
    return f"{url}#{anchor}" if anchor else url


@login_required
def application_detail(request, public_id):
    application = _own(request, public_id)  # before the method: a stranger learns nothing
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _render_application(request, application)


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
            application = _own(request, public_id)
            if request.method not in methods:
                return redirect(_page(application))
            try:
                return view(request, application, **kwargs)
            except ApplicationBusy as exc:
                response = render(
                    request,
                    "portal/busy.html",
                    {"application": application, "message": str(exc)},
                    status=409,
                )
                response["Retry-After"] = str(exc.retry_after_seconds)
                return response

        return wrapper

    return decorate


def _save_values(request, application, **render_kwargs):
    """Save the values posted with any of the value form's buttons.

    Returns the page with the errors (400) if they are refused, else None.
    A submission posts the value form too, so nothing typed before pressing
    "submit" is lost.
    """
    form = ValuesForm(request.POST, rows=selectors.application_values(application))
    if not any(name in request.POST for name in form.keys):
        return None
    if form.is_valid():
        try:
            services.application_values_update(
                actor=request.user, application=application, values=form.values()
            )
        except ValidationError as exc:
            top = []
            for key, message in _error_items(exc):
                name = value_field_name(key) if key else None
                if name in form.fields:
                    form.add_error(name, message)
                else:
                    top.append((None, message))
            render_kwargs["top_errors"] = top
        else:
            return None
    return _render_application(request, application, status=400, values_form=form, **render_kwargs)


@owner_action()
def values_update(request, application):
    refused = _save_values(request, application)
    if refused:
        return refused
    messages.success(request, _("Your values are saved."))
    return redirect(_page(application, "values"))


def _typed_values(request, application) -> tuple[ValuesForm | None, bool]:
    """Save what was typed in the values form and posted with a material's button.

    Every material button also sends the values form (its inputs carry
    ``form="values-form"``), so a value typed and not yet saved is not lost
    when a file is uploaded, a commitment signed or a material deferred. Only
    the values that differ from what is held are sent to the service: pressing
    "Upload" does not confirm the others. Returns the form bound to what was
    typed when the service refused it (to show again with its errors, nothing
    lost), else None; and whether anything was saved.
    """
    rows = privacy.present_values(
        selectors.application_values(application),
        viewer=request.user,
        application=application,
        shown=False,
    )
    form = ValuesForm(request.POST, rows=rows)
    if not any(name in request.POST for name in form.keys):
        return None, False
    if not form.is_valid():
        return form, False
    held = {row.field: row.value for row in rows}
    changed = {key: value for key, value in form.values().items() if value != held.get(key)}
    if not changed:
        return None, False
    try:
        services.application_values_update(
            actor=request.user, application=application, values=changed
        )
    except ValidationError as exc:
        for key, message in _error_items(exc):
            name = value_field_name(key) if key else None
            form.add_error(name if name in form.fields else None, message)
        return form, False
    return None, True


def _material_action(
    request, application, material_code, call, *, done: str, posted_forms=None, form_errors=None
):
    """Save the typed values, run a material service, and say what came of both.

    Either may be refused without the other being lost: a refused value is
    shown again as typed, with its error, beside the material's outcome; a
    refused material action is shown beside its material, with the values
    saved. Both accepted: back to the page (POST-redirect-GET).
    """
    values_form, values_saved = _typed_values(request, application)
    material_errors: list[str] = list(form_errors or [])
    if not material_errors:
        try:
            call()
        except ValidationError as exc:
            material_errors = [m for _key, m in _error_items(exc)]
        else:
            messages.success(request, done)
    if values_saved:
        messages.success(request, _("The values you typed are saved too."))
    if values_form is None and not material_errors:
        return redirect(_page(application, f"material-{material_code}"))
    if values_form is not None:
        messages.warning(
            request,
            _(
                "Some values you typed were not saved: they are kept below as you typed them. "
                "Correct them and save."
            ),
        )
    return _render_application(
        request,
        application,
        status=400,
        values_form=values_form,
        material_errors={material_code: material_errors} if material_errors else None,
        material_forms={material_code: posted_forms or {}},
    )


@owner_action()
def material_upload(request, application, material_code):
    form = UploadForm(request.POST, request.FILES, prefix=_material_prefix(material_code))
    valid = form.is_valid()
    upload = form.cleaned_data["file"] if valid else None
    return _material_action(
        request,
        application,
        material_code,
        lambda: services.material_upload(
            actor=request.user,
            application=application,
            material_code=material_code,
            upload=upload,
        ),
        done=_("%(file)s is uploaded.") % {"file": (upload and upload.name) or _("The file")},
        form_errors=None if valid else [e for es in form.errors.values() for e in es],
    )


@owner_action()
def material_commit(request, application, material_code):
    form = CommitmentForm(request.POST, prefix=_material_prefix(material_code))
    valid = form.is_valid()
    return _material_action(
        request,
        application,
        material_code,
        lambda: services.material_commit(
            actor=request.user,
            application=application,
            material_code=material_code,
            text=form.cleaned_data["text"],
        ),
        done=_("Your commitment is signed."),
        posted_forms={"commit": form},
        form_errors=None if valid else [e for es in form.errors.values() for e in es],
    )


@owner_action()
def material_defer(request, application, material_code):
    return _material_action(
        request,
        application,
        material_code,
        lambda: services.material_defer(
            actor=request.user, application=application, material_code=material_code
        ),
        done=_("Noted: you will hand this material in after acceptance, by its due date."),
    )


@owner_action()
def prefill_retry(request, application):
    # The button sends the values form too: what was typed is saved first
    # (a saved value is kept by prefill), or shown again with its errors.
    values_form, values_saved = _typed_values(request, application)
    if values_form is not None:
        return _render_application(request, application, status=400, values_form=values_form)
    if values_saved:
        messages.success(request, _("The values you typed are saved too."))
    try:
        outcomes = services.application_prefill(application=application)
    except ValidationError as exc:
        for _key, message in _error_items(exc):
            messages.error(request, message)
        return redirect(_page(application))
    down = [str(o.source.label) for o in outcomes if o.error]
    if down:
        messages.warning(
            request,
            _("Still unavailable: %(sources)s. Fill those fields by hand, or try again later.")
            % {"sources": ", ".join(down)},
        )
    else:
        messages.success(request, _("Every source answered; the values below are up to date."))
    return redirect(_page(application, "values"))


@owner_action()
def application_submit(request, application):
    if application.status == ApplicationStatus.RETURNED:
        messages.info(request, _("Answer the correction notice below, then resubmit."))
        return redirect(_page(application, "correction"))
    if application.status != ApplicationStatus.DRAFT:
        return _already_submitted(request, application)
    refused = _save_values(request, application)
    if refused:
        return refused
    try:
        application = services.application_submit(actor=request.user, application=application)
    except ValidationError as exc:
        return _render_application(request, application, status=400, submit_errors=exc)
    messages.success(
        request,
        _(
            "Application %(reference)s is submitted. The window checks it now; "
            "we email you when it is accepted or needs correction."
        )
        % {"reference": application.reference},
    )
    return redirect(_page(application))


def _already_submitted(request, application):
    if application.submitted_at:
        message = _(
            "This application was already submitted on %(date)s; it was not sent twice."
        ) % {"date": date_format(timezone.localtime(application.submitted_at), "Y-m-d H:i")}
    else:
        message = _("This application can no longer be submitted (status: %(status)s).") % {
            "status": application.get_status_display()
        }
    messages.info(request, message)
    return redirect(_page(application))


@owner_action()
def application_resubmit(request, application):
    if application.status != ApplicationStatus.RETURNED:
        if application.status == ApplicationStatus.DRAFT:
            messages.info(request, _("This application is a draft: submit it instead."))
            return redirect(_page(application, "submit"))
        return _already_submitted(request, application)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _render_application(request, application, status=400, answer_form=form)
    refused = _save_values(request, application, answer_form=form)
    if refused:
        return refused
    try:
        services.application_resubmit(
            actor=request.user, application=application, answer=form.cleaned_data["answer"]
        )
    except ValidationError as exc:
        return _render_application(
            request, application, status=400, submit_errors=exc, answer_form=form
        )
    messages.success(
        request,
        _(
            "Your corrected application is back at the window. "
            "The clock is with the government again."
        ),
    )
    return redirect(_page(application))


@owner_action(methods=("GET", "HEAD", "POST"))
def application_withdraw(request, application):
    withdrawable = application.status in (ApplicationStatus.DRAFT, *OPEN_STATUSES)
    if not withdrawable:
        messages.info(
            request,
            _("This application can no longer be withdrawn (status: %(status)s).")
            % {"status": application.get_status_display()},
        )
        return redirect(_page(application))
    if request.method != "POST":
        return render(request, "portal/withdraw_confirm.html", {"application": application})
    try:
        services.application_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        for _key, message in _error_items(exc):
            messages.error(request, message)
        return redirect(_page(application))
    messages.success(
        request, _("Application %(reference)s is withdrawn.") % {"reference": application.reference}
    )
    return redirect(_page(application))


# --- the application page -----------------------------------------------------


def _material_prefix(code: str) -> str:
    return f"material-{code}"


def _error_items(exc: ValidationError) -> list[tuple[str | None, str]]:
    """A service's ValidationError as (field key or None, message) pairs."""
    if hasattr(exc, "error_dict"):
        return [
            (None if key == NON_FIELD_ERRORS else key, message)
            for key, messages_ in exc.message_dict.items()
            for message in messages_
        ]
    return [(None, message) for message in exc.messages]


def _add_service_errors(form, exc: ValidationError) -> None:
    for key, message in _error_items(exc):
        form.add_error(key if key in form.fields else None, message)


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
        prefix = _material_prefix(code)
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


def _render_application(
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
):
    """The one page of an application: the draft's forms, or where it stands.

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
    for key, message in _error_items(submit_errors) if submit_errors else []:
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
    open_correction = next((c for c in reversed(corrections) if c.answered_at is None), None)
    context = {
        "application": application,
        "enterprise_name": _enterprise_name(
            application.enterprise,
            typed.get("enterprise.name_zh"),
            typed.get("enterprise.name_en"),
        ),
        "permit": getattr(application, "permit", None),
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
        "timeline": timeline,
        "reviews": reviews,
        "corrections": corrections,
        "open_correction": open_correction,
        "answer_form": answer_form or AnswerForm(),
        "summary_errors": summary_errors,
        "withdrawable": application.status in (ApplicationStatus.DRAFT, *OPEN_STATUSES),
        "upload_limit_mb": settings.UPLOAD_MAX_BYTES / 1e6,
        "accepted_types": ACCEPTED_UPLOAD_TYPES,
    }
    return render(request, "portal/application.html", context, status=status)
