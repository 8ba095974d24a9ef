"""Permits: the PDF for those who may download it, and verifying a permit's token."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import permits
from approvals.api import serializers as s
from approvals.api.common import ErrorSerializer
from approvals.verification.views import verification_body

logger = logging.getLogger(__name__)


class PermitPdf(APIView):
    @extend_schema(
        tags=["permits"],
        summary="The permit PDF: for its applicant, the officials involved, clerks, supervisors",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            503: OpenApiResponse(ErrorSerializer, description="The PDF is not made yet."),
        },
    )
    def get(self, request, number: str):
        return permits.pdf_response(request.user, number, not_ready=self.not_ready)

    @staticmethod
    def not_ready(permit, retry_after: int) -> Response:
        # In the API's error shape; the status and Retry-After are permits.access's.
        return Response(
            {
                "status": 503,
                "code": "not_ready",
                "message": _("The PDF of this permit is being made. Try again in a minute."),
                "retry_after": retry_after,
            }
        )


class Unavailable(exceptions.APIException):
    status_code = 503
    default_code = "unavailable"
    default_detail = "Verification is unavailable: the signing key is not configured."


class PermitVerify(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["permits"],
        summary="Verify a permit's token: valid, altered, revoked, expired or unknown",
        responses={
            200: s.VerificationSerializer,
            503: OpenApiResponse(ErrorSerializer, description="No signing key configured."),
        },
    )
    def get(self, request, token: str):
        try:
            verification = permits.verify_token(token)
        except permits.SigningKeyMissing as exc:
            logger.exception("permit verification is not configured")
            raise Unavailable() from exc
        return Response(verification_body(verification))
