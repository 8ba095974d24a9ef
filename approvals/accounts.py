"""Investor accounts: signing up by email without revealing who has an account, and activation.

Whatever address is typed, the person signing up is told the same thing,
"we sent a message to <email>", and only the mailbox learns what happened:

- a new address gets an inactive account and a mail with its activation link;
- an address whose account was never activated (a lost first mail) gets a
  fresh link, and the password just typed replaces the earlier one, so the
  earlier links stop working and whoever owns the mailbox decides;
- an address that has an account gets no new account, and a mail saying that
  someone tried to sign up with it, with links to log in and to reset the
  password.

Both branches hash the password, so the time taken does not tell them apart.

Activation links use Django's password-reset token generator with its own
salt, not django.core.signing: the token's hash covers the account's
``is_active`` flag and password hash, so a link is spent the moment it is
used (or a later sign-up changes the password) without storing anything, and
it expires after ``PASSWORD_RESET_TIMEOUT`` like a reset link. A signed value
would stay valid until it expired, however often it was used.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from approvals import mail
from approvals.authentication import normalize_email
from approvals.roles import INVESTOR_GROUP

logger = logging.getLogger(__name__)


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Activation tokens: good while the account is inactive and its password unchanged."""

    key_salt = "approvals.accounts.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.password}{user.is_active}{timestamp}{user.email}"


activation_token = ActivationTokenGenerator()


def _is_pending(user) -> bool:
    """Signed up, never activated: inactive and never logged in (not an account switched off)."""
    return not user.is_active and user.last_login is None


def _existing_account(email: str):
    user_model = get_user_model()
    return (
        user_model._default_manager.select_for_update()
        .filter(Q(email__iexact=email) | Q(**{f"{user_model.USERNAME_FIELD}__iexact": email}))
        .order_by("pk")
        .first()
    )


def account_sign_up(*, email: str, password: str, language: str) -> None:
    """Open an inactive investor account for ``email``, or tell the address's owner it has one.

    Returns nothing on purpose: the caller has nothing to show that differs
    between the two. The mail is sent once the transaction commits.
    """
    email = normalize_email(email)
    user_model = get_user_model()
    with transaction.atomic():
        user = _existing_account(email)
        if user is None:
            user = user_model(username=email, email=email, is_active=False)
            user.set_password(password)
            try:
                # Two sign-ups for one new address at once: the second finds
                # the first's account (the username is unique) instead of failing.
                with transaction.atomic():
                    user.save()
            except IntegrityError:
                user = _existing_account(email)
                if user is None:
                    raise
                kind = _sign_up_again(user, password)
            else:
                user.groups.add(Group.objects.get_or_create(name=INVESTOR_GROUP)[0])
                kind = "account_activate"
        else:
            kind = _sign_up_again(user, password)
        user_pk = user.pk
        transaction.on_commit(lambda: _send(kind, user_pk, email, language))


def _sign_up_again(user, password: str) -> str:
    if _is_pending(user):
        user.set_password(password)
        user.save(update_fields=["password"])
        return "account_activate"
    # The same work as the other branch, so the answer takes as long.
    make_password(password)
    return "account_exists"


def activation_path(user) -> str:
    return reverse(
        "activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": activation_token.make_token(user),
        },
    )


def _send(kind: str, user_pk: int, email: str, language: str) -> None:
    user = get_user_model()._default_manager.get(pk=user_pk)
    context = {
        "email": email,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "login_url": mail.absolute_url(reverse("login")),
        "reset_url": mail.absolute_url(reverse("password_reset")),
    }
    if kind == "account_activate":
        context["url"] = mail.absolute_url(activation_path(user))
    send_bilingual(kind, context, to=email, language=language)


def send_bilingual(name: str, context: dict, *, to: str, language: str) -> None:
    """Send ``emails/<name>`` in ``language`` with the other language below.

    A mail server that fails is logged, not shown: the page already said the
    same thing whatever happened, and signing up again sends a new link.
    """
    composed = mail.compose(name, context, language=language)
    message = EmailMultiAlternatives(composed.subject, composed.text, to=[to])
    message.attach_alternative(composed.html, "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("Could not send the %s mail", name)


def account_from_link(*, uidb64: str, token: str, lock: bool = False):
    """The inactive account an activation link names, if the link is still good; else None."""
    manager = get_user_model()._default_manager
    if lock:
        manager = manager.select_for_update()
    try:
        user = manager.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, get_user_model().DoesNotExist):
        return None
    if not _is_pending(user) or not activation_token.check_token(user, token):
        return None
    return user


def account_activate(*, uidb64: str, token: str):
    """Activate the account of a good link and return it; None for a link used, expired or wrong."""
    with transaction.atomic():
        user = account_from_link(uidb64=uidb64, token=token, lock=True)
        if user is None:
            return None
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def send_password_reset(*, user, uidb64: str, token: str, language: str) -> None:
    """The mail of Django's password reset, bilingual like every mail of the window."""
    path = reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    context = {
        "username": user.get_username(),
        "url": mail.absolute_url(path),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_bilingual("password_reset", context, to=user.email, language=language)
