"""The configuration the benchmark runs in: a deployment's (docs/deploy.md, Production), not a laxer one.

Redis as the shared cache (the throttle's counters, the counts per line of effort) when it answers on
127.0.0.1:6379, under a key prefix of the run's own; the anonymous throttle at its documented rate
(`API_ANON_RATE` unset: 120/minute); persistent connections (`CONN_MAX_AGE=60`); whitenoise serving
the collected static files; one proxy in front (`PROXY_COUNT=1`), as behind the organisation's TLS proxy.

The benchmark's client would be throttled at that rate if it were one anonymous client: it is many,
as a deployment's readers are. Each request names its client's address in `X-Forwarded-For` (what
the proxy appends), and a client makes at most `REQUESTS_PER_CLIENT` requests, under the rate, so the
throttle does all its work (its counter added and incremented in Redis) and never refuses. A request
refused all the same (429) fails the benchmark: its figures check every answer's status.
"""

import itertools
import random
import re
import socket
import urllib.request

REDIS_URL = "redis://127.0.0.1:6379/0"
# The documented rate (tracker/settings.py, docs/api.md), for the table's header; the settings apply it.
ANON_RATE = "120/minute"
REQUESTS_PER_CLIENT = 100
CONN_MAX_AGE = "60"


def redis_answers(url=REDIS_URL):
    """Whether a Redis server answers PING at `url` (within a second)."""
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (ImportError, OSError, Exception):  # noqa: BLE001 - any failure means no Redis for the run
        return False


def settings_environment(redis_url, key_prefix):
    """The environment variables of the production configuration (without Redis when `redis_url` is empty)."""
    env = {"CONN_MAX_AGE": CONN_MAX_AGE, "PROXY_COUNT": "1"}
    if redis_url:
        env.update(REDIS_URL=redis_url, CACHE_KEY_PREFIX=key_prefix)
    return env


def describe(redis_url):
    """The table header's line saying which configuration ran."""
    cache = f"Redis ({redis_url}) shared cache and throttle" if redis_url else "NO Redis (each process counts alone)"
    return (
        f"configuration: {cache}, anonymous throttle at the documented {ANON_RATE} per client address "
        f"(PROXY_COUNT=1, at most {REQUESTS_PER_CLIENT} requests a client), CONN_MAX_AGE={CONN_MAX_AGE}, "
        "whitenoise serving the collected static files"
    )


def remove_keys(redis_url, key_prefix):
    """Delete the run's keys (each database's prefix begins with the run's) from Redis; returns how many."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{key_prefix}-*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    return len(keys)


def static_served(base):
    """The stylesheet the home page links to (its hashed name, from collectstatic's manifest), fetched from
    the server at `base`: whitenoise serves it, or this raises."""
    with urllib.request.urlopen(f"{base}/", timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
        page = response.read().decode()
    found = re.search(r'href="(/static/[^"]+\.css)"', page)
    if found is None:
        raise SystemExit("The home page links to no stylesheet under /static/.")
    with urllib.request.urlopen(f"{base}{found[1]}", timeout=30) as response:  # noqa: S310
        if response.status != 200 or not response.read():
            raise SystemExit(f"{found[1]} was not served.")
    return found[1]


class Addresses:
    """Client addresses for `X-Forwarded-For`: a new one every `REQUESTS_PER_CLIENT` requests; thread-safe.

    Each process starts at a random point of 10.0.0.0/8, so that two processes measuring within the
    same minute do not add up one client's requests.
    """

    def __init__(self, per_client=REQUESTS_PER_CLIENT):
        self.per_client = per_client
        self.requests = itertools.count(random.randrange(1 << 24) * per_client)  # noqa: S311 - not a secret

    def next(self):
        client = (next(self.requests) // self.per_client) % (1 << 24)
        return socket.inet_ntoa((10 << 24 | client).to_bytes(4, "big"))


def client():
    """A Django test client whose every request comes from the next of many anonymous clients (`Addresses`)."""
    from django.test import Client

    class ManyClients(Client):
        addresses = Addresses()

        def request(self, **request):
            request.setdefault("HTTP_X_FORWARDED_FOR", self.addresses.next())
            return super().request(**request)

    return ManyClients()
