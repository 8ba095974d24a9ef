"""API tokens that expire.

A token from /api/auth/token/ authenticates for API_TOKEN_TTL_HOURS after it
was issued, then no more: a key copied into a script or a log does not open
someone's applications for ever. Asking again with the password gives a new
key; the owner revokes a key at once with DELETE /api/auth/token/.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from approvals import clock


def token_expires_at(token: Token) -> datetime:
    return token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_is_expired(token: Token) -> bool:
    return clock.now() >= token_expires_at(token)


def token_for(user) -> Token:
    """The user's current token, or a new one if there is none or it has expired.

    get_or_create, as DRF's own view does: two requests at once for a user
    without a token get the same one, not an IntegrityError."""
    expired = [t.pk for t in Token.objects.filter(user=user) if token_is_expired(t)]
    if expired:
        Token.objects.filter(pk__in=expired).delete()
    return Token.objects.get_or_create(user=user)[0]


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing a token older than API_TOKEN_TTL_HOURS."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            raise exceptions.AuthenticationFailed(
                _("This token has expired: ask /api/auth/token/ for a new one.")
            )
        return user, token
