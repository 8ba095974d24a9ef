"""A bundle in the browser: the guide's questions, the task list, check your answers, and the
application page with its five matters, in English and in Chinese."""

import pytest

from approvals import models as m
from approvals import services
from tests import factories as f
from tests import journey
from tests.conftest import guide_questions
from tests.e2e.test_journey import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def guided(world, bundle):
    """The bundle's thing with two guide questions: food handling and floor area."""
    food, area = guide_questions()
    fire = f.thing_part(bundle["thing"], world.departments[2], code="fire-check")
    m.ThingMatter.objects.filter(matter=fire).update(
        determinant=area, operator=m.Operator.ABOVE, value="300"
    )
    menu = f.MaterialFactory(
        service=bundle["thing"], code="menu", order=10, determinant=food, operator="is", value="yes"
    )
    menu.matters.set([])
    return bundle


def test_the_guide_the_task_list_and_check_your_answers(tab, open_tab, world, guided):
    thing = guided["thing"]
    page = log_in(tab, world.investor.username)
    page = tab.go(f"/services/{thing.code}/apply/")
    guide = page.get_by_test_id("guide")
    assert guide.is_visible()
    assert not page.get_by_test_id("decided-fire-check").count()
    page.get_by_test_id("question-food").get_by_label("Yes").check()
    page.fill("#id_answer-area", "450")
    page.fill("#id_uscc", world.enterprise.uscc)
    page.get_by_test_id("check-guide").click()
    page.wait_for_load_state()
    # What was typed stays; the answers bring the fire check and the menu in, each saying why.
    assert page.input_value("#id_uscc") == world.enterprise.uscc
    assert page.input_value("#id_answer-area") == "450"
    reason = page.get_by_test_id("decided-fire-check").inner_text()
    assert "Because you answered 450 m² to: Floor area of the premises? — is above 300 m²" in reason
    assert page.get_by_test_id("needs-menu").is_visible()
    assert page.locator("input[name=matters][value=fire-check]").is_checked()
    tab.shot("bundle-guide-en")
    page.get_by_test_id("create-draft").click()
    page.wait_for_load_state()

    app = m.Application.objects.get(applicant=world.investor, service=thing)
    assert app.answers == {"food": "yes", "area": 450}
    assert "fire-check" in app.matters.values_list("matter__code", flat=True)
    tasks = page.get_by_test_id("task-list")
    assert tasks.is_visible()
    assert page.get_by_test_id("task-materials-state").inner_text() == "Not started"
    assert page.get_by_test_id("task-check-state").inner_text() == "Cannot start yet"
    tab.shot("bundle-task-list-en")

    journey.complete(world, app)
    page.reload()
    assert page.get_by_test_id("task-materials-state").inner_text() == "Completed"
    page.get_by_test_id("save-values").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("task-values-state").inner_text() == "Completed"
    assert page.get_by_test_id("task-check-state").inner_text() == "Not started"
    page.get_by_test_id("task-check").get_by_role("link").click()
    page.wait_for_load_state()
    assert "Check your answers before submitting" in page.locator("h1").inner_text()
    assert "Matter fire-check" in page.get_by_test_id("check-matters").inner_text()
    tab.shot("bundle-check-answers-en")

    # The same page in Chinese, for the same investor.
    zh = open_tab(locale="zh-CN")
    log_in(zh, world.investor.username)
    chinese = zh.go(f"/applications/{app.public_id}/check/")
    assert "提交前请核对" in chinese.locator("h1").inner_text()
    zh.shot("bundle-check-answers-zh")

    page.get_by_test_id("confirm-submit").click()
    page.wait_for_load_state()
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED


def test_the_application_page_shows_five_matters_in_both_languages(tab, open_tab, world, bundle):
    app = services.application_create(
        applicant=world.investor, service=bundle["thing"], uscc=world.enterprise.uscc
    )
    journey.complete(world, app)
    services.application_submit(actor=world.investor, application=app)
    services.application_accept(actor=world.clerk, application=app)
    for code in ("report", "seal"):
        review = app.reviews.get(matter__matter__code=code)
        services.review_complete(
            actor=world.reviewers[review.department.code], review=review, approve=True
        )

    page = log_in(tab, world.investor.username)
    page = tab.go(f"/applications/{app.public_id}/")
    matters = page.get_by_test_id("matters")
    assert "5 matters in this application" in matters.inner_text()
    assert page.get_by_test_id("matter-taxreg").inner_text().count("waiting") == 1
    assert "approved" in page.get_by_test_id("matter-report").inner_text()
    assert page.get_by_test_id("critical-path-date").is_visible()
    tab.shot("bundle-application-en")

    zh = open_tab(locale="zh-CN")
    log_in(zh, world.investor.username)
    chinese = zh.go(f"/applications/{app.public_id}/")
    text = chinese.get_by_test_id("matters").inner_text()
    assert "本申请包含 5 个事项" in text and "全部事项预计办结" in text
    zh.shot("bundle-application-zh")
