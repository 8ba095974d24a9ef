"""The default prefill sources: adapters over this project's copy of the shared data.

``settings.PREFILL_SOURCES`` names them by these paths
(``approvals.shared_data.EnterpriseRegistrySource``, ...). They implement the
interface of approvals.prefill, which imports none of them: the registry loads
whatever the setting lists.

- ``enterprises``: about an existing enterprise, by its credit code;
- ``establishment``: about one being established, by its name reservation.
"""

from approvals.shared_data.enterprises import (
    EnterpriseRegistrySource,
    InvestmentProjectSource,
    LicenceLibrarySource,
    SocialSecuritySource,
    TaxRegistrationSource,
)
from approvals.shared_data.establishment import (
    InvestorRecordsSource,
    LegalRepresentativeSource,
    NameReservationSource,
    PropertyRegistrySource,
)

__all__ = [
    "EnterpriseRegistrySource",
    "InvestmentProjectSource",
    "InvestorRecordsSource",
    "LegalRepresentativeSource",
    "LicenceLibrarySource",
    "NameReservationSource",
    "PropertyRegistrySource",
    "SocialSecuritySource",
    "TaxRegistrationSource",
]
