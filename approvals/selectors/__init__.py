"""Reads: tuned querysets and the figures derived from the ledger.

A list costs a fixed number of queries whatever its length; who may see
what is decided by the querysets themselves.

- ``catalogue``: the public guide, decision times, rejection reasons;
- ``ledger``: materials reused or handed in, who held the clock and how long;
- ``values``: an application's values in the sources' order, or as a subquery;
- ``portal``: an applicant's own applications and their parts;
- ``office``: the window's queue, the departments' reviews, the supervisors' lists;
- ``screens``: what every official screen shows about one application;
- ``mandates``: the mandate pages, and where a mandate stands.
"""

from approvals.selectors.bundles import expected_completion_of, matters_of
from approvals.selectors.catalogue import (
    departments_all,
    departments_deciding,
    median_decision_days,
    service_guide,
)
from approvals.selectors.ledger import (
    SUBMITTED_WAYS,
    ClockSummary,
    MaterialsSummary,
    application_clock,
    application_expected_completion,
    application_materials_summary,
    materials_avoided_by_service,
)
from approvals.selectors.office import (
    applications_for_official,
    audit_trail,
    department_reviews_for,
    departments_reviewed_by,
    escalations,
    material_file_for,
    overdue_deferred_materials,
    overdue_reviews,
    review_inbox,
    review_queue,
    reviews_for_reviewer,
    window_queue,
)
from approvals.selectors.portal import (
    application_corrections,
    application_materials,
    application_of,
    application_reviews,
    application_timeline,
    applications_for_list,
    applications_of,
    represents_enterprise,
)
from approvals.selectors.screens import ApplicationScreen, application_screen
from approvals.selectors.values import application_values

__all__ = [
    "expected_completion_of",
    "matters_of",
    "SUBMITTED_WAYS",
    "ApplicationScreen",
    "ClockSummary",
    "MaterialsSummary",
    "application_clock",
    "application_corrections",
    "application_expected_completion",
    "application_materials",
    "application_materials_summary",
    "application_of",
    "application_reviews",
    "application_screen",
    "application_timeline",
    "application_values",
    "applications_for_list",
    "applications_for_official",
    "applications_of",
    "audit_trail",
    "department_reviews_for",
    "departments_all",
    "departments_deciding",
    "departments_reviewed_by",
    "escalations",
    "material_file_for",
    "materials_avoided_by_service",
    "median_decision_days",
    "overdue_deferred_materials",
    "overdue_reviews",
    "represents_enterprise",
    "review_inbox",
    "review_queue",
    "reviews_for_reviewer",
    "service_guide",
    "window_queue",
]
