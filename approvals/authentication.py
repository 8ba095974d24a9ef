"""Logging in with the account's email or its username, and counting failures per account.

Accounts made by sign-up log in with their email (their username is that
email, lower-cased); the demo users and older accounts keep logging in with
their username. Both go through ``EmailOrUsernameBackend``, which stands
where Django's ModelBackend stood, behind django-axes' backend
(``settings.AUTHENTICATION_BACKENDS``), so the lock-out checks every attempt
first. ``lockout_username`` is ``AXES_USERNAME_CALLABLE``: it names the
account an attempt was for, so that typing the email and typing the username
count against the same account instead of giving a guesser twice the tries.

This module reads only the user table: it is loaded at every login.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def normalize_email(email: str) -> str:
    """The one spelling of an address this site stores and compares."""
    return (email or "").strip().lower()


def find_account(login: str):
    """The account ``login`` names: the username exactly, else the email (any case).

    An email shared by more than one older account names none of them: which
    one was meant cannot be known, and guessing would log into the wrong one.
    """
    user_model = get_user_model()
    login = (login or "").strip()
    if not login:
        return None
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: login}).first()
    if user is not None or "@" not in login:
        return user
    matches = list(user_model._default_manager.filter(email__iexact=normalize_email(login))[:2])
    return matches[0] if len(matches) == 1 else None


class EmailOrUsernameBackend(ModelBackend):
    """Django's ModelBackend, also accepting the account's email where the username goes.

    An inactive account (signed up, not yet activated) cannot log in, and is
    refused with the same message as a wrong password: the login form says
    nothing about which accounts exist.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_account(username)
        if user is None:
            # Hash the password anyway, as ModelBackend does, so that an unknown
            # login takes as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request, credentials=None):
    """AXES_USERNAME_CALLABLE: the account an attempt was for, however it was typed.

    The username of the account the login names, else what was typed (an
    email lower-cased). Axes counts failures and locks out by this value, so
    the lock is the same whether the account exists or not.
    """
    if credentials:
        typed = credentials.get("username")
    else:
        data = getattr(request, "data", request.POST)
        typed = data.get("username") if hasattr(data, "get") else None
    if not isinstance(typed, str) or not typed.strip():
        return typed
    user = find_account(typed)
    if user is not None:
        return user.get_username()
    return normalize_email(typed) if "@" in typed else typed
