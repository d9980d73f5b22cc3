"""Load test: the API under gunicorn (2 workers) on PostgreSQL and Redis, on 127.0.0.1, for at most 60 s.

    make load                                             # 16 clients for 30 s
    .venv/bin/python bench/load.py --clients 16 --seconds 60
    LOAD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_load_2 .venv/bin/python bench/load.py

What it does, start to end:

1. creates the PostgreSQL database LOAD_DATABASE_URL names (default `tracker_load` on
   127.0.0.1; one that exists already is refused, never emptied), migrates it, loads the seed,
   and makes a curator with a read-write token and a dashboard with a read-only token;
2. starts gunicorn with the repository's gunicorn.conf.py, DEBUG off, 2 workers, persistent
   database connections, the shared cache in Redis (LOAD_REDIS_URL, default the local server,
   under a key prefix of this run's own), and an anonymous rate the run cannot reach (the
   production default, 120/minute from one address, would throttle it);
3. the unloaded run: one client, one request at a time, `--unloaded` requests of the mix;
4. the loaded run: `--clients` clients as fast as the server answers, for `--seconds` (60 at most);
5. prints requests served, errors, requests per second and p50/p95/p99 latency of both runs, and
   the loaded/unloaded latency ratios; checks that every curator write is there, then stops
   the server and drops the database.

The mix (per operation): half anonymous reads (commitment pages, a pledge's timeline, the
pledge matrix, meetings), a third reads with the dashboard's read-only token (filtered
commitments, aggregates, a statement with its text), the rest curator writes: read a
commitment of the client's own, then PATCH its summary with `If-Match` set to the ETag the
read returned, when the API sends one (so it works with and without conditional writes).
Every answer but a 2xx counts as an error (a 429, a 412 and a 5xx alike), as does a
connection that fails.

A script of its own rather than locust: the standard library's HTTP client in threads is
enough to keep two workers busy, its latencies are measured the same way in both runs, and
it adds no dependency (locust brings gevent, Flask and more). The clients share the
machine's cores with the server, so figures are for comparing runs on one machine, not
capacity planning.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/tracker_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
MAX_SECONDS = 60


# -- the database --------------------------------------------------------------------------------


def create_database(url):
    """CREATE DATABASE for `url`; refuses one that exists, so that nobody's data is written to or dropped."""
    import psycopg

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"LOAD_DATABASE_URL must name a PostgreSQL database, not {parts.scheme!r}.")
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(
                f"The database {name!r} exists already: the load run creates its own and drops it at the end. "
                f"Drop it (dropdb {name}) or name another with LOAD_DATABASE_URL."
            )
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(url, name):
    import psycopg

    with psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(database_url):
    """Migrate, load the seed, and make the run's accounts; returns what the clients need."""
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY=secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ.pop("DEBUG", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import DashboardToken
    from accounts.roles import CURATORS, ensure_roles
    from commitments.models import Commitment, LineOfEffort, Thread
    from meetings.models import Statement

    call_command("migrate", verbosity=0)
    call_command("load_seed", verbosity=0)
    ensure_roles()
    users = get_user_model().objects
    curator = users.create_user("load-curator", password=secrets.token_urlsafe(16))
    curator.groups.add(Group.objects.get(name=CURATORS))
    dashboard = users.create_user("load-dashboard", password=secrets.token_urlsafe(16))
    _, curator_key = DashboardToken.objects.issue(name="load curator", user=curator, days=1, read_only=False)
    _, dashboard_key = DashboardToken.objects.issue(name="load dashboard", user=dashboard, days=1)
    plan = {
        "curator_key": curator_key,
        "dashboard_key": dashboard_key,
        "commitments": list(Commitment.objects.order_by("slug").values_list("slug", flat=True)),
        "threads": list(Thread.objects.values_list("slug", flat=True)),
        "lines": list(LineOfEffort.objects.values_list("slug", flat=True)),
        "statements": list(Statement.objects.values_list("slug", flat=True)),
    }
    connections.close_all()
    return plan


# -- the server ---------------------------------------------------------------------------------


def server_settings(database_url, redis_url, static_root):
    """The server's environment: production-like (DEBUG off, a random key), with persistent connections."""
    from tests.servers import server_environment

    return server_environment(
        plain_http=False,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=f"tracker-load-{secrets.token_hex(6)}",
        CONN_MAX_AGE=60,
        STATIC_ROOT=static_root,
        # Every anonymous client here is 127.0.0.1: the production rate would throttle the run.
        API_ANON_RATE="10000000/minute",
    )


# -- the clients --------------------------------------------------------------------------------


def request(port, method, path, headers=None, body=None):
    """One request on a new connection (gunicorn's sync workers close each): (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Accept": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


class Client:
    """One simulated user: picks operations from the mix and records every request's latency."""

    def __init__(self, port, plan, number, seed):
        self.port = port
        self.plan = plan
        self.random = random.Random(seed)  # noqa: S311 - a workload mix, repeatable, not a secret
        # Each client writes one commitment of its own, so that no two writers race on one.
        self.own = plan["commitments"][number % len(plan["commitments"])]
        self.samples = []  # (kind, seconds, ok)
        self.written = None
        self.conditional = None

    def timed(self, kind, method, path, headers=None, body=None, expect=(200,)):
        start = time.perf_counter()
        try:
            status, response_headers, content = request(self.port, method, path, headers, body)
        except OSError:
            status, response_headers, content = None, {}, b""
        self.samples.append((kind, time.perf_counter() - start, status in expect))
        return status, response_headers, content

    def anonymous_read(self):
        plan, pick = self.plan, self.random.choice
        path = pick(
            [
                "/api/v1/commitments/?page_size=50",
                f"/api/v1/commitments/?line_of_effort={pick(plan['lines'])}",
                f"/api/v1/threads/{pick(plan['threads'])}/",
                "/api/v1/aggregates/pledge-matrix/",
                "/api/v1/meetings/",
            ]
        )
        self.timed("anonymous read", "GET", path)

    def token_read(self):
        plan, pick = self.plan, self.random.choice
        path = pick(
            [
                "/api/v1/commitments/?year=2021&page_size=100",
                "/api/v1/aggregates/commitments-by-line/",
                f"/api/v1/statements/{pick(plan['statements'])}/",
                "/api/v1/threads/",
            ]
        )
        self.timed("token read", "GET", path, {"Authorization": f"Token {plan['dashboard_key']}"})

    def curator_write(self):
        auth = {"Authorization": f"Token {self.plan['curator_key']}"}
        path = f"/api/v1/commitments/{self.own}/"
        status, headers, _ = self.timed("curator write", "GET", path, auth)
        if status != 200:
            return
        etag = headers.get("ETag")
        self.conditional = etag is not None
        summary = f"Load run write {secrets.token_hex(4)}."
        write_headers = {**auth, "Content-Type": "application/json", **({"If-Match": etag} if etag else {})}
        status, _, _ = self.timed("curator write", "PATCH", path, write_headers, json.dumps({"summary": summary}))
        if status == 200:
            self.written = summary

    def step(self):
        roll = self.random.random()
        if roll < 0.50:
            self.anonymous_read()
        elif roll < 0.85:
            self.token_read()
        else:
            self.curator_write()


def run(port, plan, clients, seconds, max_requests=None, first_client=0):
    """`clients` clients for `seconds` (or until `max_requests`); returns them, and the elapsed time."""
    workers = [Client(port, plan, first_client + i, seed=first_client + i) for i in range(clients)]
    stop = threading.Event()

    def loop(client):
        while not stop.is_set() and (max_requests is None or len(client.samples) < max_requests):
            client.step()

    threads = [threading.Thread(target=loop, args=(client,), daemon=True) for client in workers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, seconds - (time.perf_counter() - started)))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return workers, time.perf_counter() - started


# -- the report ---------------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summarise(workers, elapsed):
    samples = [sample for client in workers for sample in client.samples]
    latencies = [seconds for _, seconds, _ in samples]
    return {
        "requests": len(samples),
        "errors": sum(not ok for _, _, ok in samples),
        "rate": len(samples) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "by_kind": {
            kind: (
                sum(k == kind for k, _, _ in samples),
                sum(k == kind and not ok for k, _, ok in samples),
                statistics.median(s for k, s, _ in samples if k == kind) * 1000,
            )
            for kind in sorted({k for k, _, _ in samples})
        },
    }


def print_report(args, unloaded, loaded, conditional, verified):
    print(
        f"gunicorn {args.workers} workers, PostgreSQL, Redis, 127.0.0.1; mix: 50% anonymous reads, 35% token reads, "
        f"15% curator writes (GET + PATCH{', If-Match from the ETag' if conditional else '; no ETag was sent'})"
    )
    print(f"{'run':<28}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, result in (
        ("unloaded (1 client)", unloaded),
        (f"loaded ({args.clients} clients, {args.seconds:g} s)", loaded),
    ):
        print(
            f"{name:<28}{result['requests']:>9}{result['errors']:>8}{result['rate']:>8.1f}"
            f"{result['p50']:>9.1f}{result['p95']:>9.1f}{result['p99']:>9.1f}"
        )
    ratios = "".join(f"{loaded[p] / unloaded[p]:>8.1f}x" for p in ("p50", "p95", "p99"))
    print(f"{'ratio loaded / unloaded':<28}{'':>25}{ratios}")
    for kind, (count, errors, p50) in loaded["by_kind"].items():
        print(f"  loaded, {kind:<20}{count:>9}{errors:>8}   p50 {p50:.1f} ms")
    print(f"curator writes checked afterwards: {verified[0]} of {verified[1]} commitments hold their last write")


def verify_writes(port, plan, workers):
    """Every commitment a client wrote holds that client's last successful summary."""
    written = [(client.own, client.written) for client in workers if client.written]
    auth = {"Authorization": f"Token {plan['dashboard_key']}"}
    held = sum(
        json.loads(request(port, "GET", f"/api/v1/commitments/{slug}/", auth)[2])["summary"] == summary
        for slug, summary in written
    )
    return held, len(written)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the loaded run (default 16)")
    parser.add_argument("--seconds", type=float, default=30, help=f"length of the loaded run, at most {MAX_SECONDS}")
    parser.add_argument("--unloaded", type=int, default=300, help="requests in the unloaded run (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be more than 0 and at most {MAX_SECONDS}")
    if not 0 < args.clients <= 64:
        parser.error("--clients must be between 1 and 64")

    database_url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE)
    redis_url = os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS)
    for url in (database_url, redis_url):
        if urlsplit(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit(f"The load run only targets services on this machine (127.0.0.1), not {url}.")
    from tests.servers import gunicorn

    name = create_database(database_url)
    try:
        plan = prepare(database_url)
        with tempfile.TemporaryDirectory(prefix="tracker-load-") as tmp:
            env = server_settings(database_url, redis_url, Path(tmp))
            # The deployment tests' launcher: gunicorn.conf.py on a free loopback port, stopped at the end.
            with gunicorn(env, Path(tmp) / "gunicorn.log", workers=args.workers) as url:
                port = urlsplit(url).port
                run(port, plan, clients=2, seconds=5, max_requests=20, first_client=1000)  # warm both workers
                unloaded = summarise(*run(port, plan, clients=1, seconds=60, max_requests=args.unloaded))
                workers, elapsed = run(port, plan, clients=args.clients, seconds=args.seconds)
                loaded = summarise(workers, elapsed)
                verified = verify_writes(port, plan, workers)
                conditional = any(client.conditional for client in workers)
        print_report(args, unloaded, loaded, conditional, verified)
    finally:
        drop_database(database_url, name)
    if loaded["errors"] or unloaded["errors"] or verified[0] != verified[1]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
