"""The API's endpoints, one module per area. Each reads input, calls the
selectors (what the user may see) and the services (what the user may do) the
pages call, and presents the result; none decides a rule itself.

Objects a user may not see are looked up *in* the selector's queryset, so
someone else's application, task or permit is a 404, never a 403 that
would confirm it exists (approvals.api.views.scope).
"""

from approvals.api.views.applications import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX,
    ApplicationDetail,
    ApplicationList,
    ApplicationResubmit,
    ApplicationSubmit,
    ApplicationWithdraw,
)
from approvals.api.views.catalogue import ServiceDetail, ServiceList
from approvals.api.views.enterprises import PrefillPreview
from approvals.api.views.materials import MaterialCommitment, MaterialDeferral, MaterialUpload
from approvals.api.views.notfound import NoSuchEndpoint
from approvals.api.views.permits import PermitPdf, PermitVerify, Unavailable
from approvals.api.views.reports import ApprovalReport
from approvals.api.views.reviews import TaskAssign, TaskComplete, TaskDetail, TaskInbox, TaskQueue
from approvals.api.views.tokens import (
    AuthToken,
    IssuedToken,
    LockedOut,
    TokenView,
    TooManyWrongCodes,
)
from approvals.api.views.window import WindowAccept, WindowApplication, WindowQueue, WindowReturn

__all__ = [
    "IDEMPOTENCY_HEADER",
    "IDEMPOTENCY_KEY_MAX",
    "ApplicationDetail",
    "ApplicationList",
    "ApplicationResubmit",
    "ApplicationSubmit",
    "ApplicationWithdraw",
    "ApprovalReport",
    "AuthToken",
    "IssuedToken",
    "LockedOut",
    "MaterialCommitment",
    "MaterialDeferral",
    "MaterialUpload",
    "NoSuchEndpoint",
    "PermitPdf",
    "PermitVerify",
    "PrefillPreview",
    "ServiceDetail",
    "ServiceList",
    "TaskAssign",
    "TaskComplete",
    "TaskDetail",
    "TaskInbox",
    "TaskQueue",
    "TokenView",
    "TooManyWrongCodes",
    "Unavailable",
    "WindowAccept",
    "WindowApplication",
    "WindowQueue",
    "WindowReturn",
]
