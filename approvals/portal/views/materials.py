"""A draft's materials: upload a file, sign a commitment, defer; each saves
the values typed beside it too."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from approvals import pages, services
from approvals.portal.forms import CommitmentForm, UploadForm
from approvals.portal.views.page import material_prefix, owner_action, page_url, render_application
from approvals.portal.views.values import typed_values


def _material_action(
    request, application, material_code, call, *, done: str, posted_forms=None, form_errors=None
):
    """Save the typed values, run a material service, and say what came of both.

    Either may be refused without the other being lost: a refused value is
    shown again as typed, with its error, beside the material's outcome; a
    refused material action is shown beside its material, with the values
    saved. Both accepted: back to the page (POST-redirect-GET).
    """
    values_form, values_saved = typed_values(request, application)
    material_errors: list[str] = list(form_errors or [])
    if not material_errors:
        try:
            call()
        except ValidationError as exc:
            material_errors = [m for _key, m in pages.error_items(exc)]
        else:
            messages.success(request, done)
    if values_saved:
        messages.success(request, _("The values you typed are saved too."))
    if values_form is None and not material_errors:
        return redirect(page_url(application, f"material-{material_code}"))
    if values_form is not None:
        messages.warning(
            request,
            _(
                "Some values you typed were not saved: they are kept below as you typed them. "
                "Correct them and save."
            ),
        )
    return render_application(
        request,
        application,
        status=400,
        values_form=values_form,
        material_errors={material_code: material_errors} if material_errors else None,
        material_forms={material_code: posted_forms or {}},
    )


@owner_action()
def material_upload(request, application, material_code):
    form = UploadForm(request.POST, request.FILES, prefix=material_prefix(material_code))
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
    form = CommitmentForm(request.POST, prefix=material_prefix(material_code))
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
