from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from accounts.roles import AUDITORS, CURATORS, ensure_roles
from snapshots.records import curated_models
from tests.factories import UserFactory, commitments_at_meetings, thread_with

SEED = Path(settings.BASE_DIR) / "fixtures" / "seed.json"


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
