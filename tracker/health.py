"""The deployment's view of its own health: /healthz, and a 503 instead of a 500 while a service is away.

Project-level, like the settings: both concern the whole deployment (every app's pages), not one app.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "10"

UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title></head>
<body><h1>Temporarily unavailable</h1>
<p>The commitment tracker cannot reach its {service} just now. Nothing was changed.
Please try again in a moment.</p></body></html>
"""


def unavailable_service(exc):
    """Which service an exception says is away ('database' or 'cache'), or None for any other error."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return "database"
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        return "cache"
    return None


class ServiceUnavailableMiddleware:
    """Answers 503 when a view fails because the database or Redis cannot be reached.

    JSON under /api/ (DRF's error shape, `detail`), a plain page elsewhere (the admin): never a
    traceback, and no state kept, so the next request after the service returns is served as usual.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        service = unavailable_service(exception)
        if service is None:
            return None
        logger.warning("%s %s: the %s is unreachable (%s)", request.method, request.path, service, exception)
        if request.path.startswith("/api/"):
            detail = f"The tracker's {service} cannot be reached just now; nothing was changed. Try again shortly."
            response = JsonResponse({"detail": detail}, status=503)
        else:
            response = HttpResponse(UNAVAILABLE_PAGE.format(service=service), status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response


def database_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_answers():
    # A read of a key that is never written: a round trip to Redis, with nothing to clean up.
    cache.get("healthz-probe")


@never_cache
@require_safe
def healthz(request):
    """200 when the database and the cache (Redis, when configured) answer; 503 naming the one that does not."""
    checks = {}
    for name, probe, errors in (("database", database_answers, DatabaseError), ("cache", cache_answers, RedisError)):
        try:
            probe()
        except errors as exc:
            logger.warning("healthz: the %s is unreachable (%s)", name, exc)
            checks[name] = "unavailable"
        else:
            checks[name] = "ok"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
