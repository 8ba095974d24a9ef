"""Public and investor pages, one module per area. Reads come from selectors,
writes from services.

``home`` (the front door and the service guide), ``drafts`` (apply, values,
prefill again), ``materials``, ``applications`` (the list, the page, submit,
resubmit, withdraw), ``representation`` (identity, my enterprises, mandates),
``notices``; ``page`` renders an application's one page and ``values`` saves
what was typed in it; ``approvals.pages`` holds what every page answers alike.
"""

from approvals.portal.views.applications import (
    application_check,
    application_detail,
    application_list,
    application_resubmit,
    application_submit,
    application_withdraw,
)
from approvals.portal.views.drafts import apply, prefill_retry, values_update
from approvals.portal.views.home import home, service_detail, service_list
from approvals.portal.views.materials import material_commit, material_defer, material_upload
from approvals.portal.views.notices import refusal_notice
from approvals.portal.views.representation import (
    enterprises,
    identity,
    mandate_grant,
    mandate_revoke,
    mandates_held,
)

__all__ = [
    "application_check",
    "application_detail",
    "application_list",
    "application_resubmit",
    "application_submit",
    "application_withdraw",
    "apply",
    "enterprises",
    "home",
    "identity",
    "mandate_grant",
    "mandate_revoke",
    "mandates_held",
    "material_commit",
    "material_defer",
    "material_upload",
    "prefill_retry",
    "refusal_notice",
    "service_detail",
    "service_list",
    "values_update",
]
