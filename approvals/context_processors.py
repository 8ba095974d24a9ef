"""What every page needs to know about the visitor: which faces of the window to show."""

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from approvals import representation, roles


class Roles:
    """The visitor's roles for the templates: approvals.roles, read with one query and
    only if a page asks (``roles.clerk``, ``roles.supervisor``, ``roles.reviewer``,
    ``roles.investor``, ``roles.official``), and whether the banner asks to verify."""

    def __init__(self, user):
        self._user = user

    def __getattr__(self, name):
        # Only for what is not defined here: the role questions of the RoleSet.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(roles.of(self._user), name)

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
