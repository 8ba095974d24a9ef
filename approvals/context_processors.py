"""What every page needs to know about the visitor: which faces of the window to show."""

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from approvals import representation
from approvals.models import Department
from approvals.services import CLERK_GROUP, INVESTOR_GROUP, SUPERVISOR_GROUP


class Roles:
    """The visitor's roles, read with one query, and only if a page asks."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def _groups(self) -> set[str]:
        if not self._user.is_authenticated:
            return set()
        return set(self._user.groups.values_list("name", flat=True))

    @property
    def investor(self) -> bool:
        return INVESTOR_GROUP in self._groups

    @property
    def clerk(self) -> bool:
        return CLERK_GROUP in self._groups

    @property
    def supervisor(self) -> bool:
        return SUPERVISOR_GROUP in self._groups

    @property
    def reviewer(self) -> bool:
        return any(g.startswith(Department.GROUP_PREFIX) for g in self._groups)

    @property
    def official(self) -> bool:
        return self.clerk or self.supervisor or self.reviewer

    @cached_property
    def unverified_investor(self) -> bool:
        """An investor whose identity is not verified yet: the banner sends them to verify."""
        return self.investor and not representation.is_verified(self._user)


def roles(request):
    # An error page can be rendered for a request the authentication middleware
    # never saw (a bad Host header is refused before it): that visitor is anonymous.
    user = getattr(request, "user", None)
    if user is None:
        user = AnonymousUser()
    return {"roles": Roles(user), "target_days": settings.BENCHMARK_TARGET_DAYS}
