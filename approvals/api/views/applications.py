"""The investor's applications: list, open a draft (idempotently), read, correct
values, submit, resubmit after a correction, withdraw."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.views import APIView

from approvals import selectors, services
from approvals.api import filters
from approvals.api import serializers as s
from approvals.api.views.scope import detail_response, own_application
from approvals.models import Application

IDEMPOTENCY_KEY_MAX = 80
# Printable ASCII, not only spaces: what survives every proxy, and what a text
# column of every database takes (PostgreSQL's refuses a NUL).
_IDEMPOTENCY_KEY = re.compile(r"[ -~]*[!-~][ -~]*")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    # The schema says what the view checks, so a client's generator cannot
    # produce a key the server then refuses.
    {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX,
        "pattern": f"^{_IDEMPOTENCY_KEY.pattern}$",
    },
    OpenApiParameter.HEADER,
    required=True,
    description="Any unique string of up to 80 printable ASCII characters, not only "
    "spaces. Sending the same key again returns the draft it created (200) instead of "
    "opening a second one.",
)


def _idempotency_key(request) -> str:
    raw = request.headers.get("Idempotency-Key", "")
    if len(raw) > IDEMPOTENCY_KEY_MAX or not _IDEMPOTENCY_KEY.fullmatch(raw):
        raise exceptions.ValidationError(
            {
                "Idempotency-Key": [
                    _(
                        "Send an Idempotency-Key header of 1 to 80 printable ASCII "
                        "characters, unique for each new application."
                    )
                ]
            }
        )
    return raw.strip(" ")


class ApplicationList(generics.ListCreateAPIView):
    queryset = Application.objects.none()  # the real one is per user: get_queryset
    serializer_class = s.ApplicationListSerializer
    filterset_class = filters.ApplicationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.applications_for_list(self.request.user)

    @extend_schema(tags=["applications"], summary="Your applications, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["applications"],
        summary="Open a draft, prefilled from shared data",
        description="An existing enterprise is named by `uscc`; a service that establishes "
        "an enterprise (`establishes_enterprise`) by `reservation_number` instead, and its "
        "`uscc` stays empty until registration assigns one. "
        "The credit code is normalised first (full-width characters, spaces, "
        "dashes and lower case are read as the code they spell). 201: a new draft. 200: no "
        "new draft was opened, and the body is the draft to carry on with: the one this "
        "Idempotency-Key opened before, or the draft you already have open for this service "
        "and enterprise. 400: the key already opened a draft for another service or enterprise.",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.ApplicationCreateSerializer,
        responses={
            201: OpenApiResponse(s.ApplicationDetailSerializer, description="A new draft."),
            200: OpenApiResponse(
                s.ApplicationDetailSerializer,
                description="The draft this key opened before, or your open draft of this "
                "service for this enterprise.",
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        key = _idempotency_key(request)
        form = s.ApplicationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        # Whether this is a replay is the service's answer, not a look beforehand:
        # two racing requests with one key would both find nothing and both say 201.
        opened = services.application_open(
            applicant=request.user,
            service=form.validated_data["service"],
            uscc=form.validated_data["uscc"],
            reservation_number=form.validated_data["reservation_number"],
            idempotency_key=key,
            answers=form.validated_data["answers"],
            matters=form.validated_data.get("matters"),
        )
        application = opened.application
        response = detail_response(
            selectors.application_of(request.user, application.public_id), request.user
        )
        response.status_code = status.HTTP_201_CREATED if opened.created else status.HTTP_200_OK
        response["Location"] = request.build_absolute_uri(
            f"/api/applications/{application.public_id}/"
        )
        return response


class ApplicationDetail(APIView):
    @extend_schema(
        tags=["applications"],
        summary="One of your applications: values with provenance, materials, timeline, clock",
        responses=s.ApplicationDetailSerializer,
    )
    def get(self, request, public_id):
        return detail_response(own_application(request, public_id), request.user)

    @extend_schema(
        tags=["applications"],
        summary="Confirm, correct or fill in values of a draft",
        request=s.ValuesUpdateSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def patch(self, request, public_id):
        application = own_application(request, public_id)
        form = s.ValuesUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_values_update(
            actor=request.user, application=application, values=form.validated_data["values"]
        )
        return detail_response(own_application(request, public_id), request.user)


class ApplicationSubmit(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Submit a draft (again: no change)",
        request=None,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        application = own_application(request, public_id)
        services.application_submit(actor=request.user, application=application)
        return detail_response(own_application(request, public_id), request.user)


class ApplicationResubmit(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Send a corrected application back to the window",
        request=s.AnswerSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        application = own_application(request, public_id)
        form = s.AnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_resubmit(
            actor=request.user, application=application, answer=form.validated_data["answer"]
        )
        return detail_response(own_application(request, public_id), request.user)


class ApplicationWithdraw(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Withdraw an application that is not decided yet",
        request=None,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        application = own_application(request, public_id)
        services.application_withdraw(actor=request.user, application=application)
        return detail_response(own_application(request, public_id), request.user)
