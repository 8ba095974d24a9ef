"""Official screens: the window clerk, the department reviewers and the supervisors.

Why these are our own views and not viewflow's frontend: viewflow 2.4's
stock frontend (Site, FlowAppViewset) lists every process, and every task of
it, to anyone holding the model-wide view permission on the process model,
so department scoping cannot be trusted to it. The official screens are
therefore plain Django views over department-scoped selectors
(``approvals.selectors``), and every write goes through ``approvals.services``;
viewflow stays the engine underneath. A link viewflow makes to a task lands on
``approvals.workflow.task_views.TaskScreenView``, which sends the official here.

Scoping rule: an official looks an object up *in* the queryset a selector
gives for them; an application or review outside it is a 404 (not a 403), so
a guessed or copied URL does not even confirm that it exists. Role checks
(clerk, supervisor) come after scoping and answer 403.

One module per face of the office: ``window``, ``reviews``, ``supervision``,
``audit``, ``mandates`` (the window's register), ``files`` (uploaded
materials); ``lists`` holds what their lists share, and ``approvals.pages``
what every page answers alike (a refused form, contention, pagination).
"""

from approvals.review.views.audit import audit_export, audit_trail
from approvals.review.views.files import download_name, material_file
from approvals.review.views.mandates import mandate_list, mandate_new, mandate_revoke, mandate_scan
from approvals.review.views.reviews import review_detail, review_queue, review_take
from approvals.review.views.supervision import application_detail, overdue
from approvals.review.views.window import window_application, window_queue

__all__ = [
    "application_detail",
    "audit_export",
    "audit_trail",
    "download_name",
    "mandate_list",
    "mandate_new",
    "mandate_revoke",
    "mandate_scan",
    "material_file",
    "overdue",
    "review_detail",
    "review_queue",
    "review_take",
    "window_application",
    "window_queue",
]
