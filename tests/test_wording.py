"""Words a reader notices: plural forms of counted days, and one Chinese
word per meaning where English uses the same one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from approvals import models as m
from approvals.review.filters import AuditFilter
from approvals.templatetags.counts import plural_count
from tests import journey


@pytest.mark.parametrize(
    ("value", "count"),
    [(1, 1), (Decimal("1.0"), 1), (2.0, 2), (Decimal("0.5"), 0), (1.5, 0), ("x", 0), (None, 0)],
)
def test_the_number_that_picks_the_plural_form(value, count):
    assert plural_count(value) == count


@pytest.mark.django_db
def test_one_working_day_is_singular_and_half_a_day_plural(client, world):
    m.Service.objects.filter(pk=world.service.pk).update(promised_limit_days=1)
    world.matters["market"].review_limit_days = Decimal("0.5")
    world.matters["market"].save()
    page = client.get(reverse("portal:service", args=[world.service.code])).content.decode()
    assert "review within 1 working day<" in page
    assert "review within 0.5 working days<" in page
    assert "1 working days" not in page
    listing = client.get(reverse("portal:services")).content.decode()
    assert "1 working days" not in listing


def test_the_decision_step_and_the_two_froms_have_their_own_chinese():
    with translation.override("zh-hans"):
        assert str(m.StepKind.DECISION.label) == "作出决定"
        assert str(m.DepartmentReview._meta.get_field("decision").verbose_name) == "审查意见"
        assert str(AuditFilter.base_filters["since"].label) == "起始日期"
        assert str(AuditFilter.base_filters["until"].label) == "截止日期"
        assert (
            translation.pgettext("where an action came from: address and channel", "From") == "来源"
        )


@pytest.mark.django_db
def test_the_clerks_default_due_date_counts_one_day_in_the_singular(client, world):
    app = journey.submitted(world)
    m.Material.objects.filter(service=world.service).update(deferral_days=1)
    client.force_login(world.clerk)
    page = client.get(reverse("review:window_application", args=[app.public_id]))
    text = page.content.decode()
    assert "Default: 1 working day from today" in text
    assert "1 working days" not in text
