"""The approval-time report for supervisors: the same figures as the report page."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import roles
from approvals.api import serializers as s
from approvals.api.views.scope import require
from approvals.reports.filters import ReportFilterSet


class ApprovalReport(APIView):
    @extend_schema(
        tags=["reports"],
        summary="The approval-time report: the same figures as the report page",
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, description="Service code."),
            OpenApiParameter("department", OpenApiTypes.STR, description="Department code."),
            OpenApiParameter("decided_from", OpenApiTypes.DATE),
            OpenApiParameter("decided_to", OpenApiTypes.DATE),
            OpenApiParameter("include_simulated", OpenApiTypes.BOOL),
        ],
        responses=s.ReportSerializer,
    )
    def get(self, request):
        require(roles.is_supervisor(request.user))
        # A plain dict, not the QueryDict: DRF reads an empty value in a form's
        # data as "not sent", and the API refuses an empty date instead.
        s.ReportQuerySerializer(data=request.query_params.dict()).is_valid(raise_exception=True)
        filterset = ReportFilterSet(request.query_params)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        figures = filterset.report()
        data = figures.as_dict()
        data["generated_at"] = timezone.localtime(figures.generated_at).isoformat()
        return Response(data)
