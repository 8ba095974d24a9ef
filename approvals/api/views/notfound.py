"""Any other address under /api/: a 404 in the API's error shape."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


@extend_schema(exclude=True)
class NoSuchEndpoint(APIView):
    """A path under /api/ that no endpoint matches, or whose id is not of the right
    form (a UUID, a number, a code): a 404 in the API's error shape, not the
    site's HTML page."""

    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(
            _(
                "No such address in the API, or an id in it is not of the right form: "
                "see /api/docs/."
            )
        )
