"""The window clerk's endpoints: the queue, an application as an official sees
it, accept (possibly with deferrals) or return for correction."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.views import APIView

from approvals import roles, selectors, services
from approvals.api import filters
from approvals.api import serializers as s
from approvals.api.views.scope import detail_response, official_application, require
from approvals.models import Application


@extend_schema(tags=["window"], summary="Submitted applications waiting at the window")
class WindowQueue(generics.ListAPIView):
    queryset = Application.objects.none()
    serializer_class = s.WindowRowSerializer
    filterset_class = filters.WindowFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        require(roles.is_clerk(self.request.user))
        return selectors.window_queue().select_related("enterprise")


class WindowApplication(APIView):
    @extend_schema(
        tags=["window"],
        summary="An application as an official sees it",
        description="Clerks and supervisors: any submitted application; reviewers: those "
        "involving their departments.",
        responses=s.ApplicationDetailSerializer,
    )
    def get(self, request, public_id):
        return detail_response(official_application(request, public_id), request.user)


class WindowAccept(APIView):
    @extend_schema(
        tags=["window"],
        summary="Accept, possibly with materials deferred",
        request=s.AcceptSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        require(roles.is_clerk(request.user))
        application = official_application(request, public_id)
        form = s.AcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_accept(
            actor=request.user,
            application=application,
            deferrals=[
                services.Deferral(d["material"], d["due"]) for d in form.validated_data["deferrals"]
            ],
        )
        return detail_response(official_application(request, public_id), request.user)


class WindowReturn(APIView):
    @extend_schema(
        tags=["window"],
        summary="Return for correction, listing everything to correct",
        request=s.ReturnSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        require(roles.is_clerk(request.user))
        application = official_application(request, public_id)
        form = s.ReturnSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_return(
            actor=request.user,
            application=application,
            items=form.validated_data["items"],
            note=form.validated_data["note"],
        )
        return detail_response(official_application(request, public_id), request.user)
