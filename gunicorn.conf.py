"""gunicorn's configuration: `gunicorn --config gunicorn.conf.py` (what `make serve` runs).

Read from the environment, as the settings are (docs/deploy.md, Production). Sync workers: each handles
one request at a time, so WEB_CONCURRENCY is how many requests are served at once per host.
"""

import os

wsgi_app = "tracker.wsgi:application"
# Loopback by default: the TLS proxy in front connects here. BIND=0.0.0.0:8000 to listen on every interface.
bind = [os.environ.get("BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request still running after this is killed and its worker replaced (a stuck query, a dead peer).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Access and error logs on stdout/stderr, for the service manager to keep; %(M)s is the time taken in ms.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
# No runtime control socket (gunicornc): its default path is per user, not per instance, so two
# instances on one host would share it; the service manager starts and stops the server.
control_socket_disable = True


def post_worker_init(worker):
    """Once a worker has loaded the app, set its objects aside from the garbage collector's counts.

    Every request allocates thousands of short-lived objects; each collection of the oldest
    generation would otherwise walk the whole loaded app (Django, DRF, the URL and model registries)
    again. Frozen, they are never collected nor walked: a collection costs what the request made.
    """
    import gc

    gc.freeze()
