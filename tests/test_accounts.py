"""Accounts: dashboard tokens (issued, read-only, expiring, revocable) and the admin login limit."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import DashboardToken, hash_key
from accounts.roles import CURATORS
from tests.factories import LineOfEffortFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# -- dashboard tokens ---------------------------------------------------------------------------


def test_only_a_hash_of_the_key_is_stored(curator):
    token, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=30)
    stored = DashboardToken.objects.values().get(pk=token.pk)
    assert key not in {str(value) for value in stored.values()}
    assert stored["key_hash"] == hash_key(key) and stored["key_prefix"] == key[:8]
    assert token.read_only and token.status() == "active"


def test_a_read_only_token_reads_and_is_refused_every_write(curator):
    line = LineOfEffortFactory(description="Before.")
    _, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=30)
    client = token_client(key)
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    assert client.get(url).status_code == 200
    writes = [
        client.patch(url, {"description": "After."}, format="json"),
        client.put(url, {"description": "After."}, format="json"),
        client.delete(url),
        client.post(reverse("api:lineofeffort-list"), {"slug": "x", "name": "X", "position": 99}, format="json"),
    ]
    assert [response.status_code for response in writes] == [403, 403, 403, 403]
    assert writes[0].json() == {"detail": "This token is read-only: it cannot change anything."}
    line.refresh_from_db()
    assert line.description == "Before."


def test_a_read_only_token_reads_when_public_reading_is_off(settings, curator):
    settings.API_PUBLIC_READ = False
    _, key = DashboardToken.objects.issue(name="Budget dashboard", user=UserFactory(username="dashboards"), days=30)
    url = reverse("api:meeting-list")
    assert APIClient().get(url).status_code == 401
    assert token_client(key).get(url).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": timezone.now() - datetime.timedelta(seconds=1)}, "This token has expired."),
        ({"revoked_at": timezone.now()}, "This token has been revoked."),
    ],
    ids=["expired", "revoked"],
)
def test_an_expired_or_revoked_token_gets_401(curator, change, message):
    token, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=30)
    DashboardToken.objects.filter(pk=token.pk).update(**change)
    response = token_client(key).get(reverse("api:meeting-list"))
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_or_an_inactive_users_token_gets_401(curator):
    assert token_client("not-a-key").get(reverse("api:meeting-list")).status_code == 401
    _, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=30)
    curator.is_active = False
    curator.save()
    response = token_client(key).get(reverse("api:meeting-list"))
    assert response.status_code == 401
    assert response.json() == {"detail": "This token's user account is inactive."}


def test_issue_token_prints_the_key_once_and_it_works(curator, capsys):
    call_command("issue_token", "Budget dashboard", "--user", "curator", "--days", "7")
    captured = capsys.readouterr()
    key = captured.out.strip()
    assert "read-only, as 'curator'" in captured.err and "not shown again" in captured.err
    token = DashboardToken.objects.get()
    assert token.key_hash == hash_key(key) and token.read_only
    assert timezone.now() + datetime.timedelta(days=6) < token.expires_at <= timezone.now() + datetime.timedelta(days=7)
    assert token_client(key).get(reverse("api:meeting-list")).status_code == 200


def test_issue_token_read_write_lets_a_curators_script_write(curator, capsys):
    call_command("issue_token", "Curation script", "--user", "curator", "--read-write", verbosity=0)
    key = capsys.readouterr().out.strip()
    line = LineOfEffortFactory()
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    client = token_client(key)
    # As a script would: If-Match with the ETag it read, where the API sends one.
    etag = client.get(url).headers.get("ETag")
    response = client.patch(url, {"description": "x"}, format="json", **({"HTTP_IF_MATCH": etag} if etag else {}))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Dash", "--user", "nobody"], "No user 'nobody'"),
        (["Dash", "--user", "curator", "--days", "0"], "--days must be at least 1"),
        (["  ", "--user", "curator"], "Give the dashboard a name"),
    ],
)
def test_issue_token_refuses_bad_input(curator, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_token", *args)
    assert not DashboardToken.objects.exists()


def test_a_curator_issues_a_read_only_token_in_the_admin_and_sees_its_key_once(curator_client, curator):
    # Even when the form is sent with read_only off: only a superuser issues a token that writes.
    response = curator_client.post(
        reverse("admin:accounts_dashboardtoken_add"), {"name": "Budget dashboard", "days": "30", "read_only": ""}
    )
    assert response.status_code == 200
    token = DashboardToken.objects.get()
    key = response.context["key"]
    assert token.key_hash == hash_key(key) and token.read_only and token.user == curator
    assert "Copy the key now" in response.content.decode()
    assert token_client(key).get(reverse("api:meeting-list")).status_code == 200
    page = curator_client.get(reverse("admin:accounts_dashboardtoken_change", args=[token.pk])).content.decode()
    assert token.key_prefix in page and key not in page


def test_a_curator_lists_and_revokes_tokens_in_the_admin(curator_client, curator, django_assert_num_queries):
    keys = [DashboardToken.objects.issue(name=f"Dashboard {i}", user=curator, days=30)[1] for i in range(3)]
    url = reverse("admin:accounts_dashboardtoken_changelist")
    # Session, user, its permissions (2), count (2), the page with its users; whatever the number of tokens.
    with django_assert_num_queries(7):
        page = curator_client.get(url)
    assert page.status_code == 200 and page.content.decode().count("Dashboard ") >= 3
    first = DashboardToken.objects.get(name="Dashboard 0")
    response = curator_client.post(url, {"action": "revoke", "_selected_action": [first.pk]}, follow=True)
    assert "1 token(s) revoked." in response.content.decode()
    assert token_client(keys[0]).get(reverse("api:meeting-list")).status_code == 401
    assert token_client(keys[1]).get(reverse("api:meeting-list")).status_code == 200
    # Revoked tokens stay listed: nobody deletes them.
    assert curator_client.get(reverse("admin:accounts_dashboardtoken_delete", args=[first.pk])).status_code == 403


def test_setup_roles_gives_curators_the_token_page_but_not_deletion(roles):
    codenames = set(
        Group.objects.get(name=CURATORS)
        .permissions.filter(content_type__app_label="accounts")
        .values_list("codename", flat=True)
    )
    assert codenames == {"add_dashboardtoken", "change_dashboardtoken", "view_dashboardtoken"}


# -- admin login limit (django-axes) -----------------------------------------------------------


def log_in(client, username, password, address):
    return client.post(
        reverse("admin:login") + "?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def staff(db):
    UserFactory(username="alice", is_staff=True, is_superuser=True)
    UserFactory(username="bob", is_staff=True, is_superuser=True)


def test_wrong_passwords_lock_the_account_and_the_address_even_for_the_right_password(client, settings, staff):
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [log_in(client, "alice", "wrong", "192.0.2.1").status_code for _ in range(5)]
    # The form again with its error four times; the fifth wrong password locks.
    assert statuses == [200, 200, 200, 200, 429]
    locked = log_in(client, "alice", PASSWORD, "192.0.2.1")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Login locked" in text and "after 5 wrong passwords" in text and "alice" in text
    assert "_auth_user_id" not in client.session
    # The account, from anywhere; the address, for anyone.
    assert log_in(client, "alice", PASSWORD, "192.0.2.2").status_code == 429
    assert log_in(client, "bob", PASSWORD, "192.0.2.1").status_code == 429
    # Another account from another address is not concerned.
    assert log_in(client, "bob", PASSWORD, "192.0.2.2").status_code == 302


def lock_address(client, address, forged=False):
    """Five wrong passwords from `address`, each for another account (and, if forged, another X-Forwarded-For)."""
    for i in range(5):
        extra = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{i}"} if forged else {}
        client.post(
            reverse("admin:login"), {"username": f"nobody{i}", "password": "wrong"}, REMOTE_ADDR=address, **extra
        )


def test_a_forged_x_forwarded_for_does_not_dodge_the_login_limit(client, settings, staff):
    assert settings.PROXY_COUNT == 0
    lock_address(client, "192.0.2.1", forged=True)
    assert log_in(client, "alice", PASSWORD, "192.0.2.1").status_code == 429


def test_axes_reset_commands_unlock_an_account_or_an_address(client, staff, capsys):
    for _ in range(5):
        log_in(client, "alice", "wrong", "192.0.2.1")
    assert log_in(client, "alice", PASSWORD, "192.0.2.1").status_code == 429
    call_command("axes_reset_username", "alice")
    assert log_in(client, "alice", PASSWORD, "192.0.2.1").status_code == 302
    client.logout()
    lock_address(client, "192.0.2.3")
    assert log_in(client, "bob", PASSWORD, "192.0.2.3").status_code == 429
    call_command("axes_reset_ip", "192.0.2.3")
    assert log_in(client, "bob", PASSWORD, "192.0.2.3").status_code == 302


def test_a_login_without_a_request_is_checked_by_password_only(staff):
    from django.contrib.auth import authenticate

    assert authenticate(username="alice", password=PASSWORD).username == "alice"
    assert authenticate(username="alice", password="wrong") is None
