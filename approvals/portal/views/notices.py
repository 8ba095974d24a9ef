"""The investor downloads the refusal decision notice of their refused application."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from approvals import decisions
from approvals.portal.views.page import own_application


@login_required
def refusal_notice(request, public_id):
    application = own_application(request, public_id)
    try:
        data = decisions.render_refusal_notice(application)
    except decisions.NotRefused:
        raise Http404(_("Only a refused application has a refusal notice.")) from None
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"{decisions.notice_number(application)}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # it names the applicant
    return response
