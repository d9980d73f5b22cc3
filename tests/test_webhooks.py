"""Webhooks: the outbox written with the change, delivered signed to a local receiver, retried with back-off on
an injected clock, marked failed, redelivered, refused for a destination the operator did not allow, and sent
again (same id) by a worker that was killed mid-delivery, in-process and as a real process killed with SIGKILL."""

import contextlib
import datetime
import hashlib
import hmac
import json
import signal
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from changes.models import Change, Delivery, DeliveryState, Receiver
from changes.webhooks import Refused, backoff, check_address, check_host, drain
from tests.factories import LineOfEffortFactory
from tests.servers import ROOT, server_environment

pytestmark = pytest.mark.django_db
SECRET = "s3cret"


class Clock:
    """An injected clock: the worker's `now`, moved by the test instead of sleeping."""

    def __init__(self):
        self.moment = timezone.now() + datetime.timedelta(seconds=1)  # after the deliveries were queued

    def __call__(self):
        return self.moment

    def advance(self, delta):
        self.moment += delta


@pytest.fixture
def receiver_server():
    """An HTTP receiver on 127.0.0.1 answering each POST with the next status of `statuses` (then 200)."""
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            status = statuses.pop(0) if statuses else 200
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "http://169.254.169.254/")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, statuses
    server.shutdown()
    server.server_close()


@pytest.fixture
def allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_TIMEOUT = 5


def register(url, **fields):
    return Receiver.objects.create(name="dashboard", url=url, secret=SECRET, **fields)


def test_a_change_is_delivered_signed_with_its_event_and_a_unique_id(allowed, receiver_server):
    url, received, _ = receiver_server
    register(url)
    LineOfEffortFactory(slug="demining")
    clock = Clock()
    assert drain(now=clock) == 1
    headers, body = received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Tracker-Signature"], expected)
    document = json.loads(body)
    delivery = Delivery.objects.get()
    assert document["event"] == "lines-of-effort.created" == headers["X-Tracker-Event"]
    assert document["id"] == str(delivery.event_id) == headers["X-Tracker-Delivery"]
    assert document["change"]["key"] == "demining"
    assert document["sent_at"] == clock().isoformat()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (DeliveryState.DELIVERED, 1, 200)
    assert drain(now=clock) == 0  # nothing is sent twice


def test_a_receiver_gets_only_the_resources_and_actions_it_asked_for(allowed, receiver_server):
    url, received, _ = receiver_server
    register(url, resources="threads", actions="deleted")
    line = LineOfEffortFactory()
    line.delete()
    assert not Delivery.objects.exists()


def test_a_rolled_back_change_sends_nothing(allowed, receiver_server):
    url, received, _ = receiver_server
    register(url)
    with pytest.raises(RuntimeError), transaction.atomic():
        LineOfEffortFactory()
        assert Delivery.objects.count() == 1  # in the outbox, in the change's own transaction
        raise RuntimeError
    assert not Delivery.objects.exists() and not Change.objects.exists()
    assert drain(now=Clock()) == 0
    assert received == []


def test_failures_are_retried_with_exponential_back_off_then_marked_failed(allowed, receiver_server):
    url, received, statuses = receiver_server
    statuses += [500, 503, 500]
    register(url)
    LineOfEffortFactory()
    clock = Clock()
    assert drain(now=clock) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    assert delivery.next_attempt_at == clock() + datetime.timedelta(seconds=30)
    clock.advance(datetime.timedelta(seconds=29))
    assert drain(now=clock) == 0  # not due yet
    clock.advance(datetime.timedelta(seconds=1))
    assert drain(now=clock) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == clock() + datetime.timedelta(seconds=60)  # doubled
    clock.advance(datetime.timedelta(seconds=60))
    assert drain(now=clock) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 3, "Answered 500.")
    clock.advance(datetime.timedelta(days=1))
    assert drain(now=clock) == 0
    assert len(received) == 3
    # The same id on every attempt, for the receiver's idempotency.
    assert len({json.loads(body)["id"] for _, body in received}) == 1
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [30, 60, 120, 6 * 3600]


def test_redeliver_from_the_admin_sends_a_failed_delivery_again_with_the_same_id(
    allowed, receiver_server, admin_client
):
    url, received, statuses = receiver_server
    statuses += [500, 500, 500]
    register(url)
    LineOfEffortFactory()
    clock = Clock()
    for _ in range(3):
        drain(now=clock)
        clock.advance(datetime.timedelta(hours=1))
    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    response = admin_client.post(
        reverse("admin:changes_delivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert drain() == 1  # due now (the real clock)
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert {json.loads(body)["id"] for _, body in received} == {str(delivery.event_id)}
    log = admin_client.get(reverse("admin:changes_delivery_changelist"))
    assert str(delivery.event_id) in log.content.decode()


def test_a_destination_not_allowed_is_never_contacted(settings, receiver_server):
    url, received, _ = receiver_server
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.org"]
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    register(url)
    LineOfEffortFactory()
    assert drain(now=Clock()) == 1
    delivery = Delivery.objects.get()
    assert delivery.state == "failed" and "WEBHOOK_ALLOWED_HOSTS" in delivery.last_error
    # An allowed host name whose address is loopback: refused once connected, nothing sent.
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    delivery.redeliver()
    assert drain(now=Clock()) == 1
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "internal address" in delivery.last_error
    assert received == []


def test_internal_addresses_and_other_schemes_are_refused_unless_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["*"]
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    for address in ("127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "fe80::1", "0.0.0.0"):
        with pytest.raises(Refused):
            check_address(address)
    check_address("10.1.2.3")
    check_address("93.184.216.34")
    for url in ("file:///etc/passwd", "ftp://example.org/", "http:///nohost"):
        with pytest.raises(Refused):
            check_host(url)


def test_a_redirect_is_a_failed_attempt_not_followed(allowed, receiver_server):
    url, received, statuses = receiver_server
    statuses.append(302)
    register(url)
    LineOfEffortFactory()
    drain(now=Clock())
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_status) == ("pending", 302)
    assert len(received) == 1


def test_a_record_s_later_changes_wait_behind_one_being_retried(allowed, receiver_server):
    url, received, statuses = receiver_server
    statuses.append(500)
    register(url)
    line = LineOfEffortFactory(slug="first")
    line.description = "Edited."
    line.save()
    LineOfEffortFactory(slug="other")
    clock = Clock()
    drain(now=clock)
    assert [(json.loads(b)["change"]["key"], json.loads(b)["change"]["action"]) for _, b in received] == [
        ("first", "created"),
        ("other", "created"),
    ]
    clock.advance(datetime.timedelta(minutes=1))
    drain(now=clock)
    assert [json.loads(b)["change"]["action"] for _, b in received[2:]] == ["created", "updated"]


def test_a_worker_killed_mid_delivery_sends_it_again_when_restarted(allowed, receiver_server):
    url, received, _ = receiver_server
    register(url)
    LineOfEffortFactory()

    from changes.webhooks import post

    def killed(*args):
        post(*args)  # the receiver got it ...
        raise KeyboardInterrupt  # ... and the worker died before recording so

    with pytest.raises(KeyboardInterrupt):
        drain(now=Clock(), poster=killed)
    assert Delivery.objects.get().state == "pending"
    call_command("run_webhooks", "--once")
    delivery = Delivery.objects.get()
    assert delivery.state == "delivered"
    assert [json.loads(body)["id"] for _, body in received] == [str(delivery.event_id)] * 2


def test_receivers_are_added_listed_and_removed_with_a_command(allowed, capsys):
    call_command("webhooks", "add", "http://127.0.0.1:9/hook", "--name", "budget", "--events", "created,deleted")
    out = capsys.readouterr().out
    receiver = Receiver.objects.get(name="budget")
    assert receiver.secret in out and receiver.actions == "created,deleted"
    call_command("webhooks", "list")
    assert "budget" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="WEBHOOK_ALLOWED_HOSTS"):
        call_command("webhooks", "add", "https://evil.example.com/")
    call_command("webhooks", "remove", "budget")
    assert not Receiver.objects.exists()


def test_the_worker_stops_after_max_attempts(allowed, receiver_server, capsys):
    url, received, _ = receiver_server
    register(url)
    for number in range(3):
        LineOfEffortFactory(slug=f"line-{number}")
    call_command("run_webhooks", "--max", "2")
    assert "2 delivery attempt(s)" in capsys.readouterr().out
    assert len(received) == 2


def test_curators_register_receivers_and_read_the_delivery_log_in_the_admin(client, curator):
    client.force_login(curator)
    assert client.get(reverse("admin:changes_receiver_add")).status_code == 200
    assert client.get(reverse("admin:changes_delivery_changelist")).status_code == 200
    assert client.get(reverse("admin:changes_change_changelist")).status_code == 200


def test_a_receiver_that_times_out_or_is_unreachable_is_retried(allowed, settings):
    import socket

    settings.WEBHOOK_TIMEOUT = 1
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    try:
        register(f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        Receiver.objects.create(name="gone", url=f"http://127.0.0.1:{closed_port}/hook", secret=SECRET)
        LineOfEffortFactory()
        assert drain(now=Clock()) == 2
    finally:
        silent.close()
    errors = {d.receiver.name: d for d in Delivery.objects.select_related("receiver")}
    assert errors["dashboard"].state == errors["gone"].state == "pending"
    assert "timed out" in errors["dashboard"].last_error
    assert "refused" in errors["gone"].last_error.lower()


@pytest.fixture
def blocking_receiver():
    """A receiver on 127.0.0.1 that holds its first request unanswered until released; records each delivery id."""
    seen, first_arrived, release = [], threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((body["id"], body["change"]["key"]))
            if len(seen) == 1:
                first_arrived.set()
                release.wait(timeout=60)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", seen, first_arrived
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def worker_database(tmp_path):
    """A DATABASE_URL naming the test database for a worker in another process.

    PostgreSQL: the test database itself (the test's writes are committed: transactional_db). SQLite's
    test database lives in this process's memory: it is copied to a file for the worker, and the file
    copied back once the worker is done, so the test reads what the worker wrote.
    """
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else "")
        yield f"postgres://{auth}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        return
    if connection.vendor != "sqlite":
        pytest.skip(f"No way to share a {connection.vendor} test database with a worker process.")
    path = tmp_path / "worker.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    yield f"sqlite:///{path}"
    with contextlib.closing(sqlite3.connect(path)) as copy:
        copy.backup(connection.connection)


def test_a_real_worker_killed_mid_delivery_and_restarted_delivers_each_event_in_order_none_lost(
    transactional_db, blocking_receiver, tmp_path
):
    url, seen, first_arrived = blocking_receiver
    register(url)
    for slug in ("first", "second"):
        line = LineOfEffortFactory(slug=slug)
        line.description = "Edited."
        line.save()
    outbox = list(Delivery.objects.order_by("change__xid", "change__id", "id").values_list("event_id", "change__key"))
    assert len(outbox) == 4
    with worker_database(tmp_path) as database_url:
        env = server_environment(
            DATABASE_URL=database_url,
            WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
            WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
            WEBHOOK_TIMEOUT=60,  # the worker waits on the held request until it is killed
        )
        command = [sys.executable, str(ROOT / "manage.py"), "run_webhooks", "--interval", "0.2"]
        with open(tmp_path / "worker.log", "wb") as log:
            worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            assert first_arrived.wait(timeout=60), (tmp_path / "worker.log").read_text()
            worker.send_signal(signal.SIGKILL)  # mid-delivery: sent, no answer yet, nothing recorded
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)
        # Restarted: it stops once it has made as many attempts as there are deliveries (each at most
        # 60 s on the receiver's side; the whole run bounded).
        restarted = subprocess.run(
            [*command, "--max", str(len(outbox))], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert restarted.returncode == 0, restarted.stderr
    assert seen[0] == (str(outbox[0][0]), outbox[0][1])
    assert seen[1:] == [(str(event_id), key) for event_id, key in outbox]  # the first again, then the rest
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    for record in ("first", "second"):
        first_seen = list(dict.fromkeys(event_id for event_id, key in seen if key == record))
        assert first_seen == [str(event_id) for event_id, key in outbox if key == record]
