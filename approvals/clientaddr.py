"""The client's address: the one answer every limit and the audit trail use.

DRF's throttles, the login lockout (django-axes), the verification limit
(django-ratelimit) and the audit trail all count or record "the client". If
each read the request its own way, a client could pick the address one of
them sees by writing an ``X-Forwarded-For`` header, and so dodge a limit with
a new header on every request. Here it is decided once, from one setting:

``TRUSTED_PROXY_COUNT`` is the number of proxies *you run* in front of the
app. With 0 (the default) ``X-Forwarded-For`` is ignored entirely and the
address is the connection's (``REMOTE_ADDR``). With N, each of your proxies
appended the address it was contacted from, so the client is the N-th entry
from the right; whatever stands left of it was written by the client and is
never believed. A header with fewer entries than that (the request did not
come through all your proxies) or an entry that is not an IP address falls
back to ``REMOTE_ADDR``.

Limits count by :func:`counted_address`: the same address, except that an
IPv6 client is counted by its /64, since one subscriber is given a whole /64
and could otherwise take a new address for every guess. The audit trail
records the exact address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The address of whoever sent ``request`` (a Django or DRF request), or None if unknown."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def counted_address(request) -> str | None:
    """What throttles, the login lockout and rate limits count by: the client address, an
    IPv6 one as the network address of its /64."""
    address = client_address(request)
    if address is not None and ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address
