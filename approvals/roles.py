"""Who is who: the one definition of each role of the single window.

A role is held through a group: the investors' group, the window clerks'
group (it grants ``approvals.accept_application``), the supervisors' group
(``approvals.supervise``) and one reviewer group per department (linked from
``Department.reviewer_group``). A superuser holds every official role. What
a permission held by the user alone (not through a group) grants is not a
role: the services, the pages, the API and the flow's window task all read
the roles from here, so they cannot disagree.

The roles of a user are read with one query and kept on the user object for
the request, so a page that asks five questions pays once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

INVESTOR_GROUP = "investor"
CLERK_GROUP = "window_clerk"
SUPERVISOR_GROUP = "supervisor"

ACCEPT_PERMISSION = "approvals.accept_application"
SUPERVISE_PERMISSION = "approvals.supervise"

# The permissions each role group grants. Officials also open viewflow's
# inbox and task lists; those permissions come from apps the catalogue does
# not own, so a missing one is skipped (see ensure_role_groups).
ROLE_PERMISSIONS = {
    INVESTOR_GROUP: (),
    CLERK_GROUP: (ACCEPT_PERMISSION,),
    SUPERVISOR_GROUP: (SUPERVISE_PERMISSION,),
}
INBOX_PERMISSIONS = ("viewflow.view_process", "approvals.view_applicationprocess")

_CACHE_ATTRIBUTE = "_hw_roles"


@dataclass(frozen=True)
class RoleSet:
    """What one user is, read once."""

    groups: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    departments: frozenset[str] = field(default_factory=frozenset)
    superuser: bool = False

    @property
    def investor(self) -> bool:
        return INVESTOR_GROUP in self.groups

    @property
    def clerk(self) -> bool:
        return self.superuser or ACCEPT_PERMISSION in self.permissions

    @property
    def supervisor(self) -> bool:
        return self.superuser or SUPERVISE_PERMISSION in self.permissions

    @property
    def reviewer(self) -> bool:
        return bool(self.departments)

    @property
    def official(self) -> bool:
        """Clerks, supervisors and department reviewers: they decide, they do not apply."""
        return self.clerk or self.supervisor or self.reviewer

    def reviews_for(self, department_code: str | None) -> bool:
        return bool(department_code) and department_code in self.departments


NOBODY = RoleSet()


def of(user) -> RoleSet:
    """The roles of `user` (anonymous: none), cached on the user object."""
    if not (user and user.is_authenticated and user.is_active):
        return NOBODY
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    groups, permissions, departments = set(), set(), set()
    rows = Group.objects.filter(user=user).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename", "department__code"
    )
    for name, app_label, codename, department in rows:
        groups.add(name)
        if codename:
            permissions.add(f"{app_label}.{codename}")
        if department:
            departments.add(department)
    roles = RoleSet(
        groups=frozenset(groups),
        permissions=frozenset(permissions),
        departments=frozenset(departments),
        superuser=user.is_superuser,
    )
    setattr(user, _CACHE_ATTRIBUTE, roles)
    return roles


def is_investor(user) -> bool:
    return of(user).investor


def is_clerk(user) -> bool:
    return of(user).clerk


def is_supervisor(user) -> bool:
    return of(user).supervisor


def is_reviewer(user) -> bool:
    return of(user).reviewer


def is_department_reviewer(user, department_code: str | None) -> bool:
    return of(user).reviews_for(department_code)


def is_official(user) -> bool:
    return of(user).official


def supervisors():
    """The active accounts that receive the supervisors' mail."""
    app_label, codename = SUPERVISE_PERMISSION.split(".", 1)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__permissions__content_type__app_label=app_label,
            groups__permissions__codename=codename,
        )
        .distinct()
    )


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def ensure_role_groups(*, reviewer_groups=()) -> dict[str, Group]:
    """The role groups with the permissions they grant (idempotent); officials'
    groups, and the given department reviewer groups, also open the inbox.

    Raises LookupError when a role's own permission does not exist (run migrate).
    """
    inbox = [p for p in map(_permission, INBOX_PERMISSIONS) if p is not None]
    made = {}
    for name, dotted_names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = []
        for dotted in dotted_names:
            perm = _permission(dotted)
            if perm is None:
                raise LookupError(f"Permission {dotted} does not exist: run migrate first.")
            perms.append(perm)
        if name != INVESTOR_GROUP:
            perms.extend(inbox)
        group.permissions.add(*perms)
        made[name] = group
    for group in reviewer_groups:
        group.permissions.add(*inbox)
    return made
