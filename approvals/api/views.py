"""The API's endpoints. Each reads input, calls the selectors (what the user
may see) and the services (what the user may do) the pages call, and
presents the result; none decides a rule itself.

Objects a user may not see are looked up *in* the selector's queryset, so
someone else's application, task or permit is a 404, never a 403 that
would confirm it exists.
"""

from __future__ import annotations

import logging
import re

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from approvals import audit, permits, prefill, privacy, representation, roles, selectors, services
from approvals.api import filters
from approvals.api import serializers as s
from approvals.api.auth import token_expires_at, token_for
from approvals.api.common import ErrorSerializer, TokenThrottle
from approvals.identifiers import normalize_uscc, validate_uscc
from approvals.models import Application, AuditAction, DepartmentReview, Permit, ReviewDecision
from approvals.models.permits import RenderStatus
from approvals.reports.filters import ReportFilterSet
from approvals.secondfactor import rules as second_factor
from approvals.verification.views import verification_body

logger = logging.getLogger(__name__)

# --- tokens -------------------------------------------------------------------


class IssuedToken(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <key>`.")
    expires_at = serializers.DateTimeField(
        help_text="After this the token no longer authenticates: ask for a new one."
    )


class AuthToken(AuthTokenSerializer):
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=20,
        help_text="Officials (window clerks, reviewers, supervisors, admins) with "
        "OFFICIAL_SECOND_FACTOR on: the current 6-digit code from their authenticator app. "
        "Each code is accepted once. Others leave it out.",
    )


class TokenView(ObtainAuthToken):
    """POST: a username and password (and, for officials, a current code from their
    authenticator app) for a token (valid API_TOKEN_TTL_HOURS); open to anyone, and
    documented so. DELETE: the token's owner revokes it at once."""

    throttle_classes = [TokenThrottle]
    serializer_class = AuthToken

    def get_authenticators(self):
        # Getting a token takes a password, not a token or a session: an expired token a
        # client still sends along must not stand in the way of a new one.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        return []

    def get_permissions(self):
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        tags=["auth"],
        summary="Exchange a username and password for an API token",
        description="The token expires after API_TOKEN_TTL_HOURS (24 by default); asking "
        "again after that gives a new one. Officials also send otp_token, a current code "
        "from their authenticator app (OFFICIAL_SECOND_FACTOR): without it, or with a wrong "
        "one, 400 with a message on otp_token; after wrong codes in a row, 429 until the "
        "wait (1, 2, 4 ... seconds) is over.",
        request=AuthToken,
        responses={200: IssuedToken},
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # django-axes refused even to check the password: say so, as the login page does.
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                raise LockedOut() from None
            raise
        user = serializer.validated_data["user"]
        if second_factor.required_for(user):
            try:
                second_factor.check_for_token(
                    user=user, code=serializer.validated_data.get("otp_token")
                )
            except second_factor.SecondFactorRefused as refused:
                if refused.code == "throttled":
                    raise TooManyWrongCodes(refused.message, wait=refused.wait) from None
                raise exceptions.ValidationError({"otp_token": [refused.message]}) from None
        token = token_for(user)
        return Response(
            IssuedToken({"token": token.key, "expires_at": token_expires_at(token)}).data
        )

    @extend_schema(
        tags=["auth"],
        summary="Revoke your API token",
        description="The token stops working at once, for every program that holds it; "
        "a new one is had by POST with the password.",
        request=None,
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LockedOut(exceptions.APIException):
    status_code = 429
    default_code = "locked_out"
    default_detail = (
        "Too many failed logins for this account from your address: logging in is paused "
        "for a while. Ask the window for help if you have forgotten the password."
    )


class TooManyWrongCodes(exceptions.Throttled):
    """429 with Retry-After, and the second factor's own message (DRF's Throttled
    would add its own sentence about the wait)."""

    def __init__(self, detail: str, wait: int):
        exceptions.APIException.__init__(self, detail, "throttled")
        self.wait = wait


# --- the catalogue ------------------------------------------------------------


@extend_schema(tags=["catalogue"], summary="Open services, their departments and materials")
class ServiceList(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.ServiceSerializer
    filterset_class = filters.ServiceFilter

    def get_queryset(self):
        return selectors.service_guide().distinct()


@extend_schema(tags=["catalogue"], summary="One service, with its median approval time so far")
class ServiceDetail(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.ServiceDetailSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.service_guide()


# --- prefill preview ------------------------------------------------------------


class PrefillPreview(APIView):
    @extend_schema(
        tags=["applications"],
        summary="What the government holds about an enterprise, with where each value comes from",
        description="Only for the enterprise's legal representative and the holders of a "
        "mandate in force from it (404 for anyone else, and for a code nobody registered). "
        "Identity numbers are masked unless they are the reader's own; an unmasked read is "
        "written to the audit trail.",
        responses=s.PrefillPreviewSerializer,
    )
    def get(self, request, uscc: str):
        uscc = normalize_uscc(uscc)
        validate_uscc(uscc)
        # The same answer for an unknown code as for someone else's enterprise.
        if not selectors.represents_enterprise(request.user, uscc):
            raise exceptions.NotFound(representation.no_basis_message())
        specs = prefill.field_specs()
        sources, unmasked = [], []
        for outcome in prefill.read_all(uscc):
            fetched = outcome.fetched
            found = bool(fetched and fetched.found)
            values = []
            for key, value in fetched.values.items() if found else ():
                if specs[key][0].sensitive and value:
                    shown = privacy.mask_held_value(request.user, value)
                    if shown == value:
                        unmasked.append(key)
                    value = shown
                values.append({"field": key, "label": str(specs[key][0].label), "value": value})
            sources.append(
                {
                    "source": outcome.source.name,
                    "label": str(outcome.source.label),
                    "found": found,
                    "record_ref": fetched.record_ref if found else "",
                    "read_at": outcome.read_at,
                    "error": outcome.error,
                    "values": values,
                    "documents": dict(fetched.documents) if found else {},
                }
            )
        if unmasked:
            audit.record(
                actor=request.user,
                application=None,
                action=AuditAction.IDENTITY_VIEWED,
                enterprise_uscc=uscc,
                fields=sorted(unmasked),
                where="prefill preview",
            )
        return Response(s.PrefillPreviewSerializer({"uscc": uscc, "sources": sources}).data)


# --- applications -------------------------------------------------------------------

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


def _own_application(request, public_id):
    application = selectors.application_of(request.user, public_id)
    if application is None:
        raise exceptions.NotFound()
    return application


def _detail(application, viewer) -> Response:
    """The application as `viewer` may see it (identity numbers masked unless needed)."""
    screen = selectors.application_screen(application, viewer=viewer)
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
        }
    ).data
    return Response(data)


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
        )
        application = opened.application
        response = _detail(
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
        return _detail(_own_application(request, public_id), request.user)

    @extend_schema(
        tags=["applications"],
        summary="Confirm, correct or fill in values of a draft",
        request=s.ValuesUpdateSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def patch(self, request, public_id):
        application = _own_application(request, public_id)
        form = s.ValuesUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_values_update(
            actor=request.user, application=application, values=form.validated_data["values"]
        )
        return _detail(_own_application(request, public_id), request.user)


class MaterialUpload(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["applications"],
        summary="Upload a material (PDF, JPEG or PNG)",
        request={"multipart/form-data": s.UploadSerializer},
        responses=s.ApplicationMaterialSerializer,
    )
    def post(self, request, public_id, material_code):
        application = _own_application(request, public_id)
        form = s.UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = services.material_upload(
            actor=request.user,
            application=application,
            material_code=material_code,
            upload=form.validated_data["file"],
        )
        return Response(s.ApplicationMaterialSerializer(row).data)


class MaterialCommitment(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Replace a material by a signed commitment, where the service allows it",
        request=s.CommitmentSerializer,
        responses=s.ApplicationMaterialSerializer,
    )
    def post(self, request, public_id, material_code):
        application = _own_application(request, public_id)
        form = s.CommitmentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = services.material_commit(
            actor=request.user,
            application=application,
            material_code=material_code,
            text=form.validated_data["text"],
        )
        return Response(s.ApplicationMaterialSerializer(row).data)


class MaterialDeferral(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Ask to hand a material in after acceptance, where the service allows it",
        request=None,
        responses=s.ApplicationMaterialSerializer,
    )
    def post(self, request, public_id, material_code):
        application = _own_application(request, public_id)
        row = services.material_defer(
            actor=request.user, application=application, material_code=material_code
        )
        return Response(s.ApplicationMaterialSerializer(row).data)


class ApplicationSubmit(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Submit a draft (again: no change)",
        request=None,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        application = _own_application(request, public_id)
        services.application_submit(actor=request.user, application=application)
        return _detail(_own_application(request, public_id), request.user)


class ApplicationResubmit(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Send a corrected application back to the window",
        request=s.AnswerSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        application = _own_application(request, public_id)
        form = s.AnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_resubmit(
            actor=request.user, application=application, answer=form.validated_data["answer"]
        )
        return _detail(_own_application(request, public_id), request.user)


class ApplicationWithdraw(APIView):
    @extend_schema(
        tags=["applications"],
        summary="Withdraw an application that is not decided yet",
        request=None,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        application = _own_application(request, public_id)
        services.application_withdraw(actor=request.user, application=application)
        return _detail(_own_application(request, public_id), request.user)


# --- the window ---------------------------------------------------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        raise exceptions.PermissionDenied(_("Your role does not give access to this."))


def _official_application(request, public_id):
    return get_object_or_404(
        selectors.applications_for_official(request.user).select_related(
            "service", "enterprise", "permit"
        ),
        public_id=public_id,
    )


@extend_schema(tags=["window"], summary="Submitted applications waiting at the window")
class WindowQueue(generics.ListAPIView):
    queryset = Application.objects.none()
    serializer_class = s.WindowRowSerializer
    filterset_class = filters.WindowFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        _require(roles.is_clerk(self.request.user))
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
        return _detail(_official_application(request, public_id), request.user)


class WindowAccept(APIView):
    @extend_schema(
        tags=["window"],
        summary="Accept, possibly with materials deferred",
        request=s.AcceptSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        _require(roles.is_clerk(request.user))
        application = _official_application(request, public_id)
        form = s.AcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_accept(
            actor=request.user,
            application=application,
            deferrals=[
                services.Deferral(d["material"], d["due"]) for d in form.validated_data["deferrals"]
            ],
        )
        return _detail(_official_application(request, public_id), request.user)


class WindowReturn(APIView):
    @extend_schema(
        tags=["window"],
        summary="Return for correction, listing everything to correct",
        request=s.ReturnSerializer,
        responses=s.ApplicationDetailSerializer,
    )
    def post(self, request, public_id):
        _require(roles.is_clerk(request.user))
        application = _official_application(request, public_id)
        form = s.ReturnSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.application_return(
            actor=request.user,
            application=application,
            items=form.validated_data["items"],
            note=form.validated_data["note"],
        )
        return _detail(_official_application(request, public_id), request.user)


# --- department tasks -----------------------------------------------------------------


class _TaskList(generics.ListAPIView):
    queryset = DepartmentReview.objects.none()
    serializer_class = s.TaskSerializer
    filterset_class = filters.TaskFilter
    selector = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        _require(selectors.departments_reviewed_by(self.request.user).exists())
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
        application = _official_application(request, review.application.public_id)
        return Response(
            {
                "task": s.TaskSerializer(review).data,
                "application": _detail(application, request.user).data,
                "rejection_reasons": s.RejectionReasonSerializer(
                    selectors.rejection_reasons_for(review.department).select_related("department"),
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
        codes = form.validated_data["reasons"]
        catalogue = {
            r.code: r
            for r in selectors.rejection_reasons_for(review.department).filter(code__in=codes)
        }
        unknown = [c for c in codes if c not in catalogue]
        if unknown:
            raise exceptions.ValidationError(
                {
                    "reasons": [
                        _("%(dept)s gives no reason with the code %(code)s.")
                        % {"dept": review.department.name, "code": code}
                        for code in unknown
                    ]
                }
            )
        # No check for an open task here: the service tells a retry of this
        # reviewer's own decision (answered as before) from a second decision.
        services.review_complete(
            actor=request.user,
            review=review,
            approve=approve,
            reasons=services.compose_reasons(
                [catalogue[c] for c in codes], form.validated_data["note"]
            ),
        )
        return Response(s.TaskSerializer(_task(request, review_id)).data)


# --- permits ------------------------------------------------------------------------


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
        if "\x00" in number:  # in no permit's number, and PostgreSQL will not compare it
            raise exceptions.NotFound()
        permit = get_object_or_404(
            Permit.objects.select_related("application", "holder"), number=number
        )
        if not permits.can_download(request.user, permit):
            raise exceptions.NotFound()
        handle = None
        if permit.render_status == RenderStatus.RENDERED and permit.pdf:
            try:
                handle = permit.pdf.open("rb")
            except FileNotFoundError:
                logger.error("the PDF of permit %s is missing from storage", permit.number)
        if handle is None:
            wait = 60
            return Response(
                {
                    "status": 503,
                    "code": "not_ready",
                    "message": _("The PDF of this permit is being made. Try again in a minute."),
                    "retry_after": wait,
                },
                status=503,
                headers={"Retry-After": str(wait)},
            )
        return FileResponse(handle, filename=f"{permit.number}.pdf", content_type="application/pdf")


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


# --- reports ---------------------------------------------------------------------------


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
        _require(roles.is_supervisor(request.user))
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


# --- any other address under /api/ -------------------------------------------------------


@extend_schema(exclude=True)
class NoSuchEndpoint(APIView):
    """A path under /api/ that no endpoint matches, or whose id is not of the right
    form (a UUID, a number, a code): a 404 in the API's error shape, not the
    site's HTML page."""

    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(
            _(
                "No such address in the API, or an id in it is not of the right form: "
                "see /api/docs/."
            )
        )
