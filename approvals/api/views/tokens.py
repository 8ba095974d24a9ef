"""The API's tokens: a username and password (and an official's second factor) for
a token that expires, and revoking it at once."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from approvals.api.auth import token_expires_at, token_for
from approvals.api.common import TokenThrottle
from approvals.secondfactor import rules as second_factor


class IssuedToken(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <key>`.")
    expires_at = serializers.DateTimeField(
        help_text="After this the token no longer authenticates: ask for a new one."
    )


class AuthToken(AuthTokenSerializer):
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=20,
        help_text="Officials (window clerks, reviewers, supervisors, admins) with "
        "OFFICIAL_SECOND_FACTOR on: the current 6-digit code from their authenticator app. "
        "Each code is accepted once. Others leave it out.",
    )


class TokenView(ObtainAuthToken):
    """POST: a username and password (and, for officials, a current code from their
    authenticator app) for a token (valid API_TOKEN_TTL_HOURS); open to anyone, and
    documented so. DELETE: the token's owner revokes it at once."""

    throttle_classes = [TokenThrottle]
    serializer_class = AuthToken

    def get_authenticators(self):
        # Getting a token takes a password, not a token or a session: an expired token a
        # client still sends along must not stand in the way of a new one.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        return []

    def get_permissions(self):
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        tags=["auth"],
        summary="Exchange a username and password for an API token",
        description="The token expires after API_TOKEN_TTL_HOURS (24 by default); asking "
        "again after that gives a new one. Officials also send otp_token, a current code "
        "from their authenticator app (OFFICIAL_SECOND_FACTOR): without it, or with a wrong "
        "one, 400 with a message on otp_token; after wrong codes in a row, 429 until the "
        "wait (1, 2, 4 ... seconds) is over.",
        request=AuthToken,
        responses={200: IssuedToken},
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # django-axes refused even to check the password: say so, as the login page does.
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                raise LockedOut() from None
            raise
        user = serializer.validated_data["user"]
        if second_factor.required_for(user):
            try:
                second_factor.check_for_token(
                    user=user, code=serializer.validated_data.get("otp_token")
                )
            except second_factor.SecondFactorRefused as refused:
                if refused.code == "throttled":
                    raise TooManyWrongCodes(refused.message, wait=refused.wait) from None
                raise exceptions.ValidationError({"otp_token": [refused.message]}) from None
        token = token_for(user)
        return Response(
            IssuedToken({"token": token.key, "expires_at": token_expires_at(token)}).data
        )

    @extend_schema(
        tags=["auth"],
        summary="Revoke your API token",
        description="The token stops working at once, for every program that holds it; "
        "a new one is had by POST with the password.",
        request=None,
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LockedOut(exceptions.APIException):
    status_code = 429
    default_code = "locked_out"
    default_detail = (
        "Too many failed logins for this account from your address: logging in is paused "
        "for a while. Ask the window for help if you have forgotten the password."
    )


class TooManyWrongCodes(exceptions.Throttled):
    """429 with Retry-After, and the second factor's own message (DRF's Throttled
    would add its own sentence about the wait)."""

    def __init__(self, detail: str, wait: int):
        exceptions.APIException.__init__(self, detail, "throttled")
        self.wait = wait
