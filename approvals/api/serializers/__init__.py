"""How the API shows things and reads input, one module per area.

Output serializers only present what the selectors return; input
serializers only parse. The rules (who may, what is valid in context) are
the services', so the API and the pages cannot disagree. The views use
``from approvals.api import serializers as s``: every serializer is named here.

- ``catalogue``: services, departments, materials, rejection reasons;
- ``drafts``: the prefill preview and what an applicant sends;
- ``applications``: list rows and an application's detail;
- ``office``: the window's queue and decisions, the departments' tasks;
- ``permits``: a permit on its application, and a verification;
- ``reports``: the approval-time report.
"""

from approvals.api.serializers.applications import (
    ApplicationDetailSerializer,
    ApplicationListSerializer,
    ApplicationMaterialSerializer,
    ClockSerializer,
    CorrectionSerializer,
    RemediesSerializer,
    ReviewProgressSerializer,
    StepSerializer,
    ValueSerializer,
)
from approvals.api.serializers.catalogue import (
    DepartmentSerializer,
    MaterialSerializer,
    RejectionReasonSerializer,
    ServiceDetailSerializer,
    ServiceSerializer,
    ThingMatterSerializer,
)
from approvals.api.serializers.drafts import (
    AnswerSerializer,
    ApplicationCreateSerializer,
    CodeRelatedField,
    CommitmentSerializer,
    PrefillPreviewSerializer,
    PreviewSourceSerializer,
    PreviewValueSerializer,
    UploadSerializer,
    ValuesUpdateSerializer,
)
from approvals.api.serializers.office import (
    AcceptSerializer,
    DeferralSerializer,
    ReturnSerializer,
    TaskDecisionSerializer,
    TaskDetailSerializer,
    TaskSerializer,
    WindowRowSerializer,
)
from approvals.api.serializers.permits import (
    PermitFactsSerializer,
    PermitSummarySerializer,
    VerificationSerializer,
)
from approvals.api.serializers.reports import (
    ReportQuerySerializer,
    ReportRowSerializer,
    ReportSerializer,
)

__all__ = [
    "AcceptSerializer",
    "AnswerSerializer",
    "ApplicationCreateSerializer",
    "ApplicationDetailSerializer",
    "ApplicationListSerializer",
    "ApplicationMaterialSerializer",
    "ClockSerializer",
    "CodeRelatedField",
    "CommitmentSerializer",
    "CorrectionSerializer",
    "DeferralSerializer",
    "DepartmentSerializer",
    "MaterialSerializer",
    "PermitFactsSerializer",
    "PermitSummarySerializer",
    "PrefillPreviewSerializer",
    "PreviewSourceSerializer",
    "PreviewValueSerializer",
    "RejectionReasonSerializer",
    "RemediesSerializer",
    "ReportQuerySerializer",
    "ReportRowSerializer",
    "ReportSerializer",
    "ReturnSerializer",
    "ReviewProgressSerializer",
    "ThingMatterSerializer",
    "ServiceDetailSerializer",
    "ServiceSerializer",
    "StepSerializer",
    "TaskDecisionSerializer",
    "TaskDetailSerializer",
    "TaskSerializer",
    "UploadSerializer",
    "ValueSerializer",
    "ValuesUpdateSerializer",
    "VerificationSerializer",
    "WindowRowSerializer",
]
