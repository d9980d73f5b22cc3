from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from tests import browser
from tests.browser import browser_session, chromium  # noqa: F401 - fixtures for every browser test
from tests.factories import UserFactory
from tracker.roles import AUDITORS, CURATORS, ensure_roles

SEED = Path(settings.BASE_DIR) / "fixtures" / "seed.json"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
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


@pytest.fixture
def seeded(db):
    """The seed fixture, loaded with plain loaddata into the empty test database."""
    call_command("loaddata", str(SEED), verbosity=0)


@pytest.fixture
def sources_dir():
    path = Path(settings.SOURCES_DIR)
    assert path.is_dir(), f"the source statements are expected in {path} (set TRACKER_SOURCES_DIR)"
    return path


def pytest_terminal_summary(terminalreporter):
    # Where the browser tests left their screenshots, and what axe-core found.
    browser.report(terminalreporter)
