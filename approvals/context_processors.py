"""What every page needs to know about the visitor: which faces of the window to show."""

from functools import cached_property

from django.conf import settings

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


def roles(request):
    return {"roles": Roles(request.user), "target_days": settings.BENCHMARK_TARGET_DAYS}
