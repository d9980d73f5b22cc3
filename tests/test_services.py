"""The deployment with its real services: gunicorn instances sharing PostgreSQL and Redis, and their outages.

These need PostgreSQL (the suite's own test database, which the servers share) and a Redis server:
without them they skip locally, and fail when REQUIRE_SERVICES is set, as in CI. Everything listens
on 127.0.0.1; each test sends a few dozen requests.
"""

import os
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.models import DashboardToken
from tests.factories import CommitmentFactory, UserFactory
from tests.servers import TCPProxy, gunicorn, http_client, server_environment

pytestmark = pytest.mark.services

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "a-long-test-password"


def require(available, message):
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{message} REQUIRE_SERVICES is set, as in CI.")
    pytest.skip(message)


def redis_answers(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@dataclass
class Services:
    database: dict
    redis_url: str
    prefix: str
    static_root: str

    def database_url(self, port=None):
        """The suite's test database, which the servers share, directly or through a proxy's port."""
        db = self.database
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        return f"postgres://{credentials}@127.0.0.1:{port or db['PORT'] or 5432}/{quote(db['NAME'])}"

    def environment(self, **settings):
        shared = {
            "DATABASE_URL": self.database_url(),
            "REDIS_URL": self.redis_url,
            "CACHE_KEY_PREFIX": self.prefix,
            "STATIC_ROOT": self.static_root,
        }
        return server_environment(**{**shared, **settings})


@pytest.fixture
def services(transactional_db, collected_static_root):
    require(connection.vendor == "postgresql", "Needs PostgreSQL: run with DATABASE_URL=postgres://…")
    require(redis_answers(REDIS_URL), f"Needs a Redis server at {REDIS_URL} (TEST_REDIS_URL).")
    # A prefix of this run's own, so that parallel runs sharing the Redis server never meet.
    prefix = f"tracker-test-{secrets.token_hex(6)}"
    yield Services(connection.settings_dict, REDIS_URL, prefix, str(collected_static_root))
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def make_superuser(username):
    user = UserFactory(username=username, is_staff=True, is_superuser=True)
    # Hashed with a hasher the servers know (the suite's own settings use a fast one they do not).
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


def log_in(client, url, username):
    form = client.get(url + "/admin/login/")
    token = form.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        url + "/admin/login/?next=/admin/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response.headers["location"] == "/admin/", response.text
    return client.cookies["sessionid"]


def test_two_instances_share_the_anonymous_throttle_and_the_sessions(services, tmp_path):
    make_superuser("alice")
    env = services.environment(API_ANON_RATE="10/minute")
    with (
        gunicorn(env, tmp_path / "first.log") as first,
        gunicorn(env, tmp_path / "second.log") as second,
        http_client() as client,
    ):
        statuses = []
        for i in range(30):
            # Alternating instances, and a new forged X-Forwarded-For each time (no proxy is declared).
            response = client.get(
                (first, second)[i % 2] + "/api/v1/meetings/", headers={"X-Forwarded-For": f"203.0.113.{i}"}
            )
            statuses.append(response.status_code)
        assert statuses == [200] * 10 + [429] * 20
        assert "throttled" in response.json()["detail"] and int(response.headers["retry-after"]) > 0

        session = log_in(client, first, "alice")
        with http_client() as other:
            other.cookies.set("sessionid", session)
            page = other.get(second + "/admin/")
            assert page.status_code == 200 and "alice" in page.text
            # Logging out on the second ends the session on the first too.
            csrf = other.get(second + "/admin/password_change/")
            token = csrf.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
            assert other.post(second + "/admin/logout/", data={"csrfmiddlewaretoken": token}).status_code == 200
        assert client.get(first + "/admin/").status_code == 302


def get_all(url, curator, anonymous, token):
    """/healthz, an anonymous API read, a dashboard's token read, and the admin with a curator's session."""
    return {
        "health": anonymous.get(url + "/healthz"),
        "api": anonymous.get(url + "/api/v1/commitments/"),
        "token": anonymous.get(url + "/api/v1/meetings/", headers={"Authorization": f"Token {token}"}),
        "admin": curator.get(url + "/admin/"),
    }


def assert_served(responses):
    assert {name: response.status_code for name, response in responses.items()} == {
        "health": 200,
        "api": 200,
        "token": 200,
        "admin": 200,
    }
    assert responses["health"].json() == {"status": "ok", "database": "ok", "cache": "ok"}


def assert_unavailable_json(response, service):
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "10"
    assert response.json() == {
        "detail": f"The tracker's {service} cannot be reached just now; nothing was changed. Try again shortly."
    }


def test_outages_of_the_database_and_of_redis_give_503s_and_both_recover_by_themselves(services, tmp_path):
    alice = make_superuser("alice")
    CommitmentFactory()
    _, key = DashboardToken.objects.issue(name="Budget dashboard", user=alice, days=1)
    database = TCPProxy(int(services.database["PORT"] or 5432))
    cache = TCPProxy(int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    database.start()
    cache.start()
    env = services.environment(
        DATABASE_URL=services.database_url(database.port),
        REDIS_URL=f"redis://127.0.0.1:{cache.port}/0",
        # Persistent connections, as docs/deploy.md's production block has: broken ones must be replaced.
        CONN_MAX_AGE=60,
        API_ANON_RATE="1000/minute",
    )
    try:
        with gunicorn(env, tmp_path / "gunicorn.log") as url, http_client() as curator, http_client() as anonymous:
            log_in(curator, url, "alice")

            def get():
                return get_all(url, curator, anonymous, key)

            # Several rounds, so that both workers (and their kept connections) are seen.
            for _ in range(3):
                assert_served(get())

            database.stop()
            for _ in range(3):
                down = get()
                assert down["health"].status_code == 503
                assert down["health"].json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
                assert_unavailable_json(down["api"], "database")
                assert_unavailable_json(down["token"], "database")
                assert down["admin"].status_code == 503
                assert down["admin"].headers["content-type"] == "text/html; charset=utf-8"
                assert "Temporarily unavailable" in down["admin"].text and "database" in down["admin"].text
                for response in down.values():
                    assert "Traceback" not in response.text
            database.start()
            for _ in range(3):
                assert_served(get())

            cache.stop()
            for _ in range(3):
                down = get()
                assert down["health"].status_code == 503
                assert down["health"].json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}
                # Anonymous reads are throttled through Redis; signed-in reads and the admin do not need it.
                assert_unavailable_json(down["api"], "cache")
                assert down["token"].status_code == 200 and down["admin"].status_code == 200
            cache.start()
            for _ in range(3):
                assert_served(get())
        log = (tmp_path / "gunicorn.log").read_text()
        assert "the database is unreachable" in log and "the cache is unreachable" in log
    finally:
        for proxy in (database, cache):
            if proxy.running:
                proxy.stop()


# A database that accepts connections and never answers (the proxy silenced): bounded waits, then 503s.
CONNECT_TIMEOUT = 2  # the least libpq accepts
STATEMENT_TIMEOUT = 3
# Generous: the claim is that the wait is bounded, not how fast the answer is.
BOUND = 3 * CONNECT_TIMEOUT


def timed(request, *args, **kwargs):
    started = time.monotonic()
    response = request(*args, **kwargs)
    return response, time.monotonic() - started


def test_a_silent_database_gives_503s_within_the_connect_timeout_and_service_returns_with_it(services, tmp_path):
    alice = make_superuser("alice")
    CommitmentFactory()
    _, key = DashboardToken.objects.issue(name="Budget dashboard", user=alice, days=1)
    database = TCPProxy(int(services.database["PORT"] or 5432))
    database.start()
    env = services.environment(
        DATABASE_URL=services.database_url(database.port),
        # Kept connections, as in production: a silent one must not hold the request either.
        CONN_MAX_AGE=60,
        DATABASE_CONNECT_TIMEOUT=CONNECT_TIMEOUT,
        DATABASE_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT,
        API_ANON_RATE="1000/minute",
    )
    try:
        with gunicorn(env, tmp_path / "gunicorn.log") as url, http_client() as curator, http_client() as anonymous:
            log_in(curator, url, "alice")
            for _ in range(3):
                assert_served(get_all(url, curator, anonymous, key))

            database.silence()
            for _ in range(2):
                health, health_time = timed(anonymous.get, url + "/healthz")
                api, api_time = timed(anonymous.get, url + "/api/v1/commitments/")
                token, token_time = timed(
                    anonymous.get, url + "/api/v1/meetings/", headers={"Authorization": f"Token {key}"}
                )
                admin, admin_time = timed(curator.get, url + "/admin/")
                public, public_time = timed(anonymous.get, url + "/")
                assert health.status_code == 503
                assert health.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
                assert_unavailable_json(api, "database")
                assert_unavailable_json(token, "database")
                for page in (admin, public):
                    assert page.status_code == 503
                    assert page.headers["content-type"] == "text/html; charset=utf-8"
                    assert "Temporarily unavailable" in page.text and "database" in page.text
                assert max(health_time, api_time, token_time, admin_time, public_time) < BOUND

            database.answer()
            deadline = time.monotonic() + 10
            while True:
                responses = get_all(url, curator, anonymous, key)
                if all(response.status_code == 200 for response in responses.values()):
                    break
                assert time.monotonic() < deadline, {name: r.status_code for name, r in responses.items()}
                time.sleep(0.2)
            assert_served(responses)
            assert anonymous.get(url + "/").status_code == 200
        log = (tmp_path / "gunicorn.log").read_text()
        assert "the database is unreachable" in log
        assert "WORKER TIMEOUT" not in log and "Traceback" not in log
    finally:
        if database.running:
            database.stop()


def test_the_backend_bounds_every_wait_on_a_database_that_accepts_and_never_answers(services):
    from django.db import OperationalError

    from tracker.postgresql.base import DatabaseWrapper

    database = TCPProxy(int(services.database["PORT"] or 5432))
    database.start()
    # A statement timeout well apart from the connect timeout, so that it shows which bound applied.
    statement_timeout = 6
    options = {"connect_timeout": CONNECT_TIMEOUT, "statement_timeout": statement_timeout}
    wrapper = DatabaseWrapper({**services.database, "PORT": database.port, "OPTIONS": options}, alias="default")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == (f"{statement_timeout}s",)
            # A slow statement: the server cancels it itself.
            with pytest.raises(OperationalError, match="canceling statement due to statement timeout"):
                cursor.execute("SELECT pg_sleep(%s)", [statement_timeout + 10])

        database.silence()
        # A statement on a connection already open: the client gives up after the statement timeout and
        # a margin, and closes the connection, whose answer could still come into a later conversation.
        started = time.monotonic()
        with pytest.raises(OperationalError, match=f"did not answer within {statement_timeout + 2} s"):
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT 1")
        assert time.monotonic() - started < 2 * (statement_timeout + 2)
        assert wrapper.connection.closed
        wrapper.close()
        # A new connection: accepted, never answered.
        started = time.monotonic()
        with pytest.raises(OperationalError, match="timeout expired"):
            wrapper.ensure_connection()
        assert time.monotonic() - started < BOUND

        database.answer()
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)

        # Django's check of a connection after an error has the connect timeout's bound, not the statement's.
        database.silence()
        started = time.monotonic()
        assert wrapper.is_usable() is False
        assert time.monotonic() - started < CONNECT_TIMEOUT + 3 < statement_timeout + 2
        database.answer()
        wrapper.close()
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        wrapper.close()
        database.stop()


def test_the_tcp_proxy_really_cuts_the_connection_and_restores_it(services):
    proxy = TCPProxy(int(services.database["PORT"] or 5432))
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{proxy.port}/", timeout=2, trust_env=False)
    proxy.start()
    try:
        import psycopg

        with psycopg.connect(services.database_url(proxy.port), connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        proxy.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(services.database_url(proxy.port), connect_timeout=5)


def test_the_load_command_runs_briefly_with_no_error(services):
    # bench/load.py as docs/benchmark.md shows it, cut short: its own database beside the suite's, dropped at the end.
    import subprocess
    import sys

    from tests.servers import ROOT

    name = f"test_load_{secrets.token_hex(4)}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}},
        "LOAD_DATABASE_URL": services.database_url().rsplit("/", 1)[0] + f"/{name}",
        "LOAD_REDIS_URL": services.redis_url,
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--clients", "4", "--seconds", "3", "--unloaded", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    unloaded = re.search(r"^unloaded \(1 client\)\s+20\s+0\s", result.stdout, flags=re.MULTILINE)
    loaded = re.search(r"^loaded \(4 clients, 3 s\)\s+\d+\s+0\s", result.stdout, flags=re.MULTILINE)
    assert unloaded and loaded, result.stdout
    assert "ratio loaded / unloaded" in result.stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        assert cursor.fetchone() is None
