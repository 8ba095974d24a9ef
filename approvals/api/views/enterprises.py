"""What the government holds about an enterprise, shown to those who act for it
(the prefill preview), with identity numbers masked unless they are the reader's own."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import audit, prefill, privacy, representation, selectors
from approvals.api import serializers as s
from approvals.identifiers import normalize_uscc, validate_uscc
from approvals.models import AuditAction


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
