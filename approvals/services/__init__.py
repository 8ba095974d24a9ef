"""Writes: every change to an application goes through a service here.

Each service checks the acting user's right itself (viewflow's transitions
do not), validates before it writes, and writes in one transaction, so a
rejected call leaves nothing half-written. Views and the API call them; the
flow's nodes call ``approvals.engine`` instead, which knows nothing of these.

One module per area; the names below are the ones pages, the API, commands
and scripts use, so they import ``services`` and call ``services.x``.
"""

from approvals.services.drafts import (
    Opened,
    application_create,
    application_open,
    application_prefill,
)
from approvals.services.flowtasks import task_assign
from approvals.services.licences import permit_revoke
from approvals.services.materials import (
    application_completeness_errors,
    is_deliverable,
    material_commit,
    material_defer,
    material_upload,
)
from approvals.services.reviews import compose_reasons, review_complete
from approvals.services.values import application_values_update
from approvals.services.window import (
    Deferral,
    application_accept,
    application_resubmit,
    application_return,
    application_submit,
    application_withdraw,
)

__all__ = [
    "Deferral",
    "Opened",
    "application_accept",
    "application_completeness_errors",
    "application_create",
    "application_open",
    "application_prefill",
    "application_resubmit",
    "application_return",
    "application_submit",
    "application_values_update",
    "application_withdraw",
    "compose_reasons",
    "is_deliverable",
    "material_commit",
    "material_defer",
    "material_upload",
    "permit_revoke",
    "review_complete",
    "task_assign",
]
