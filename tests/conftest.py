from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

from accounts.roles import AUDITORS, CURATORS, ensure_roles
from snapshots.records import curated_models
from snapshots.signing import generate_key_pair
from tests import browser
from tests.browser import browser_session, chromium  # noqa: F401 - fixtures for every browser test
from tests.factories import UserFactory, commitments_at_meetings, thread_with

SEED = Path(settings.BASE_DIR) / "fixtures" / "seed.json"

# Property tests run the same examples every time (derandomize), keep no example database in the
# checkout, and have no deadline: a timed assertion would fail on a busy machine, not on a bug.
hypothesis_settings.register_profile("tracker", derandomize=True, database=None, deadline=None, max_examples=200)
hypothesis_settings.load_profile("tracker")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    # SQLite tests run on a file, as the app does: an in-memory database would be one connection
    # shared by every thread of the live server, and the concurrency tests would test nothing.
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    # The tests create many users; a production hasher would spend most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def static_files_without_collectstatic(tmp_path_factory):
    # The production storage needs collectstatic's manifest; the tests that run gunicorn collect
    # into their own folder and check it. Here, plain names and an empty STATIC_ROOT for whitenoise.
    with override_settings(
        STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def snapshot_signing_key(tmp_path_factory):
    """The tracker's snapshot signing key, made for this test session; returns its public key's path."""
    private, public, _ = generate_key_pair(tmp_path_factory.mktemp("keys") / "snapshot-signing-key.pem")
    settings.SNAPSHOT_SIGNING_KEY_FILE = str(private)
    return public


@pytest.fixture
def roles(db):
    ensure_roles()


@pytest.fixture
def curator(roles):
    user = UserFactory(username="curator", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS))
    return user


@pytest.fixture
def auditor(roles):
    user = UserFactory(username="auditor", is_staff=True)
    user.groups.add(Group.objects.get(name=AUDITORS))
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture(scope="session")
def seed_rows(django_db_setup, django_db_blocker):
    """The seed's rows, as plain loaddata reads them, read once per test session.

    Loading resolves every natural key with a query; done once, inside a transaction that is
    rolled back, and kept as column values that each test inserts in a few bulk statements.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", str(SEED), verbosity=0)
        rows = [(model, list(model._default_manager.order_by("pk").values())) for model in curated_models()]
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def seeded(db, seed_rows):
    """The seed fixture's records in the test database, with the primary keys loaddata gave them."""
    for model, rows in seed_rows:
        model._default_manager.bulk_create(model(**row) for row in rows)
    # Rows came with their ids: move PostgreSQL's sequences past them (SQLite does so by itself).
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, _ in seed_rows]):
            cursor.execute(statement)


@pytest.fixture
def sources_dir():
    return Path(settings.SOURCES_DIR)


@pytest.fixture
def opened_thread(db):
    """A recurring pledge opened in 2016 and followed in 2021 by an entry marked widened."""
    first, second = commitments_at_meetings(2016, 2021)
    return thread_with(first, second, kinds=["widened"]), first, second


@pytest.fixture(scope="session")
def collected_static_root(tmp_path_factory):
    """STATIC_ROOT filled by collectstatic as `make serve` runs it: for the tests that start gunicorn."""
    from tests.servers import run_manage, server_environment

    root = tmp_path_factory.mktemp("collected") / "static"
    env = server_environment(DATABASE_URL=f"sqlite:///{root.parent / 'unused.sqlite3'}", STATIC_ROOT=root)
    run_manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    return root


def pytest_terminal_summary(terminalreporter):
    # Where the browser tests left their screenshots, and what axe-core found.
    browser.report(terminalreporter)


@pytest.fixture
def without_change_feed():
    """The service's own writes, counted without the change feed's (tests/test_changes.py pins those)."""
    from simple_history.signals import post_create_historical_record

    from changes.recording import record_change

    uid = "changes.recording.record_change"
    post_create_historical_record.disconnect(dispatch_uid=uid)
    yield
    post_create_historical_record.connect(record_change, dispatch_uid=uid)
