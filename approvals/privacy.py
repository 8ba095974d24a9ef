"""Personal data on screens: identity numbers, masked unless the viewer needs them.

Who needs a legal representative's identity number in full: that person
(it is their own number: the legal representative filing for their
enterprise) and the window clerk (who checks the identity at acceptance).
Everyone else sees it masked (``460100********1234``): an agent filing under
a mandate, department reviewers, supervisors; a stranger sees nothing at
all (approvals.representation). Every unmasked view, by anyone, is written to
the audit trail, so a supervisor can see who looked. Pages and the API get
their values through :func:`present_values` (via
``selectors.application_screen`` and the portal's page), so both mask alike;
the prefill preview masks through :func:`mask_held_value`.
"""

from __future__ import annotations

from approvals import audit, prefill, representation, roles
from approvals.identifiers import mask_document_number, normalize_document_number
from approvals.models import Application, AuditAction, PrefilledValue


def sensitive_fields() -> set[str]:
    return {key for key, (spec, _src) in prefill.field_specs().items() if spec.sensitive}


def is_own_number(viewer, number: str) -> bool:
    identity = representation.identity_of(viewer)
    return bool(
        number
        and identity is not None
        and identity.is_verified
        and identity.document_number == normalize_document_number(number)
    )


def sees_identity_numbers(viewer, application: Application, held: list[str] = ()) -> bool:
    """The clerk, or the person whose number every held one is."""
    if not (viewer is not None and viewer.is_authenticated):
        return False
    if held and all(is_own_number(viewer, number) for number in held):
        return True
    return roles.is_clerk(viewer)


def mask_held_value(viewer, number: str) -> str:
    """A held number as `viewer` may see it outside an application (the preview)."""
    return number if is_own_number(viewer, number) else mask_document_number(number)


def present_values(
    values: list[PrefilledValue], *, viewer, application: Application, shown: bool = True
) -> list[PrefilledValue]:
    """The values as `viewer` may see them. Masks in memory only: never save them.

    `shown=False` when the values are only compared with what was posted, not
    shown to anyone: then an unmasked read is not a view, and is not recorded."""
    sensitive = sensitive_fields()
    held = [v for v in values if v.field in sensitive and (v.value or v.source_value)]
    if not held:
        return values
    numbers = [n for v in held for n in (v.value, v.source_value) if n]
    if sees_identity_numbers(viewer, application, numbers):
        if not shown:
            return values
        audit.record(
            actor=viewer,
            application=application,
            action=AuditAction.IDENTITY_VIEWED,
            fields=sorted(v.field for v in held),
        )
        return values
    for value in held:
        value._corrected = value.corrected
        value.value = mask_document_number(value.value)
        value.source_value = mask_document_number(value.source_value)
        value.masked = True
    return values
