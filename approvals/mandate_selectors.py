"""The mandate pages' reads under their first name; they live in approvals.selectors.mandates.

Kept while the portal's and the review's mandate views import this path.
"""

from approvals.selectors.mandates import (
    MandateState,
    enterprise_represented,
    enterprises_with_mandates,
    for_display,
    mandate_granted_by_enterprise_of,
    mandate_state,
    mandates_for_clerk,
    mandates_held,
)

__all__ = [
    "MandateState",
    "enterprise_represented",
    "enterprises_with_mandates",
    "for_display",
    "mandate_granted_by_enterprise_of",
    "mandate_state",
    "mandates_for_clerk",
    "mandates_held",
]
