"""Public permit verification (no login), and the permit PDF for those entitled to it.

Every answer about a token, HTML or JSON, comes from
``approvals.permits.verify_token``; these views only read input and present
the outcome. A verification that cannot be answered for a reason the
visitor caused gets a message, never a 500.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_ratelimit.decorators import ratelimit

from approvals import permits
from approvals.clientaddr import counted_address
from approvals.verification.forms import VerifyForm

logger = logging.getLogger(__name__)


def _verify_rate(group, request) -> str:
    return settings.VERIFY_RATE_LIMIT


def _client_key(group, request) -> str:
    # The address every limit counts by (approvals.clientaddr), not django-ratelimit's own
    # reading of the request.
    return counted_address(request) or ""


def rate_limited(view):
    """At most VERIFY_RATE_LIMIT checks per client address (django-ratelimit):
    verifying is public, and a PDF upload costs real work to read."""

    @functools.wraps(view)
    @ratelimit(key=_client_key, rate=_verify_rate, method=ratelimit.ALL, block=False)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "limited", False):
            if _wants_json(request):
                response = JsonResponse({"error": "too many requests"}, status=429)
            else:
                response = render(request, "verification/too_many.html", status=429)
            response["Retry-After"] = "60"
            return response
        return view(request, *args, **kwargs)

    return wrapper


def _wants_json(request) -> bool:
    if request.GET.get("format") == "json":
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _unavailable(request, as_json: bool) -> HttpResponse:
    # The signing key is missing or broken: an operator's problem, said plainly.
    if as_json:
        return JsonResponse({"error": "verification unavailable"}, status=503)
    return render(request, "verification/unavailable.html", status=503)


# Every key of the machine answer that describes the permit (None when no permit is shown).
FACT_KEYS = (
    "number",
    "holder",
    "holder_en",
    "uscc",
    "enterprise_type",
    "legal_representative",
    "registered_capital",
    "address",
    "scope",
    "permit_status",
    "issued",
    "valid_until",
    "revoked_at",
)


def _facts(verification: permits.Verification) -> dict:
    permit = verification.permit
    if permit is None:
        return {}
    matter = permit.matter.matter
    # As the permit states them (the snapshot taken at the decision), so that a
    # doctored PDF carrying a genuine code is caught by comparing. Never the
    # legal representative's identity number.
    stated = permit.stated
    capital_zh, capital_en = permits.capital_text(stated["registered_capital"])
    return {
        "number": permit.number,
        "permit_name_zh": matter.outcome_name_zh,
        "permit_name_en": matter.outcome_name_en,
        "holder": stated["name_zh"],
        "holder_en": stated["name_en"],
        "uscc": permit.holder.uscc,
        "enterprise_type": stated["enterprise_type"],
        "legal_representative": stated["legal_representative"],
        "registered_capital": stated["registered_capital"],
        "registered_capital_zh": capital_zh,
        "registered_capital_en": capital_en,
        "address": stated["address"],
        "scope": permit.scope,
        "permit_status": permit.status,
        "service_zh": permit.application.service.name_zh,
        "service_en": permit.application.service.name_en,
        "issued": permit.valid_from.isoformat(),
        "valid_until": permit.valid_until.isoformat() if permit.valid_until else None,
        "revoked_at": (
            timezone.localtime(permit.revoked_at).isoformat() if permit.revoked_at else None
        ),
    }


def verification_body(verification: permits.Verification) -> dict:
    """The answer for machines: here as JSON, and the API's verify endpoint."""
    label_zh, label_en, message_zh, message_en = verification.text
    return {
        "status": verification.status,
        "label_zh": label_zh,
        "label_en": label_en,
        "message_zh": message_zh,
        "message_en": message_en,
        **dict.fromkeys(FACT_KEYS, None),
        **_facts(verification),
    }


def _respond(request, verification, *, upload: dict | None = None) -> HttpResponse:
    label_zh, label_en, message_zh, message_en = verification.text
    if _wants_json(request):
        body = verification_body(verification)
        if upload is not None:
            body["file_is_issued_original"] = upload["is_original"]
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(
            request,
            "verification/result.html",
            {
                "verification": verification,
                "status": verification.status,
                "label_zh": label_zh,
                "label_en": label_en,
                "message_zh": message_zh,
                "message_en": message_en,
                "facts": _facts(verification),
                "upload": upload,
            },
        )
    # Verification pages are answers about one document, not content to index.
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited
def verify(request):
    """The form: paste a code or a link, or upload the PDF."""
    if request.method == "GET":
        return render(request, "verification/verify.html", {"form": VerifyForm()})
    form = VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "verification/verify.html", {"form": form}, status=400)
    if form.cleaned_data.get("code"):
        return redirect("verification:check", token=form.cleaned_data["code"])
    try:
        verification = permits.verify_token(form.document_token)
    except permits.SigningKeyMissing:
        logger.exception("permit verification is not configured")
        return _unavailable(request, _wants_json(request))
    permit = verification.permit
    upload = {
        "name": form.cleaned_data["document"].name,
        "is_original": bool(permit and permits.is_issued_file(permit, form.document_data)),
    }
    return _respond(request, verification, upload=upload)


@never_cache
@vary_on_headers("Accept")
@require_GET
@rate_limited
def check(request, token: str):
    """What the QR code opens: the outcome for one token, as HTML or JSON."""
    try:
        verification = permits.verify_token(token)
    except permits.SigningKeyMissing:
        logger.exception("permit verification is not configured")
        return _unavailable(request, _wants_json(request))
    return _respond(request, verification)


@require_GET
def public_key(request):
    """The key that checks every permit signature, for verifying offline."""
    try:
        pem = permits.public_key_pem()
    except permits.SigningKeyMissing:
        logger.exception("permit verification is not configured")
        return HttpResponse("verification unavailable\n", status=503, content_type="text/plain")
    return HttpResponse(pem, content_type="application/x-pem-file")


@never_cache
@login_required
@require_GET
def permit_download(request, number: str):
    """The permit PDF, for the applicant, the officials involved, clerks and supervisors."""
    return permits.pdf_response(
        request.user, number, not_ready=functools.partial(_pdf_pending, request)
    )


def _pdf_pending(request, permit, retry_after: int) -> HttpResponse:
    """The page saying the PDF is being made (its status and Retry-After: permits.access)."""
    return render(request, "verification/pdf_pending.html", {"permit": permit})
