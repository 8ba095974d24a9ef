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


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's generator, plus the error responses every operation can give."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = self.resolve_serializer(ErrorSerializer, direction).ref
        media = {"application/json": {"schema": error}}
        for code, description in _ERRORS.items():
            responses.setdefault(code, {"description": description, "content": media})
        return responses
