"""Saving the values typed in an application's value form, whichever of the
page's buttons posted it, so nothing typed is lost."""

from django.core.exceptions import ValidationError

from approvals import pages, privacy, selectors, services
from approvals.portal.forms import ValuesForm, value_field_name
from approvals.portal.views.page import render_application


def save_values(request, application, **render_kwargs):
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
            for key, message in pages.error_items(exc):
                name = value_field_name(key) if key else None
                if name in form.fields:
                    form.add_error(name, message)
                else:
                    top.append((None, message))
            render_kwargs["top_errors"] = top
        else:
            return None
    return render_application(request, application, status=400, values_form=form, **render_kwargs)


def typed_values(request, application) -> tuple[ValuesForm | None, bool]:
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
        pages.add_service_errors(form, exc, value_field_name)
        return form, False
    return None, True
