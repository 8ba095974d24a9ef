"""The typed values of a draft: checked by kind (amounts, counts, credit codes, identity numbers)
before they are kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from approvals import (
    audit,
    clock,
    prefill,
    printable,
)
from approvals.errors import busy_is_retryable
from approvals.identifiers import (
    mask_document_number,
    normalize_resident_id,
    validate_resident_id,
)
from approvals.models import (
    Application,
    ApplicationStatus,
    AuditAction,
    PrefilledValue,
)
from approvals.services.guards import require_owner

MAX_AMOUNT = Decimal("1e8")


# A count of people: more than any enterprise employs.
MAX_COUNT = 10_000_000
_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)} | {0xFF0C: ","}


def _validate_field_value(key: str, value: str) -> str:
    """The value as stored, or a ValidationError saying how to write it.

    The field's kind (approvals.prefill.FieldSpec.kind) decides the check, so
    every amount, count and date is read the same strict way.
    """
    value = value.strip()
    spec = prefill.field_specs().get(key, (None,))[0]
    kind = spec.kind if spec is not None else prefill.FieldKind.TEXT
    if not value:
        return value
    if kind == prefill.FieldKind.AMOUNT:
        return _validate_amount(value)
    if kind == prefill.FieldKind.INTEGER:
        return _validate_count(value)
    if kind == prefill.FieldKind.RESIDENT_ID:
        value = normalize_resident_id(value)
        validate_resident_id(value)
        return value
    if kind == prefill.FieldKind.DATE:
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    if len(value) > 2000:
        raise ValidationError(_("Keep this under 2,000 characters."))
    return value


def _validate_amount(value: str) -> str:
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError(
            _("Enter an amount in 10,000 CNY, for example 500 or 1200.50.")
        ) from exc
    # Decimal also reads "NaN", "Infinity" and "1e999999999" (a billion
    # digits once written out): none of them is an amount.
    if not amount.is_finite():
        raise ValidationError(_("Enter an amount in 10,000 CNY, for example 500 or 1200.50."))
    if amount <= 0:
        raise ValidationError(_("The amount must be greater than zero."))
    if amount >= MAX_AMOUNT:
        raise ValidationError(
            _("Enter the amount in 10,000 CNY: %(amount)s is more than any enterprise holds.")
            % {"amount": value}
        )
    if amount.as_tuple().exponent < -4:
        raise ValidationError(_("Give at most 4 decimal places (10,000 CNY)."))
    return format(amount, "f")


def _validate_count(value: str) -> str:
    # Full-width digits (from a Chinese input method) are read as digits;
    # anything else that int() or Decimal() would accept ("NaN", "-3", "1e3",
    # "٣", "²", "3.0") is not a count of people.
    digits = value.translate(_FULL_WIDTH_DIGITS).replace(",", "")
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(_("Enter a whole number of 0 or more, for example 12."))
    count = int(digits)
    if count >= MAX_COUNT:
        raise ValidationError(
            _("%(count)s is more than any enterprise employs: check the number.") % {"count": value}
        )
    return str(count)


@busy_is_retryable
def application_values_update(*, actor, application: Application, values: dict[str, str]) -> None:
    """Confirm or correct prefilled values, or fill the ones no source could give.

    A value that differs from what the government holds is kept as a
    correction and shown to the reviewers.
    """
    require_owner(actor, application)
    require_editable(application)
    rows = {v.field: v for v in application.values.all()}
    specs = prefill.field_specs()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for key, raw in values.items():
        if key not in rows:
            errors.setdefault(key, []).append(_("This application has no such field."))
            continue
        held = rows[key].value
        if specs[key][0].sensitive and held and raw == mask_document_number(held) != held:
            # The masked number an agent was shown, sent back: "unchanged".
            cleaned[key] = held
            continue
        try:
            cleaned[key] = _validate_field_value(key, str(raw or ""))
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
            continue
        # Refused here rather than printed as a box on the permit.
        missing = printable.unprintable(cleaned[key])
        if missing:
            errors.setdefault(key, []).append(printable.unprintable_message(missing))
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    changed = []
    for key, value in cleaned.items():
        row = rows[key]
        # Sending the same values again (a retried request) changes nothing.
        if row.value == value and row.confirmed_at is not None:
            continue
        row.value, row.confirmed_at = value, now
        changed.append(row)
    if not changed:
        return
    with transaction.atomic():
        PrefilledValue.objects.bulk_update(changed, ["value", "confirmed_at"])
        audit.record(
            actor=actor,
            application=application,
            action=AuditAction.VALUES_UPDATED,
            fields=sorted(row.field for row in changed),
            corrected=sorted(row.field for row in changed if row.corrected),
        )


def require_editable(application: Application) -> None:
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ValidationError(
            _("This application can no longer be changed (status: %(status)s).")
            % {"status": application.get_status_display()}
        )


# File types are told from the content, never from the name or the
# client's declared type.
