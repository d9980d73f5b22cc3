"""Sending the outbox: each pending delivery POSTed, signed, retried with back-off, then marked failed.

Guarantees. A delivery row is written in the transaction of the change, so a rolled-back change
sends nothing and a committed one is never lost. A delivery is marked delivered only after its
receiver answered 2xx, so a worker killed mid-delivery sends it again when restarted: at least
once, with the same `id` for the receiver to drop a repeat. Per receiver and record, deliveries go
in feed order: while one waits for a retry, the later ones of that record wait behind it.

Destinations. Only hosts in WEBHOOK_ALLOWED_HOSTS are contacted, and only at public (global)
addresses unless the address is in WEBHOOK_ALLOWED_NETWORKS: the address is checked on the socket
actually connected (after DNS), so a name resolving to a loopback or private address is refused.
No proxy is used and no redirect followed (a 3xx is a failed attempt).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .feed import change_document
from .models import Delivery, DeliveryState

SIGNATURE_HEADER = "X-Tracker-Signature"


class Refused(Exception):
    """A destination the operator has not allowed."""


def signature(secret: str, body: bytes) -> str:
    """The X-Tracker-Signature value: `sha256=` and the hex HMAC-SHA256 of the body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(delivery: Delivery, now: datetime.datetime) -> bytes:
    """The JSON POSTed: the event, the delivery's id (the same on each attempt), when it was sent, the change."""
    document = {
        "event": delivery.change.event,
        "id": str(delivery.event_id),
        "sent_at": now.isoformat(),
        "change": change_document(delivery.change),
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def check_host(url: str) -> None:
    """Refused unless the URL is http(s) to a host in WEBHOOK_ALLOWED_HOSTS (`.example.org` allows its subdomains)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host:
        raise Refused(f"{url} is not an http(s) URL.")
    for allowed in settings.WEBHOOK_ALLOWED_HOSTS:
        allowed = allowed.lower()
        if allowed == "*" or host == allowed or (allowed.startswith(".") and host.endswith(allowed)):
            return
    raise Refused(f"{host} is not in WEBHOOK_ALLOWED_HOSTS.")


def check_address(address: str) -> None:
    """Refused unless the address is global, or in WEBHOOK_ALLOWED_NETWORKS (loopback, private, link-local...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in ipaddress.ip_network(network, strict=False) for network in settings.WEBHOOK_ALLOWED_NETWORKS):
        return
    if not ip.is_global or ip.is_multicast:
        raise Refused(f"{address} is an internal address, not in WEBHOOK_ALLOWED_NETWORKS.")


def _checked_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    """socket.create_connection, refusing a peer address that is not allowed (checked once connected)."""
    sock = socket.create_connection(address, *args, **kwargs)
    try:
        check_address(sock.getpeername()[0])
    except Refused:
        sock.close()
        raise
    return sock


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_HTTPSConnection, req)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is raised as an HTTPError: a failed attempt


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST with no proxy and no redirect, to an allowed host at an allowed address; the status, or raises."""
    check_host(url)
    parts = urlsplit(url)
    # Every address the name resolves to, before any is contacted; the one connected is checked again
    # (_checked_connection), so a name that resolves differently the second time gains nothing.
    for *_, sockaddr in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP):
        check_address(str(sockaddr[0]))
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        _HTTPHandler(),
        _HTTPSHandler(),
        _NoRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    # http(s) only: check_host refused any other scheme.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
        return response.status


def backoff(attempts: int) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failure: 30 s, 1 min, 2 min, ... doubling, at most 6 hours."""
    return datetime.timedelta(seconds=min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 6 * 3600))


def send(delivery: Delivery, now: datetime.datetime, poster: Callable[..., int] = post) -> None:
    """One attempt: delivered on a 2xx; otherwise retried after `backoff`, or failed after WEBHOOK_MAX_ATTEMPTS."""
    body = body_of(delivery, now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "commitment-tracker-webhooks/1",
        "X-Tracker-Event": delivery.change.event,
        "X-Tracker-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: signature(delivery.receiver.secret, body),
    }
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        status = poster(delivery.receiver.url, body, headers)
        error = "" if 200 <= status < 300 else f"Answered {status}."
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"Answered {exc.code}."
    except (Refused, OSError, http.client.HTTPException, ValueError) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:2000]
    delivery.last_status = status
    delivery.last_error = error
    if not error:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()


def drain(
    now: Callable[[], datetime.datetime] = timezone.now, poster: Callable[..., int] = post, limit: int = 100
) -> int:
    """Send the deliveries due now, in feed order, at most `limit`; returns how many were attempted.

    A delivery waits while an earlier one to the same receiver about the same record is pending, so a
    receiver sees each record's changes in order. On PostgreSQL each delivery is taken with
    SKIP LOCKED, so two workers never send the same one at once.
    """
    moment = now()
    pending = Delivery.objects.filter(state=DeliveryState.PENDING).select_related("change", "receiver")
    order = ("change__xid", "change__id", "id")
    waiting = {
        (receiver, resource, key)
        for receiver, resource, key in pending.filter(next_attempt_at__gt=moment).values_list(
            "receiver_id", "change__resource", "change__key"
        )
    }
    attempted = 0
    for delivery_id in (
        pending.filter(next_attempt_at__lte=moment).order_by(*order).values_list("id", flat=True)[:limit]
    ):
        # On PostgreSQL the row is locked (SKIP LOCKED) while it is sent, which blocks no one else; SQLite
        # has one write lock for the whole database, so nothing is held there while a receiver answers.
        locking = connection.vendor == "postgresql"
        with transaction.atomic() if locking else contextlib.nullcontext():
            rows = Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING).select_related(
                "change", "receiver"
            )
            if locking:
                rows = rows.select_for_update(skip_locked=True, of=("self",))
            delivery = rows.first()
            if delivery is None:
                continue
            record = (delivery.receiver_id, delivery.change.resource, delivery.change.key)
            if record in waiting:
                continue
            send(delivery, now(), poster)
            attempted += 1
            if delivery.state == DeliveryState.PENDING:
                waiting.add(record)
    return attempted
