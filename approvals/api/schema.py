"""The OpenAPI schema's generator: drf-spectacular's, plus the error
responses every operation can give, in the API's one error shape."""

from __future__ import annotations

from drf_spectacular import openapi

from approvals.api.common import ErrorSerializer

_ERRORS = {
    "400": "The input is not valid; `fields` says which and why.",
    "401": "Not logged in: send a session cookie or `Authorization: Token <key>`.",
    "403": "Logged in, but this role may not do this.",
    "404": "No such object, or not one of yours.",
    "409": "Someone else is changing the same application: retry after `retry_after` seconds.",
    "429": "Too many requests: retry after `retry_after` seconds.",
}
# Only where the operation reads a body: a body of a media type it does not read.
_UNSUPPORTED_MEDIA_TYPE = "The body is not of a media type this operation reads."


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's generator, plus the error responses every operation can give."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = self.resolve_serializer(ErrorSerializer, direction).ref
        media = {"application/json": {"schema": error}}
        errors = dict(_ERRORS)
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            errors["415"] = _UNSUPPORTED_MEDIA_TYPE
        for code, description in sorted(errors.items()):
            responses.setdefault(code, {"description": description, "content": media})
        return responses
