"""Who acts for whom, in a real browser: an investor verifies their identity, grants a
mandate as the enterprise's legal representative, the agent applies under it, the
mandate is revoked, and the agent's next draft is refused. In Chinese and English."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import models as m
from approvals.roles import INVESTOR_GROUP
from tests import factories as f
from tests.e2e.test_journey import log_in, verify_identity

pytestmark = pytest.mark.django_db(transaction=True)

LABELS = {
    "zh-CN": {
        "identity": "我的身份",
        "enterprises": "我的企业",
        "held": "我持有的授权",
        "grant": "授予授权委托",
        "revoke": "撤销此授权？",
    },
    "en-US": {
        "identity": "Your identity",
        "enterprises": "My enterprises",
        "held": "Mandates I hold",
        "grant": "Grant a mandate",
        "revoke": "Revoke this mandate?",
    },
}


@pytest.fixture
def people(world):
    """An enterprise whose legal representative has an account not verified yet (the
    register holds the person), and an agent whose account is verified."""
    number = f.resident_id("46010019800203001")
    m.Person.objects.create(
        document_type="resident_id", document_number=number, name="孙八", nationality="CHN"
    )
    enterprise = f.EnterpriseFactory(legal_representative="孙八", legal_representative_id=number)
    owner = f.UserFactory(username="owner", groups=[INVESTOR_GROUP])
    agent = f.verified(
        f.UserFactory(username="agent", groups=[INVESTOR_GROUP]),
        name="钱七",
        number=f.resident_id("46010019800203002"),
    )
    return enterprise, owner, number, agent


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_verify_grant_apply_revoke_refuse(world, people, open_tab, locale):
    enterprise, owner, number, agent = people
    words = LABELS[locale]
    tag = locale[:2]

    # The legal representative verifies their identity first: the banner sends them.
    rep = open_tab(locale=locale)
    page = log_in(rep, "owner")
    page.goto(rep.base + "/services/")
    banner = page.get_by_test_id("verify-banner")
    banner.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == words["identity"]
    rep.shot(f"mandates-identity-form-{tag}")
    page = verify_identity(rep, name="孙八", number=number)
    verified = page.get_by_test_id("identity-verified")
    assert number not in verified.inner_text()
    assert m.Identity.objects.get(user=owner).status == m.IdentityStatus.VERIFIED
    rep.shot(f"mandates-identity-verified-{tag}")

    # As the legal representative, they grant the agent a mandate for the service.
    page.get_by_role("navigation").get_by_role("link", name=words["enterprises"]).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == words["enterprises"]
    section = page.locator(f"#enterprise-{enterprise.uscc}")
    section.get_by_test_id("grant-mandate").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == words["grant"]
    page.fill("#id_name", "钱七")
    page.select_option("#id_document_type", "resident_id")
    page.fill("#id_document_number", agent.identity.document_number)
    page.check("input[name=services]")
    until = timezone.localdate() + timedelta(days=30)
    page.fill("#id_valid_until", until.isoformat())
    rep.shot(f"mandates-grant-{tag}")
    page.get_by_test_id("grant").click()
    page.wait_for_load_state()
    mandate = m.Mandate.objects.get()
    assert mandate.grantee_user == agent
    assert page.get_by_test_id("mandate-state").count() == 1
    rep.shot(f"mandates-granted-{tag}")

    # The agent sees the mandate and applies under it.
    other = open_tab(locale=locale)
    apage = log_in(other, "agent")
    apage.goto(other.base + "/portal/mandates/")
    assert apage.locator("h1").inner_text() == words["held"]
    other.shot(f"mandates-held-{tag}")
    apage.get_by_test_id("apply-under-mandate").click()
    apage.wait_for_load_state()
    assert apage.input_value("#id_uscc") == enterprise.uscc
    apage.get_by_test_id("create-draft").click()
    apage.wait_for_load_state()
    draft = m.Application.objects.get(applicant=agent)
    assert draft.mandate == mandate
    assert apage.locator(f"input[value='{enterprise.name_zh}']").count() == 1  # prefilled

    # The legal representative revokes it.
    page.locator(f"#enterprise-{enterprise.uscc}").get_by_test_id("revoke-mandate").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == words["revoke"]
    page.fill("#id_reason", "合作结束 / engagement over")
    rep.shot(f"mandates-revoke-{tag}")
    page.get_by_test_id("confirm-revoke").click()
    page.wait_for_load_state()
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None

    # The agent's draft is closed to them, and the next one is refused with the message.
    apage.goto(other.base + "/applications/")
    assert draft.reference not in apage.locator("main").inner_text()
    apage.goto(other.base + f"/services/{world.service.code}/apply/?uscc={enterprise.uscc}")
    apage.get_by_test_id("create-draft").click()
    apage.wait_for_load_state()
    refused = apage.get_by_test_id("apply-refused")
    assert refused.is_visible()
    assert apage.input_value("#id_uscc") == enterprise.uscc
    assert enterprise.name_zh not in apage.content()
    assert m.Application.objects.filter(applicant=agent).count() == 1
    other.shot(f"mandates-refused-{tag}")
