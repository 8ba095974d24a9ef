"""What every page needs to know about the visitor: which faces of the window to show."""

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from approvals import representation, roles


class Roles:
    """The visitor's roles (approvals.roles), read with one query, and only if a page asks."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def _roles(self) -> roles.RoleSet:
        return roles.of(self._user)

    @property
    def investor(self) -> bool:
        return self._roles.investor

    @property
    def clerk(self) -> bool:
        return self._roles.clerk

    @property
    def supervisor(self) -> bool:
        return self._roles.supervisor

    @property
    def reviewer(self) -> bool:
        return self._roles.reviewer

    @property
    def official(self) -> bool:
        return self._roles.official

    @cached_property
    def unverified_investor(self) -> bool:
        """An investor whose identity is not verified yet: the banner sends them to verify."""
        return self.investor and not representation.is_verified(self._user)


def roles_of_visitor(request):
    # An error page can be rendered for a request the authentication middleware
    # never saw (a bad Host header is refused before it): that visitor is anonymous.
    user = getattr(request, "user", None)
    if user is None:
        user = AnonymousUser()
    return {"roles": Roles(user), "target_days": settings.BENCHMARK_TARGET_DAYS}
