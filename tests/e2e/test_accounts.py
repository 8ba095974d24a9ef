"""Accounts in a real browser: a forgotten password is reset from the mail's link, in Chinese."""

import re

import pytest
from django.core import mail

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_chinese_investor_resets_a_forgotten_password_and_logs_in_with_the_email(open_tab):
    f.UserFactory(username="wang", email="wang.hai@example.test")
    tab = open_tab(locale="zh-CN")
    page = tab.go("/login/")
    page.get_by_role("link", name="忘记密码？").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "重置密码"
    page.fill("#id_email", "Wang.Hai@example.test")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "如该邮箱有对应账户" in page.get_by_test_id("reset-sent").inner_text()

    # The live server runs in this process: its mail is in the test outbox.
    (message,) = mail.outbox
    assert message.subject.startswith("重置")
    path = re.search(r"https?://[^/\s]+(/accounts/password-reset/\S+)", message.body).group(1)
    page = tab.go(path)
    assert page.locator("h1").inner_text() == "设置新密码"
    page.fill("#id_new_password1", "Brand-new-pass-7")
    page.fill("#id_new_password2", "Brand-new-pass-7")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "密码已更改"
    tab.shot("password-reset-complete-zh")

    page.get_by_role("link", name="登录").last.click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang.hai@example.test")
    page.fill("#id_password", "Brand-new-pass-7")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".who").inner_text() == "wang"
