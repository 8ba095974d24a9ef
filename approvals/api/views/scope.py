"""What the endpoints share: an application looked up *in* what the user may see
(someone else's is a 404, never a 403 that would confirm it exists), a role
refused (403), and the application as its viewer may see it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from approvals import selectors
from approvals.api import serializers as s


def own_application(request, public_id):
    application = selectors.application_of(request.user, public_id)
    if application is None:
        raise exceptions.NotFound()
    return application


def detail_response(application, viewer) -> Response:
    """The application as `viewer` may see it (identity numbers masked unless needed)."""
    screen = selectors.application_screen(application, viewer=viewer)
    matters = selectors.matters_of(application)
    all_done_by, critical_path = selectors.expected_completion_of(application, matters)
    data = s.ApplicationDetailSerializer(
        {
            "application": application,
            "values": screen.values,
            "materials": screen.materials,
            "timeline": selectors.application_timeline(application),
            "clock": screen.clock,
            "corrections": screen.corrections,
            "reviews": screen.reviews,
            "expected_completion": selectors.application_expected_completion(
                application, screen.clock
            ),
            "matters": matters,
            "matters_expected_by": all_done_by,
            "critical_path": critical_path,
        }
    ).data
    return Response(data)


def require(allowed: bool) -> None:
    if not allowed:
        raise exceptions.PermissionDenied(_("Your role does not give access to this."))


def official_application(request, public_id):
    return get_object_or_404(
        selectors.applications_for_official(request.user)
        .select_related("service", "enterprise")
        .prefetch_related("permits"),
        public_id=public_id,
    )
