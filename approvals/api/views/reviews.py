"""The department reviewers' tasks: inbox and queue, a review with the reasons
the department may give, take one, decide it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import reasons as rejection_reasons
from approvals import roles, selectors, services
from approvals.api import filters
from approvals.api import serializers as s
from approvals.api.views.scope import detail_response, official_application, require
from approvals.models import DepartmentReview, ReviewDecision


class _TaskList(generics.ListAPIView):
    queryset = DepartmentReview.objects.none()
    serializer_class = s.TaskSerializer
    filterset_class = filters.TaskFilter
    selector = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        require(roles.is_reviewer(self.request.user))
        return type(self).selector(self.request.user).select_related("task__owner")


@extend_schema(tags=["tasks"], summary="Reviews you have taken, earliest due first")
class TaskInbox(_TaskList):
    selector = staticmethod(selectors.review_inbox)


@extend_schema(tags=["tasks"], summary="Your departments' reviews nobody has taken yet")
class TaskQueue(_TaskList):
    selector = staticmethod(selectors.review_queue)


def _task(request, review_id):
    return get_object_or_404(
        selectors.reviews_for_reviewer(request.user).select_related("escalation"), pk=review_id
    )


class TaskDetail(APIView):
    @extend_schema(
        tags=["tasks"],
        summary="A review with its application and the reasons the department may give",
        responses=s.TaskDetailSerializer,
    )
    def get(self, request, review_id: int):
        review = _task(request, review_id)
        application = official_application(request, review.application.public_id)
        return Response(
            {
                "task": s.TaskSerializer(review).data,
                "application": detail_response(application, request.user).data,
                "rejection_reasons": s.RejectionReasonSerializer(
                    rejection_reasons.offered_by(review.department).select_related("department"),
                    many=True,
                ).data,
            }
        )


def _open_task_of(review):
    if review.decision != ReviewDecision.PENDING or review.task is None:
        raise exceptions.ValidationError(_("This review has already been decided."))
    return review.task


class TaskAssign(APIView):
    @extend_schema(
        tags=["tasks"],
        summary="Take a review into your inbox",
        request=None,
        responses=s.TaskSerializer,
    )
    def post(self, request, review_id: int):
        review = _task(request, review_id)
        services.task_assign(actor=request.user, task=_open_task_of(review))
        return Response(s.TaskSerializer(_task(request, review_id)).data)


class TaskComplete(APIView):
    @extend_schema(
        tags=["tasks"],
        summary="Approve, or reject with reasons from the catalogue and in your own words",
        request=s.TaskDecisionSerializer,
        responses=s.TaskSerializer,
    )
    def post(self, request, review_id: int):
        review = _task(request, review_id)
        form = s.TaskDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        approve = form.validated_data["decision"] == "approve"
        # No check for an open task here: the service tells a retry of this
        # reviewer's own decision (answered as before) from a second decision;
        # it refuses a reason the department may not give, on "reasons".
        services.review_complete(
            actor=request.user,
            review=review,
            approve=approve,
            reasons=form.validated_data["note"],
            reason_codes=form.validated_data["reasons"],
        )
        return Response(s.TaskSerializer(_task(request, review_id)).data)
