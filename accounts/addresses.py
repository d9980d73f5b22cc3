"""The client's address, as the operator's proxies report it: the same rule as the API's throttle."""

from django.conf import settings


def client_address(request):
    """The address a request came from: the peer, or behind PROXY_COUNT proxies the entry they appended.

    Each proxy appends the address it received the request from to X-Forwarded-For, so behind N
    proxies the N-th entry from the right is the one the first of them saw; anything further left
    was written by the client and proves nothing. DRF's throttle reads it the same way (NUM_PROXIES).
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.PROXY_COUNT and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(settings.PROXY_COUNT, len(addresses))]
    return request.META.get("REMOTE_ADDR")
