"""One definition of each role (approvals.roles), read by services, pages, API and flow alike."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import roles, services
from approvals.flows import SingleWindowFlow
from approvals.models import ApplicationStatus
from tests import factories as f
from tests import journey


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_each_role_of_the_world_reads_as_its_group_says(world):
    assert roles.is_clerk(world.clerk) and not roles.is_supervisor(world.clerk)
    assert roles.is_supervisor(world.supervisor) and not roles.is_clerk(world.supervisor)
    reviewer = world.reviewers["market"]
    assert roles.is_reviewer(reviewer) and roles.is_department_reviewer(reviewer, "market")
    assert not roles.is_department_reviewer(reviewer, "tax")
    assert roles.is_investor(world.investor) and not roles.is_official(world.investor)
    assert all(roles.is_official(u) for u in (world.clerk, world.supervisor, reviewer))


def test_the_roles_of_a_user_cost_one_query_however_many_questions(world):
    clerk = _fresh(world.clerk)
    with CaptureQueriesContext(connection) as captured:
        answers = [
            roles.is_clerk(clerk),
            roles.is_supervisor(clerk),
            roles.is_official(clerk),
            roles.is_reviewer(clerk),
            roles.is_department_reviewer(clerk, "market"),
            roles.is_investor(clerk),
        ]
    assert answers == [True, False, True, False, False, False]
    assert len(captured) == 1


def test_a_superuser_is_an_official_everywhere_not_a_clerk_to_one_check_only(world):
    admin = f.UserFactory(username="root", is_superuser=True, is_staff=True)
    assert roles.is_clerk(admin) and roles.is_supervisor(admin) and roles.is_official(admin)
    # An official does not apply: the same answer the services give.
    with pytest.raises(PermissionDenied):
        services.application_open(
            applicant=admin, service=world.service, uscc=world.enterprise.uscc
        )


def test_a_permission_held_outside_a_group_is_no_role_for_anyone(world, client):
    """The simulator's clerk once held accept_application on the account itself: a
    clerk to the services, not to the pages. Now nobody treats it as a role."""
    loner = f.UserFactory(username="loner")
    loner.user_permissions.add(Permission.objects.get(codename="accept_application"))
    loner = _fresh(loner)
    assert loner.has_perm("approvals.accept_application")  # Django's own answer
    assert not roles.is_clerk(loner)
    app = journey.submitted(world)
    with pytest.raises(PermissionDenied):
        services.application_accept(actor=loner, application=app)
    task = app.process.task_set.get(flow_task=SingleWindowFlow.accept)
    assert not SingleWindowFlow.accept.can_assign(loner, task)
    assert SingleWindowFlow.accept.can_assign(_fresh(world.clerk), task)
    client.force_login(loner)
    assert client.get("/office/window/").status_code == 403
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


def test_the_supervisors_mail_goes_to_the_supervisors_role_and_no_one_else(world):
    inactive = f.UserFactory(username="gone", groups=[roles.SUPERVISOR_GROUP], is_active=False)
    emails = set(roles.supervisors().values_list("email", flat=True))
    assert world.supervisor.email in emails
    assert inactive.email not in emails and world.clerk.email not in emails


def test_the_role_groups_are_made_once_and_grant_their_permissions(db):
    first = roles.ensure_role_groups()
    again = roles.ensure_role_groups()
    assert {g.pk for g in first.values()} == {g.pk for g in again.values()}
    clerk = f.UserFactory(username="c2", groups=[roles.CLERK_GROUP])
    assert roles.is_clerk(clerk)
