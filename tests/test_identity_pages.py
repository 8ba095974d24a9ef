"""The "Your identity" page, the banner that sends an unverified investor there, and
the apply page's refusals (an unverified account, a stranger to the enterprise)."""

import itertools

import pytest
from django.urls import reverse

from approvals import models as m
from approvals import realname
from approvals.roles import INVESTOR_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

IDENTITY = reverse("portal:identity")
_numbers = itertools.count(1)


def person_number() -> str:
    """A valid resident identity number (born 1990-01-01) that no factory enterprise names."""
    return f.resident_id(f"46010019900101{next(_numbers):03d}")


class DownSource(realname.IdentitySource):
    name = "down"
    label = "down"

    def confirms(self, claim):
        raise realname.IdentitySourceUnavailable


@pytest.fixture
def newcomer(world):
    """A fresh investor account, not verified, whose person the register holds."""
    user = f.UserFactory(username="newcomer", groups=[INVESTOR_GROUP])
    number = person_number()
    m.Person.objects.create(
        document_type="resident_id", document_number=number, name="赵六", nationality="CHN"
    )
    user.number = number
    return user


def claim(number, **changes):
    return {
        "name": "赵六",
        "document_type": "resident_id",
        "document_number": number,
        "nationality": "CHN",
        **changes,
    }


@pytest.mark.parametrize(
    "url",
    [
        IDENTITY,
        reverse("portal:enterprises"),
        reverse("portal:mandates"),
        reverse("portal:mandate_grant", args=["91460100MA0000001X"]),
        reverse("portal:mandate_revoke", args=["00000000-0000-0000-0000-000000000001"]),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_verified_identity_is_shown_with_its_number_masked(client, world, newcomer):
    client.force_login(newcomer)
    response = client.post(IDENTITY, claim(newcomer.number))
    assert response.status_code == 302
    identity = m.Identity.objects.get(user=newcomer)
    assert identity.status == m.IdentityStatus.VERIFIED
    assert m.AuditEntry.objects.filter(
        actor=newcomer, action=m.AuditAction.IDENTITY_VERIFIED
    ).exists()
    page = client.get(IDENTITY).content.decode()
    assert 'data-testid="identity-verified"' in page
    assert "赵六" in page
    assert "China (CHN)" in page
    assert identity.document_number_masked in page
    assert newcomer.number not in page
    assert 'data-testid="identity-form"' not in page


def test_after_verifying_the_person_goes_back_where_they_were(client, world, newcomer):
    client.force_login(newcomer)
    apply_url = reverse("portal:apply", args=[world.service.code])
    response = client.post(IDENTITY, {**claim(newcomer.number), "next": apply_url})
    assert response.url == apply_url
    response = client.post(IDENTITY, {**claim(person_number()), "next": "https://evil.test/"})
    assert response.status_code == 200  # verified already: the status page, no redirect off-site


def test_a_claim_the_register_does_not_confirm_keeps_what_was_typed(client, world, newcomer):
    client.force_login(newcomer)
    response = client.post(IDENTITY, claim(newcomer.number, name="赵七"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="赵七"' in page
    assert f'value="{newcomer.number}"' in page
    assert '<option value="CHN" selected>' in page
    assert "does not confirm" in page
    assert f"You have {realname.MAX_ATTEMPTS - 1} attempts left." in page
    assert m.Identity.objects.get(user=newcomer).status == m.IdentityStatus.REFUSED
    # Coming back later, the page offers what was typed last time.
    again = client.get(IDENTITY).content.decode()
    assert 'value="赵七"' in again


def test_a_malformed_number_is_refused_beside_its_field_and_nothing_is_written(
    client, world, newcomer
):
    client.force_login(newcomer)
    bad = newcomer.number[:-1] + ("0" if newcomer.number[-1] != "0" else "1")
    response = client.post(IDENTITY, claim(bad, nationality=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'value="{bad}"' in page
    assert 'id="id_document_number-errors"' in page
    assert 'href="#id_document_number"' in page  # the summary links to the field
    assert 'href="#id_nationality"' in page
    assert not m.Identity.objects.filter(user=newcomer).exists()


def test_an_unavailable_source_says_so_and_loses_nothing(client, world, newcomer, settings):
    settings.IDENTITY_SOURCE = "tests.test_identity_pages.DownSource"
    client.force_login(newcomer)
    response = client.post(IDENTITY, claim(newcomer.number))
    assert response.status_code == 503
    page = response.content.decode()
    assert "cannot answer at the moment" in page
    assert 'value="赵六"' in page
    assert f'value="{newcomer.number}"' in page
    # Not the person's fault: no attempt is counted, nothing is verified.
    assert not m.Identity.objects.filter(user=newcomer, attempts__gt=0).exists()
    assert not m.Identity.objects.filter(user=newcomer, status="verified").exists()


def test_attempts_used_up_disable_the_form(client, world, newcomer):
    client.force_login(newcomer)
    for _ in range(realname.MAX_ATTEMPTS):
        client.post(IDENTITY, claim(newcomer.number, name="错名"))
    response = client.post(IDENTITY, claim(newcomer.number))
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have 0 attempts left." in page
    assert 'data-testid="verify-identity" disabled' in page
    assert m.Identity.objects.get(user=newcomer).status == m.IdentityStatus.REFUSED


def test_the_banner_sends_an_unverified_investor_to_verify(client, world, newcomer):
    client.force_login(newcomer)
    page = client.get(reverse("portal:services")).content.decode()
    assert 'data-testid="verify-banner"' in page
    assert f'href="{IDENTITY}"' in page
    assert 'data-testid="verify-banner"' not in client.get(IDENTITY).content.decode()
    client.force_login(world.investor)
    page = client.get(reverse("portal:services")).content.decode()
    assert 'data-testid="verify-banner"' not in page


def test_the_navigation_links_in_both_languages(client, world):
    client.force_login(world.investor)
    english = client.get(reverse("portal:services")).content.decode()
    for label in ("My enterprises", "Mandates I hold", "Your identity"):
        assert label in english
    chinese = client.get(reverse("portal:services"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese = chinese.content.decode()
    for label in ("我的企业", "我持有的授权", "我的身份"):
        assert label in chinese


def test_an_unverified_account_is_refused_on_the_apply_page_with_a_link_to_verify(
    client, world, newcomer
):
    client.force_login(newcomer)
    url = reverse("portal:apply", args=[world.service.code])
    response = client.post(url, {"uscc": world.enterprise.uscc, "filed_as": "investor"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Verify your identity first" in page
    assert 'data-testid="go-verify"' in page
    assert f'value="{world.enterprise.uscc}"' in page  # what was typed is kept
    assert world.enterprise.name_zh not in page
    assert not m.Application.objects.exists()


def test_a_stranger_is_refused_on_the_apply_page_and_sees_no_held_value(client, world):
    client.force_login(world.other_investor)
    url = reverse("portal:apply", args=[world.service.code])
    response = client.post(url, {"uscc": world.enterprise.uscc, "filed_as": "agent"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "grant you a mandate" in page
    assert 'data-testid="go-verify"' not in page
    assert f'value="{world.enterprise.uscc}"' in page
    assert world.enterprise.name_zh not in page
    assert world.enterprise.legal_representative_id not in page
    assert not m.Application.objects.exists()
    assert not m.AuditEntry.objects.filter(actor=world.other_investor).exists()


def test_the_apply_page_takes_the_code_from_mandates_i_hold(client, world):
    client.force_login(world.investor)
    url = reverse("portal:apply", args=[world.service.code])
    page = client.get(url, {"uscc": world.enterprise.uscc}).content.decode()
    assert f'value="{world.enterprise.uscc}"' in page
