"""The API's rate limits, counted atomically in the shared cache so they hold across workers and hosts.

DRF's own throttles read a client's request history from the cache, append to it and write it
back: two workers reading at once both see room, and both let a request through (10-13 % over the
limit with 8 concurrent clients). Here each client has one counter per window, created with
`cache.add` (only if absent) and counted with `cache.incr`, each a single atomic step in Redis and
in the local-memory cache alike (on Redis both in one round trip, `counted`). The window starts at
the client's first request and lasts the rate's period; within it exactly the rate's number of
requests pass, however many workers answer.
"""

from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling


class AtomicWindowMixin:
    """allow_request() and wait() over one atomic counter per client and window (see the module)."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        count, new_window = self.counted()
        if new_window:
            # Its start, for Retry-After. Losing a race here only shifts that estimate.
            self.cache.set(self.since_key, self.now, self.duration)
        return count <= self.num_requests

    def counted(self):
        """(this request's number in the client's window, whether it opened the window)."""
        if isinstance(self.cache, RedisCache):
            # One round trip, as every API request pays it: SET NX and INCR in one MULTI/EXEC (Django's add()
            # and incr() take three, incr asking first whether the key exists). Django stores an int as a
            # plain Redis integer, so INCR counts the value add() would have written.
            key = self.cache.make_and_validate_key(self.key)
            pipe = self.cache._cache.get_client(key, write=True).pipeline()
            pipe.set(key, 0, ex=self.duration, nx=True)
            pipe.incr(key)
            opened, count = pipe.execute()
            return count, bool(opened)
        while True:
            opened = self.cache.add(self.key, 0, self.duration)
            try:
                return self.cache.incr(self.key), opened
            except ValueError:
                continue  # the window ended between add and incr: start the next one

    @property
    def since_key(self):
        return f"{self.key}:since"

    def wait(self):
        """Seconds until this client's window ends (the whole period when its start is not known)."""
        since = self.cache.get(self.since_key)
        if since is None:
            return self.duration
        return max(0.0, since + self.duration - self.now)


class AnonRateThrottle(AtomicWindowMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (NUM_PROXIES decides which): API_ANON_RATE, default 120/minute."""


class UserRateThrottle(AtomicWindowMixin, throttling.UserRateThrottle):
    """Signed-in users, by user (a `user` rate in DEFAULT_THROTTLE_RATES turns it on); not enabled by default."""
