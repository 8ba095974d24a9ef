"""The rejection reasons a department may give: the one statement of the rule.

A department rejects with reasons from the catalogue (``RejectionReason``):
its own and the general ones (no department), those still in use. The review
screen's form, the API and the services ask here, so a reason refused in one
place is refused in all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from approvals.models import Department, RejectionReason


def offered_by(department: Department) -> QuerySet[RejectionReason]:
    """The catalogue reasons `department` may give: its own first, then the general ones."""
    return RejectionReason.objects.filter(
        Q(department__isnull=True) | Q(department=department), is_active=True
    ).order_by(F("department_id").asc(nulls_last=True), "code")


def chosen(department: Department, codes: Sequence[str]) -> list[RejectionReason]:
    """The reasons named by `codes`, in the order given, if `department` may give each.

    Raises ValidationError on "reasons", one message for each code the
    department may not give (another department's, one no longer in use, or
    none at all), so the reviewer can correct every one at once.
    """
    catalogue = {r.code: r for r in offered_by(department).filter(code__in=codes)}
    unknown = [code for code in codes if code not in catalogue]
    if unknown:
        raise ValidationError(
            {
                "reasons": [
                    _("%(dept)s gives no reason with the code %(code)s.")
                    % {"dept": department.name, "code": code}
                    for code in unknown
                ]
            }
        )
    return [catalogue[code] for code in codes]
