"""Settings for the commitment tracker, read from the environment (12-factor).

DEBUG is off unless set, and then the app refuses to start without a SECRET_KEY
(wsgi/asgi). manage.py turns DEBUG on when SECRET_KEY is not set at all and the database
is the checkout's own db.sqlite3, so a local checkout works with nothing configured (an
insecure development key, the dev account); against any other database it stops instead,
and a deployment, which must set SECRET_KEY, keeps DEBUG off. DATABASE_URL selects the
engine; a local SQLite file is the default. The production settings (proxy, HSTS, cookies,
shared cache, login limits) are in the block at the end; docs/deploy.md, Production, lists them.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tracker.development import is_local_database

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


DEBUG = env_bool("DEBUG")

# The checkout's own db.sqlite3 (DATABASE_URL unset or naming it): the only database the
# development key and the development account may ever touch.
LOCAL_DEVELOPMENT_DATABASE = is_local_database(os.environ.get("DATABASE_URL"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not LOCAL_DEVELOPMENT_DATABASE:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set for any database but this checkout's db.sqlite3: "
            "the development key is published in the repository."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# The Atom feeds' entry ids are tag URIs (RFC 4151) under this authority: a domain the deployment
# holds and a date it held it on. Set once and never changed: readers know an entry by its id.
FEED_TAG_AUTHORITY = os.environ.get("FEED_TAG_AUTHORITY", "coalition-tracker.example,2026")

# The verbatim source statements the seed is built from, shipped in the repository.
SOURCES_DIR = Path(os.environ.get("TRACKER_SOURCES_DIR", BASE_DIR / "fixtures" / "sources"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Counts failed admin logins per account and per address, in the database (every worker, every host).
    "axes",
    "core",
    "meetings",
    "commitments",
    "ingest",
    "accounts",
    # The change feed and the webhooks' outbox (between the domain apps and the API).
    "changes",
    "api",
    "snapshots",
    "public",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (hashed, compressed) straight from STATIC_ROOT, before sessions and the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # `?as_of=` refused (400) on a view that does not read it: never the present shown for a past date.
    "core.when.AsOfMiddleware",
    # Records who made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # The database or Redis unreachable: a 503 (JSON under /api/, a plain page elsewhere), not a 500.
    "tracker.health.ServiceUnavailableMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]
# Before anything reads the request: NUL characters in the address, and oversize API bodies.
MIDDLEWARE.insert(1, "api.guards.HostileInputMiddleware")


ROOT_URLCONF = "tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # The public pages (public/jinja2/): Jinja2 renders their long repeated markup several times faster.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "public.templating.environment"},
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A persistent connection broken while the database was away is replaced, not reused.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web use: a write transaction takes the write lock when it begins (so a
    # read-then-write inside it cannot be overtaken), others wait for it up to `timeout`
    # seconds instead of failing with "database is locked", and readers do not block the writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": int(os.environ.get("SQLITE_TIMEOUT", "20")),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# PostgreSQL's full-text search backs the API's `q` filter there; SQLite falls back to icontains.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")

# Snapshots are signed with this Ed25519 private key (PEM; `manage.py snapshot keygen PATH` makes a
# pair). A local development checkout signs with a key of its own under var/, made by `make run`.
SNAPSHOT_SIGNING_KEY_FILE = os.environ.get(
    "SNAPSHOT_SIGNING_KEY_FILE", str(BASE_DIR / "var" / "snapshot-signing-key.pem") if DEBUG else ""
)
# Public keys (PEM files, comma-separated) whose signatures verify and restore accept, besides the
# signing key's own.
SNAPSHOT_TRUSTED_KEY_FILES = [p for p in os.environ.get("SNAPSHOT_TRUSTED_KEY_FILES", "").split(",") if p.strip()]

# Anonymous clients may read what is published unless this is turned off.
API_PUBLIC_READ = env_bool("API_PUBLIC_READ", True)

# The largest request body the API reads (1 MiB): a larger one is answered 413 before it is parsed.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))

REST_FRAMEWORK = {
    # Token first: an anonymous write is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.DashboardTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOrCurate"],
    # JSON, form and multipart bodies, each refused (400) when it holds a NUL, a lone surrogate or
    # nesting deeper than any resource has.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.ORJSONRenderer",
        "api.renderers.BrowsableHTMLRenderer",
        "api.renderers.CSVRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.FilterBackend",
        "api.changed_since.ChangedSinceFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_ANON_RATE", "120/minute")},
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SYSTEM_FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MONOSPACE_FONTS = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
SPECTACULAR_SETTINGS = {
    "TITLE": "Commitment tracker API",
    "DESCRIPTION": (
        "What the Global Coalition to Defeat Daesh/ISIS pledged at each meeting, as exact quotes of its "
        "statements, filed by line of effort and linked across meetings as recurring pledges. "
        "Resources are addressed by slug. Read access is public unless turned off; curators write; "
        "auditors read change history and download snapshots."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Nothing from another host (api.docs_pages): the system's fonts, no validator badge from swagger.io.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": SYSTEM_FONTS,
                "headings": {"fontFamily": SYSTEM_FONTS},
                "code": {"fontFamily": MONOSPACE_FONTS},
            }
        }
    },
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChangeKindEnum": "commitments.models.ChangeKind",
        "StrengthEnum": "commitments.models.Strength",
        "ImplementationStatusEnum": "commitments.models.ImplementationStatus",
        "FundingStageEnum": "commitments.models.FundingStage",
        "ParticipationRoleEnum": "meetings.models.ParticipationRole",
        "FigureMetricEnum": "meetings.models.FigureMetric",
        "QualifierEnum": "meetings.models.Qualifier",
        "FactsBasisEnum": "meetings.models.FactsBasis",
        "MeetingFormatEnum": "meetings.models.MeetingFormat",
        "DatePrecisionEnum": "meetings.models.DatePrecision",
        "StatementKindEnum": "meetings.models.StatementKind",
        "MemberKindEnum": "meetings.models.MemberKind",
    },
}


# -- Deployment: production server, proxy and HTTPS, shared cache, login limits -------------------
# docs/deploy.md, Production, lists these variables and the values a deployment behind a TLS proxy sets.


def env_int(name, default):
    value = os.environ.get(name) or str(default)
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < 0:
        raise ImproperlyConfigured(f"{name}={value!r} must not be negative.")
    return number


def env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


# PostgreSQL with every wait bounded (tracker.postgresql): opening a connection, and checking a kept one,
# waits at most DATABASE_CONNECT_TIMEOUT seconds; a statement runs at most DATABASE_STATEMENT_TIMEOUT on the
# server, and the client waits for any answer that long plus 2 s, then closes the connection. A database that
# accepts and never answers gives a 503 within seconds instead of holding a worker (0 turns a bound off).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 15)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "tracker.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=DATABASE_CONNECT_TIMEOUT, statement_timeout=DATABASE_STATEMENT_TIMEOUT
    )

# collectstatic writes hashed, compressed copies that whitenoise serves with far-future caching.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# How many proxies in front append to X-Forwarded-For. 0 (no proxy): the header is ignored and the
# peer's address counts, so a client cannot dodge the throttle or the login limit by forging it.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
REST_FRAMEWORK["NUM_PROXIES"] = PROXY_COUNT

# Only behind a proxy that sets X-Forwarded-Proto itself (and drops what clients send).
if env_bool("TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The public origin(s), e.g. https://tracker.example.org, for the admin's POSTs behind the proxy.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Off by default: right only when TLS terminates in front, which the operator says (docs/deploy.md).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's plain-HTTP probe
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)

# Shared by every worker on every host when REDIS_URL is set: throttling and anything else cached.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Keeps deployments (or test runs) that share one Redis apart.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "tracker"),
            # An unreachable Redis fails a request fast (a 503) instead of holding a worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # One process's memory, as runserver and the tests need; each process counts on its own.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Webhooks (changes/webhooks.py, docs/api.md): only these hosts are ever POSTed to (`*` any host;
# `.example.org` its subdomains), and only at public addresses unless the address is in one of
# WEBHOOK_ALLOWED_NETWORKS (e.g. 10.0.0.0/8 for a receiver inside the deployment).
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS")
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
# A failed attempt is retried after 30 s, then 1, 2, 4 ... minutes, up to this many attempts, then marked failed.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)

# Failed admin logins, counted in the database by django-axes: an account, or an address, that
# fails LOGIN_FAILURE_LIMIT times is locked for LOGIN_LOCKOUT_MINUTES (`manage.py axes_reset` unlocks).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 60))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# Failures expire after the lockout time, not on a success: attempts are stored per (account, address),
# so a success that cleared its address's records would also clear another account's count there.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"

# With DEBUG off Django logs nothing to the console: send warnings and errors (a 500's traceback,
# a 503's cause) to stderr, which gunicorn's error log collects.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
