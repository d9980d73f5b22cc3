"""The anonymous throttle holds its limit exactly under concurrency: in threads, against the live server,
and across two processes sharing Redis (which skips without a Redis server, unless REQUIRE_SERVICES is set).

Each concurrent test releases every client at once (a barrier), so the requests meet in the cache.
"""

import os
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework import throttling

from api.throttling import AnonRateThrottle
from tests.servers import ROOT

LIMIT = 10
CLIENTS = 60

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class SlowCache:
    """The cache as a shared server is: every call takes a moment (here 1 ms), in which other clients' calls run."""

    def __init__(self, cache):
        self.cache = cache

    def __getattr__(self, name):
        method = getattr(self.cache, name)

        def slowly(*args, **kwargs):
            time.sleep(0.001)
            return method(*args, **kwargs)

        return slowly


@pytest.fixture
def small_rate(monkeypatch):
    # The project's throttle reads its rate from DRF's class, as the existing throttle tests set it.
    monkeypatch.setattr(throttling.AnonRateThrottle, "THROTTLE_RATES", {"anon": f"{LIMIT}/minute"})
    monkeypatch.setattr(AnonRateThrottle, "cache", SlowCache(cache))
    cache.clear()
    yield
    cache.clear()


def anonymous(address):
    """An anonymous request from `address`."""
    request = RequestFactory().get("/api/v1/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


def all_at_once(count, attempt):
    """`attempt()` in `count` threads released together; their results."""
    barrier = threading.Barrier(count, timeout=30)

    def run(_):
        barrier.wait()
        return attempt()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_requests_from_one_address_pass_exactly_the_limit(small_rate):
    request = anonymous("198.51.100.7")
    allowed = all_at_once(CLIENTS, lambda: AnonRateThrottle().allow_request(request, None))
    assert allowed.count(True) == LIMIT
    # Another address has its own count; the first stays refused, and is told how long to wait.
    assert AnonRateThrottle().allow_request(anonymous("198.51.100.8"), None)
    refused = AnonRateThrottle()
    assert not refused.allow_request(request, None)
    assert 0 < refused.wait() <= 60


def test_the_window_ends_after_its_period_and_a_new_one_counts_from_zero(small_rate, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(AnonRateThrottle, "timer", lambda self: now[0])
    request = anonymous("198.51.100.9")
    assert [AnonRateThrottle().allow_request(request, None) for _ in range(LIMIT + 1)] == [True] * LIMIT + [False]
    now[0] += 45
    refused = AnonRateThrottle()
    assert not refused.allow_request(request, None)
    assert refused.wait() == pytest.approx(15)
    # The cache forgets the counter when the period is over (its timeout); a new window begins.
    cache.delete_many([refused.key, refused.since_key])
    now[0] += 15
    assert AnonRateThrottle().allow_request(request, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_clients_of_the_live_server_get_exactly_the_limit_of_200s(small_rate, live_server):
    url = live_server.url + "/api/v1/"  # the root: no database work, only the throttle

    def get():
        with httpx.Client(trust_env=False, timeout=30) as client:
            return client.get(url).status_code

    statuses = all_at_once(CLIENTS // 2, get)
    assert sorted(statuses) == [200] * LIMIT + [429] * (CLIENTS // 2 - LIMIT)


def redis_answers():
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


# One process of the two: Django configured with only the Redis cache and the rate, CLIENTS threads
# that wait for "go" on stdin and then each ask the project's throttle once; prints how many passed.
WORKER = """
import sys, threading
import django
from django.conf import settings
url, prefix, limit, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
settings.configure(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    },
    REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"anon": limit + "/minute"}},
)
django.setup()
from django.test import RequestFactory
from api.throttling import AnonRateThrottle
def anonymous(address):
    request = RequestFactory().get("/api/v1/", REMOTE_ADDR=address)
    request.user = None
    return request
request = anonymous("198.51.100.20")
AnonRateThrottle().allow_request(anonymous("192.0.2.1"), None)  # connected before the start
results = []
barrier = threading.Barrier(clients + 1)
def ask():
    barrier.wait()
    results.append(AnonRateThrottle().allow_request(request, None))
threads = [threading.Thread(target=ask) for _ in range(clients)]
for thread in threads:
    thread.start()
print("ready", flush=True)
sys.stdin.readline()
barrier.wait()
for thread in threads:
    thread.join()
print(results.count(True), flush=True)
"""


def test_two_processes_sharing_redis_pass_exactly_the_limit_between_them():
    if not redis_answers():
        message = f"Needs a Redis server at {REDIS_URL} (TEST_REDIS_URL)."
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"{message} REQUIRE_SERVICES is set, as in CI.")
        pytest.skip(message)
    import redis

    prefix = f"tracker-test-{secrets.token_hex(6)}"
    command = [sys.executable, "-c", WORKER, REDIS_URL, prefix, str(LIMIT), str(CLIENTS)]
    workers = [
        subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        passed = [int(worker.communicate(timeout=60)[0].strip()) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
            worker.stdin.close()
            worker.stdout.close()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    assert sum(passed) == LIMIT, passed
    assert all(worker.returncode == 0 for worker in workers)
