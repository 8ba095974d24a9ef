"""What an investor can do against a refusal, and who decided it.

A refusal of an administrative licence must tell the applicant the remedies
(Administrative Licensing Law art. 38): administrative reconsideration within
60 days of learning of the decision (Administrative Reconsideration Law, 2023
revision, art. 20) or an administrative lawsuit within 6 months
(Administrative Procedure Law art. 46), and the body that decided. The page,
the mail, the API and the decision notice all take the text from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from approvals.models import REFUSED_STATUSES, Application, ReviewDecision

RECONSIDERATION_DAYS = 60
LAWSUIT_MONTHS = 6


@dataclass(frozen=True)
class Remedies:
    departments: tuple  # the departments that refused
    reconsideration_days: int
    lawsuit_months: int

    @property
    def deciding_bodies(self) -> list[str]:
        """Their names in the active language (read when rendered, not when made)."""
        return [department.name for department in self.departments]

    @property
    def decided_by(self) -> str:
        return _("%(departments)s, through the single window") % {
            "departments": _(", ").join(self.deciding_bodies) or _("The single window")
        }

    @property
    def reconsideration(self) -> str:
        return _(
            "You may apply for administrative reconsideration within 60 days of the day"
            " you learned of this decision (Administrative Reconsideration Law of the"
            " People's Republic of China, article 20)."
        )

    @property
    def lawsuit(self) -> str:
        return _(
            "Or you may bring an administrative lawsuit before a people's court within"
            " 6 months of that day (Administrative Procedure Law of the People's Republic"
            " of China, article 46)."
        )

    @property
    def text(self) -> str:
        decided = _("Decided by: %(bodies)s.") % {"bodies": self.decided_by}
        return "\n".join([decided, self.reconsideration, self.lawsuit])


def remedies_for(application: Application, reviews=None) -> Remedies | None:
    """The remedies of an application refused in whole or in part (None for any other), names in
    the active language.

    ``reviews``: the application's reviews with their departments, when the
    caller has them already (saves a query).
    """
    if application.status not in REFUSED_STATUSES:
        return None
    if reviews is None:
        reviews = application.reviews.select_related("department")
    return Remedies(
        departments=tuple(r.department for r in reviews if r.decision == ReviewDecision.REJECTED),
        reconsideration_days=RECONSIDERATION_DAYS,
        lawsuit_months=LAWSUIT_MONTHS,
    )
