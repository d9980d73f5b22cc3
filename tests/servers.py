"""Real servers for the deployment tests: gunicorn as `make serve` runs it, and a TCP proxy to cut a service off.

Everything listens on 127.0.0.1 only, and every wait is bounded.
"""

import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
# What the test process's own environment must not pass on to a server it starts.
INHERITED_SETTINGS = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "PROXY_COUNT",
    "API_ANON_RATE",
    "API_PUBLIC_READ",
    "CONN_MAX_AGE",
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "STATIC_ROOT",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_client():
    # Loopback only: no proxy from the environment, bounded waits.
    return httpx.Client(trust_env=False, timeout=20, follow_redirects=False)


def server_environment(plain_http=True, **settings):
    """A production-like environment for a server: DEBUG off, a random key, only what `settings` add.

    With `plain_http`, cookies are not marked Secure: the tests speak plain HTTP to 127.0.0.1,
    where a Secure cookie would never be sent back (docs/deploy.md's "Trying it on one machine").
    """
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS}
    env.update(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1")
    if plain_http:
        env.update(SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0")
    env.update({k: str(v) for k, v in settings.items()})
    return env


def run_manage(*args, env):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


@contextmanager
def gunicorn(env, log_path, workers=2):
    """gunicorn with the repository's gunicorn.conf.py on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "--config", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_listening(url, process, log_path)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_listening(url, process, log_path, seconds=60):
    deadline = time.monotonic() + seconds
    with http_client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}:\n{Path(log_path).read_text()}")
            try:
                client.get(url + "/healthz")
                return
            except httpx.TransportError:
                time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer within {seconds} s:\n{Path(log_path).read_text()}")


class TCPProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port`, so that a test can cut a service off and back.

    `stop()` closes the listening socket and every connection through it: the app then meets real
    connection failures (refused, reset), as when the service goes away; `start()` listens again
    on the same port, as when it comes back. `silence()` keeps everything open but answers nothing,
    as a frozen server does: new connections are accepted and held, and nothing passes either way on
    the open ones; `answer()` forwards again, what was held included. One thread, with a selector
    over all sockets.
    """

    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._thread = None
        self._stopping = threading.Event()
        self._silent = threading.Event()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, args=(listener,), daemon=True)
        self._thread.start()

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def silence(self):
        self._silent.set()

    def answer(self):
        self._silent.clear()

    def stop(self):
        self._stopping.set()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the proxy thread did not stop"

    def _serve(self, listener):
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        peers = {}
        held = []  # connections accepted while silent, not yet forwarded
        silent = False
        try:
            while not self._stopping.is_set():
                if self._silent.is_set() != silent:
                    silent = self._silent.is_set()
                    for sock in peers:
                        if silent:
                            selector.unregister(sock)
                        else:
                            selector.register(sock, selectors.EVENT_READ)
                    while held and not silent:
                        self._connect(held.pop(), selector, peers)
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    if sock is listener:
                        client, _ = listener.accept()
                        if silent:
                            held.append(client)
                        else:
                            self._connect(client, selector, peers)
                    else:
                        self._forward(sock, selector, peers)
        finally:
            for sock in [listener, *peers, *held]:
                sock.close()
            selector.close()

    def _connect(self, client, selector, peers):
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        peers[client], peers[upstream] = upstream, client
        selector.register(client, selectors.EVENT_READ)
        selector.register(upstream, selectors.EVENT_READ)

    def _forward(self, sock, selector, peers):
        other = peers.get(sock)
        if other is None:
            return
        try:
            data = sock.recv(65536)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, other):
            selector.unregister(end)
            peers.pop(end, None)
            end.close()
