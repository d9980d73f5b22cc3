"""The production set-up: `check --deploy`, gunicorn serving static files with DEBUG off, /healthz, proxies."""

import re
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.addresses import client_address
from tests.servers import ROOT, gunicorn, http_client, run_manage, server_environment


def readme_production_environment():
    """The variables docs/deploy.md's Production section sets, as `export NAME=value` lines in its shell block."""
    readme = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = readme.split("\n## Production", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    pairs = re.findall(r"^export ([A-Z_]+)=(\S*)", block, flags=re.MULTILINE)
    return {name: value.strip("'\"") for name, value in pairs}


def test_check_deploy_finds_no_issue_with_the_environment_readme_gives(tmp_path):
    env = readme_production_environment()
    for name in ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "REDIS_URL"):
        assert name in env, f"docs/deploy.md's Production block does not set {name}"
    # Its secret and its database are placeholders; everything else is taken as written.
    env.update(SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run_manage("check", "--deploy", env=server_environment(plain_http=False, **env))
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""


def test_check_deploy_warns_without_the_https_settings(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "ALLOWED_HOSTS": "tracker.example.org"}
    result = run_manage("check", "--deploy", env=server_environment(plain_http=False, **env))
    # HSTS and the HTTPS redirect are off until the operator says TLS is in front.
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


@pytest.fixture
def served(collected_static_root, tmp_path):
    """The environment of a server with its static files collected, on a migrated SQLite file of its own."""
    env = server_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", STATIC_ROOT=collected_static_root)
    run_manage("migrate", "--noinput", env=env)
    return env, tmp_path


def test_gunicorn_serves_the_admins_css_the_public_pages_and_the_api_docs_with_debug_off(served):
    env, folder = served
    with gunicorn(env, folder / "gunicorn.log") as url, http_client() as client:
        login = client.get(url + "/admin/login/")
        assert login.status_code == 200
        stylesheets = re.findall(r'href="(/static/admin/css/[^"]+\.css)"', login.text)
        assert "/static/admin/css/base.css" not in stylesheets
        assert any(re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", href) for href in stylesheets)
        for href in stylesheets:
            css = client.get(url + href, headers={"Accept-Encoding": "gzip"})
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert css.headers["content-encoding"] == "gzip"
            assert "immutable" in css.headers["cache-control"]

        public = client.get(url + "/")
        assert public.status_code == 200
        (site_css,) = re.findall(r'href="(/static/public/site\.[0-9a-f]{12}\.css)"', public.text)
        assert client.get(url + site_css).status_code == 200

        for page in ("/api/v1/docs/", "/api/v1/redoc/"):
            docs = client.get(url + page)
            assert docs.status_code == 200
            # Redoc's bundle comes through the API (api.docs_pages), without the logo it drew from a CDN.
            scripts = re.findall(r'src="((?:/static/drf_spectacular_sidecar|/api/v1/redoc)/[^"]+\.js)"', docs.text)
            assert scripts, docs.text
            for src in scripts:
                assert client.get(url + src).status_code == 200
        assert client.get(url + "/api/v1/schema/").status_code == 200
        assert client.get(url + "/api/v1/meetings/").json()["results"] == []
        assert client.get(url + "/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}
    log = (folder / "gunicorn.log").read_text()
    # The access log, one line per request, with its status and time.
    assert re.search(r'"GET /admin/login/ HTTP/1.1" 200 \d+ .* \d+ms', log)


@pytest.mark.django_db
def test_healthz_answers_200_with_a_small_json_body(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


# -- addresses behind proxies ---------------------------------------------------------------------


def test_client_address_ignores_x_forwarded_for_unless_proxies_are_declared(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_address(request) == "10.0.0.1"
    settings.PROXY_COUNT = 1
    # One proxy appended the address it saw; the entry before it was written by the client.
    assert client_address(request) == "198.51.100.7"
    settings.PROXY_COUNT = 2
    assert client_address(request) == "203.0.113.9"
    settings.PROXY_COUNT = 5
    assert client_address(request) == "203.0.113.9"


@pytest.fixture
def anon_rate_3_per_minute(monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import AnonRateThrottle

    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_per_request_does_not_dodge_the_throttle(anon_rate_3_per_minute):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    client = APIClient()
    url = reverse("api:meeting-list")
    statuses = [client.get(url, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db
def test_behind_a_declared_proxy_the_throttle_counts_the_address_it_reports(settings, anon_rate_3_per_minute):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    url = reverse("api:meeting-list")
    # Every request comes from the proxy (REMOTE_ADDR); the client is the address the proxy appended.
    first = [client.get(url, HTTP_X_FORWARDED_FOR=f"forged-{i}, 198.51.100.1").status_code for i in range(4)]
    assert first == [200, 200, 200, 429]
    assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_the_gunicorn_configuration_binds_to_loopback_with_two_workers_by_default(monkeypatch):
    for name in ("BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    namespace = {}
    exec(Path(ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 - the repository's own file
    assert namespace["bind"] == ["127.0.0.1:8000"] and namespace["workers"] == 2
    assert namespace["accesslog"] == "-" and namespace["timeout"] == 30


def test_postgresql_waits_are_bounded_by_the_documented_defaults_or_the_environment(tmp_path):
    # The parameters the app would connect with (nothing connects): libpq's connect timeout, the
    # server's statement timeout, and the client's own bound for any answer.
    show = (
        "from django.db import connections; c = connections['default']; p = c.get_connection_params(); "
        "print(type(c).__module__, p['connect_timeout'], p['options'], c.answer_timeout, c.check_timeout)"
    )
    env = server_environment(DATABASE_URL="postgres://tracker@127.0.0.1:9/tracker")
    result = run_manage("shell", "-c", show, env=env)
    assert result.stdout.splitlines()[-1] == "tracker.postgresql.base 5 -c statement_timeout=15000 17 5"
    env.update(DATABASE_CONNECT_TIMEOUT="3", DATABASE_STATEMENT_TIMEOUT="0")
    result = run_manage("shell", "-c", show, env=env)
    assert result.stdout.splitlines()[-1] == "tracker.postgresql.base 3 -c statement_timeout=0 None 3"
