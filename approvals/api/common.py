"""What every endpoint of the API shares: pagination, throttles, and the one error
shape (documented in every operation by approvals.api.schema).

Every error, whatever raised it (a serializer, a service's ValidationError or
PermissionDenied, a lock that timed out, a throttle), leaves as

    {"status": 400, "code": "invalid", "message": "...", "fields": {"uscc": ["..."]}}

with ``fields`` present only when particular inputs are at fault, and
``retry_after`` (seconds, also in the Retry-After header) when trying again
later will help.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers, status, throttling
from rest_framework.response import Response

from approvals.clientaddr import counted_address
from approvals.errors import ApplicationBusy

# --- pagination ------------------------------------------------------------


def _whole_number(request, name: str) -> int | None:
    """A query parameter that must be a whole number of 1 or more, if sent at all."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    # isdigit() alone would let through "²" or "٣", which int() then reads or chokes on.
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise exceptions.ValidationError({name: [_("Send a whole number of 1 or more.")]})
    return int(raw)


class Pagination(pagination.PageNumberPagination):
    """?page=N&page_size=M, at most API_PAGE_SIZE_MAX rows a page.

    A page or page size that is not a whole number of 1 or more is refused
    (400), not quietly replaced by the first page or the default size: a
    client with a bug should hear about it.
    """

    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (at most 100: more is read as 100)."
    last_page_strings = ()  # the schema says a page is a number; "last" is not one

    @property
    def max_page_size(self):
        return settings.API_PAGE_SIZE_MAX

    def get_page_size(self, request):
        size = _whole_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        return _whole_number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


# --- throttles -------------------------------------------------------------
#
# Rates are read when a request comes, not when the class is defined, so a
# deployment (or a test) changes them through settings.API_THROTTLE_RATES.


class _SettingsRate:
    def get_rate(self):
        return settings.API_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        # DRF's own reading believes any X-Forwarded-For unless NUM_PROXIES is set: the
        # client address is the project's one answer (TRUSTED_PROXY_COUNT) instead.
        return counted_address(request) or ""


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Per user. An anonymous request is AnonThrottle's alone: counting it here too (DRF's
    default) would cost a second count in the shared cache for every such request."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class TokenThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Password guesses against /api/auth/token/, counted per client address."""

    scope = "token"


# --- the error shape -------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(
        help_text="invalid, not_authenticated, permission_denied, not_found, busy, "
        "throttled, method_not_allowed, unsupported_media_type, not_acceptable, parse_error"
    )
    message = serializers.CharField(help_text="What went wrong, for a person to act on.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per input field, when particular inputs are at fault.",
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="Seconds to wait before trying again."
    )


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [messages]}; nested keys joined by dots."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for i, inner in enumerate(value):
                walk(f"{prefix}.{i}", inner)
        else:
            out.setdefault(prefix or "non_field_errors", []).extend(_flatten(value))

    walk("", detail)
    return out


def _body(status_code: int, code: str, message: str, **extra) -> dict:
    return {"status": status_code, "code": code, "message": message, **extra}


def exception_handler(exc, context):
    """Every error in the one shape; nothing that reaches here becomes a 500."""
    if isinstance(exc, ApplicationBusy):
        wait = ApplicationBusy.retry_after_seconds
        return Response(
            _body(status.HTTP_409_CONFLICT, "busy", str(exc), retry_after=wait),
            status=status.HTTP_409_CONFLICT,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    # Imported here: rest_framework.views reads the throttle classes of this
    # module when it is first imported.
    from rest_framework.views import exception_handler as drf_exception_handler  # noqa: PLC0415 - see the comment above

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        if list(fields) == ["non_field_errors"]:
            body = _body(response.status_code, "invalid", " ".join(fields["non_field_errors"]))
        else:
            body = _body(
                response.status_code,
                "invalid",
                _("Some of the input is not valid: see the messages for each field."),
                fields=fields,
            )
    else:
        body = _body(
            response.status_code,
            code if isinstance(code, str) else "error",
            " ".join(_flatten(exc.detail)),
        )
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = math.ceil(exc.wait)
    response.data = body
    return response
