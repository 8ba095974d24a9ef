"""The domain's tables, one module per part of the domain."""

from .applications import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    ActingAs,
    Application,
    ApplicationMaterial,
    ApplicationProcess,
    ApplicationStatus,
    CorrectionRequest,
    DepartmentReview,
    Escalation,
    FiledAs,
    PrefilledValue,
    ReviewDecision,
    SatisfiedBy,
    ValueState,
)
from .audit import AuditAction, AuditEntry
from .calendar import CalendarNotice
from .catalog import Department, Material, RejectionReason, Service, ServiceDepartment
from .identity import Agency, Identity, IdentityStatus, Mandate, MandateOrigin
from .ledger import INVESTOR_STEPS, ClockHolder, ClockInterval, Step, StepKind
from .notifications import Notification
from .permits import Permit, PermitStatus
from .shared_data import (
    Enterprise,
    EnterpriseStatus,
    InvestmentProject,
    Licence,
    LicenceStatus,
    Person,
    SocialSecurityRegistration,
    TaxRegistration,
)

__all__ = [
    "ActingAs",
    "Agency",
    "Identity",
    "IdentityStatus",
    "Mandate",
    "MandateOrigin",
    "Person",
    "FINAL_STATUSES",
    "INVESTOR_STEPS",
    "OPEN_STATUSES",
    "Application",
    "AuditAction",
    "AuditEntry",
    "CalendarNotice",
    "ApplicationMaterial",
    "ApplicationProcess",
    "ApplicationStatus",
    "ClockHolder",
    "ClockInterval",
    "CorrectionRequest",
    "Department",
    "DepartmentReview",
    "Enterprise",
    "EnterpriseStatus",
    "Escalation",
    "FiledAs",
    "InvestmentProject",
    "Licence",
    "LicenceStatus",
    "Material",
    "Notification",
    "Permit",
    "PermitStatus",
    "PrefilledValue",
    "RejectionReason",
    "ReviewDecision",
    "SatisfiedBy",
    "Service",
    "ServiceDepartment",
    "SocialSecurityRegistration",
    "Step",
    "StepKind",
    "TaxRegistration",
    "ValueState",
]
