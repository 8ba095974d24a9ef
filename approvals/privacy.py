"""Personal data on screens: resident identity numbers, masked unless needed.

Who needs a legal representative's identity number in full: the applicant
(their own filing, which they confirm) and the window clerk (who checks the
identity at acceptance). Department reviewers and supervisors see it masked
(``460100********1234``). Every unmasked view by someone other than the
applicant is written to the audit trail, so a supervisor can see who looked.
Pages and the API get their values through :func:`present_values` (via
``selectors.application_screen``), so both mask alike.
"""

from __future__ import annotations

from approvals import audit, prefill
from approvals.identifiers import mask_resident_id
from approvals.models import Application, AuditAction, PrefilledValue


def sensitive_fields() -> set[str]:
    return {key for key, (spec, _src) in prefill.field_specs().items() if spec.sensitive}


def sees_identity_numbers(viewer, application: Application) -> bool:
    from approvals.services import is_clerk

    if not (viewer is not None and viewer.is_authenticated):
        return False
    return application.applicant_id == viewer.pk or is_clerk(viewer)


def present_values(
    values: list[PrefilledValue], *, viewer, application: Application
) -> list[PrefilledValue]:
    """The values as `viewer` may see them. Masks in memory only: never save them."""
    sensitive = sensitive_fields()
    held = [v for v in values if v.field in sensitive and (v.value or v.source_value)]
    if not held:
        return values
    if sees_identity_numbers(viewer, application):
        if viewer.pk != application.applicant_id:
            audit.record(
                actor=viewer,
                application=application,
                action=AuditAction.IDENTITY_VIEWED,
                fields=sorted(v.field for v in held),
            )
        return values
    for value in held:
        value._corrected = value.corrected
        value.value = mask_resident_id(value.value)
        value.source_value = mask_resident_id(value.source_value)
        value.masked = True
    return values
