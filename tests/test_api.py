"""The REST API as dashboards and curators use it: roles, writes, filters, formats, query counts."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import DashboardToken
from commitments.models import Commitment, ThreadEntry
from meetings.models import Statement
from tests.factories import (
    STATEMENT_TEXT,
    AssessmentFactory,
    CommitmentFactory,
    FigureFactory,
    LineOfEffortFactory,
    MeetingFactory,
    MemberFactory,
    ParticipationFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
    UserFactory,
    commitments_at_meetings,
    thread_with,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    # Anonymous throttling counts in the cache: each test starts with a clean slate.
    cache.clear()


def if_match(obj):
    """The If-Match header a client sends after reading the record as it is stored now."""
    return {"HTTP_IF_MATCH": f'"{type(obj)._default_manager.get(pk=obj.pk).version()}"'}


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def clients(curator, auditor):
    return {
        "anonymous": api(),
        "reader": api(UserFactory(username="reader")),
        "curator": api(curator),
        "auditor": api(auditor),
    }


# -- every resource x method x role -------------------------------------------------------------


def make_resource(name):
    """One row of a resource, and what a curator would send to create another and to change it."""
    statement = StatementFactory()
    line = LineOfEffortFactory()
    commitment = CommitmentFactory(statement=statement, line_of_effort=line)
    if name == "meeting":
        meeting = statement.meeting
        create = {
            "slug": "new-meeting",
            "name": "New meeting",
            "format": "ministerial",
            "city": "Brussels",
            "country": "Belgium",
            "start_date": "2021-10-01",
            "end_date": "2021-10-01",
        }
        return meeting.slug, create, {"city": "Bruxelles"}, MeetingFactory().slug
    if name == "statement":
        create = {
            "slug": "new-statement",
            "meeting": statement.meeting.slug,
            "position": 2,
            "kind": "readout",
            "title": "A readout",
            "issuer": "Coalition",
            "issued_on_basis": "text",
            "text": "We met.\n",
        }
        return statement.slug, create, {"title": "Renamed"}, None
    if name == "lineofeffort":
        create = {"slug": "new-line", "name": "New line", "position": 99}
        return line.slug, create, {"description": "Changed."}, LineOfEffortFactory().slug
    if name == "thread":
        thread = ThreadFactory(line_of_effort=line)
        create = {"slug": "new-thread", "title": "New pledge", "line_of_effort": line.slug}
        return thread.slug, create, {"title": "Renamed"}, ThreadFactory().slug
    if name == "commitment":
        create = {
            "slug": "new-commitment",
            "statement": statement.slug,
            "quote": "We welcome the progress.",
            "line_of_effort": line.slug,
            "actor": "the Coalition",
            "strength": "soft",
            "summary": "Welcome progress.",
        }
        deletable = CommitmentFactory(statement=statement, phrase="We welcome Libya as the 68th member.").slug
        return commitment.slug, create, {"summary": "Changed."}, deletable
    if name == "assessment":
        assessment = AssessmentFactory(commitment=commitment, assessed_on=datetime.date(2022, 1, 1))
        create = {"commitment": commitment.slug, "assessed_on": "2023-01-01", "status": "kept", "assessor": "Analyst"}
        return f"{commitment.slug}@{assessment.assessed_on}", create, {"note": "Checked."}, None
    if name == "figure":
        figure = FigureFactory(statement=statement)
        create = {
            "slug": "new-figure",
            "statement": statement.slug,
            "quote": "the 68th member",
            "metric": "members",
            "value": "68",
            "unit": "members",
            "qualifier": "exact",
        }
        deletable = FigureFactory(statement=statement, slug="spare-figure", phrase="7.7 million").slug
        return figure.slug, create, {"note": "Checked."}, deletable
    if name == "member":
        member = MemberFactory()
        return member.slug, {"slug": "new-member", "name": "New", "kind": "state"}, {"name": "Renamed"}, None
    if name == "participation":
        participation = ParticipationFactory(meeting=statement.meeting)
        member = MemberFactory(slug="observer-state")
        create = {"meeting": statement.meeting.slug, "member": member.slug, "role": "observer", "note": "Press."}
        return participation.key(), create, {"note": "Checked."}, None
    raise AssertionError(name)


RESOURCES = [
    "meeting",
    "statement",
    "lineofeffort",
    "thread",
    "commitment",
    "assessment",
    "figure",
    "member",
    "participation",
]
# Evidence that the API refuses to delete at all: statements and assessments.
NO_DELETE = {"statement", "assessment"}


@pytest.mark.parametrize("role", ["anonymous", "reader", "curator", "auditor"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_every_endpoint_method_and_role(clients, role, resource):
    client = clients[role]
    key, create, change, deletable = make_resource(resource)
    list_url = reverse(f"api:{resource}-list")
    detail_url = reverse(f"api:{resource}-detail", args=[key])
    history_url = reverse(f"api:{resource}-history", args=[key])
    curator = role == "curator"
    refused = 401 if role == "anonymous" else 403

    assert client.get(list_url).status_code == 200
    assert client.get(detail_url).status_code == 200
    assert client.options(list_url).status_code == 200
    assert client.get(history_url).status_code == (200 if role in ("curator", "auditor") else refused)

    created = client.post(list_url, create, format="json")
    assert created.status_code == (201 if curator else refused), created.content
    read = client.get(detail_url)
    patched = client.patch(detail_url, change, format="json", HTTP_IF_MATCH=read["ETag"])
    assert patched.status_code == (200 if curator else refused)
    full = {**client.get(detail_url).json(), **change}
    full.pop("key", None)
    if curator:
        # The answer to a change carries the version a new read gives.
        assert patched["ETag"] == client.get(detail_url)["ETag"] != read["ETag"]
    put = client.put(detail_url, full, format="json", HTTP_IF_MATCH=client.get(detail_url)["ETag"])
    assert put.status_code == (200 if curator else refused)

    if resource in NO_DELETE:
        expected_delete = 405 if curator else refused
        assert client.delete(detail_url).status_code == expected_delete
    else:
        target = reverse(f"api:{resource}-detail", args=[deletable]) if deletable else detail_url
        response = client.delete(target, HTTP_IF_MATCH=client.get(target)["ETag"])
        assert response.status_code == (204 if curator else refused), response.content


def test_public_read_can_be_turned_off(settings, clients):
    settings.API_PUBLIC_READ = False
    CommitmentFactory()
    url = reverse("api:commitment-list")
    assert clients["anonymous"].get(url).status_code == 401
    assert clients["reader"].get(url).status_code == 200


def test_dashboards_authenticate_with_a_token(curator):
    _, key = DashboardToken.objects.issue(name="curation script", user=curator, days=1, read_only=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    line = LineOfEffortFactory()
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    response = client.patch(url, {"description": "x"}, format="json", **if_match(line))
    assert response.status_code == 200
    assert APIClient().patch(reverse("api:lineofeffort-detail", args=[line.slug]), {}).status_code == 401


def test_anonymous_clients_are_throttled(monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    client = APIClient()
    statuses = [client.get(reverse("api:meeting-list")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "throttled" in client.get(reverse("api:meeting-list")).json()["detail"]


def test_history_shows_who_changed_what(clients, curator):
    line = LineOfEffortFactory(description="Before.")
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    assert clients["curator"].patch(url, {"description": "After."}, format="json", **if_match(line)).status_code == 200
    history = clients["auditor"].get(reverse("api:lineofeffort-history", args=[line.slug])).json()
    assert [h["type"] for h in history] == ["+", "~"]
    assert history[1]["user"] == "curator"
    assert history[1]["changes"] == [{"field": "description", "old": "Before.", "new": "After."}]


def test_history_names_the_dashboard_token_a_change_came_through_in_the_api_and_the_admin(clients, curator, auditor):
    token, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=1, read_only=False)
    dashboard = APIClient()
    dashboard.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    line = LineOfEffortFactory(description="Before.")
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    assert (
        dashboard.patch(url, {"description": "By the dashboard."}, format="json", **if_match(line)).status_code == 200
    )
    # The same user, signed in rather than through the token: no token named.
    assert (
        clients["curator"].patch(url, {"description": "By hand."}, format="json", **if_match(line)).status_code == 200
    )
    thread = ThreadFactory()
    commitment = CommitmentFactory()
    entries = reverse("api:thread-add-entry", args=[thread.slug])
    added = dashboard.post(entries, {"commitment": commitment.slug, "change_kind": "new"}, format="json")
    assert added.status_code == 201, added.json()
    removal = reverse("api:thread-remove-entry", args=[thread.slug, commitment.slug])
    assert dashboard.delete(removal).status_code == 204

    via = f"Budget dashboard ({token.key_prefix}…)"
    history = clients["auditor"].get(reverse("api:lineofeffort-history", args=[line.slug])).json()
    assert [(h["type"], h["user"], h["token"]) for h in history] == [
        ("+", None, None),
        ("~", "curator", via),
        ("~", "curator", None),
    ]
    entry_history = ThreadEntry.history.filter(thread=thread).order_by("history_date")
    assert [(r.history_type, r.history_user, r.history_token) for r in entry_history] == [
        ("+", curator, via),
        ("-", curator, via),
    ]

    browser = Client()
    browser.force_login(auditor)
    page = browser.get(reverse("admin:commitments_lineofeffort_history", args=[line.pk]))
    assert page.status_code == 200
    assert page.content.decode().count(f"via token «{via}»") == 1
    # Renaming the token later does not rewrite what was recorded.
    DashboardToken.objects.filter(pk=token.pk).update(name="Renamed")
    history = clients["auditor"].get(reverse("api:lineofeffort-history", args=[line.slug])).json()
    assert history[1]["token"] == via


# -- writes go through the same validation as the admin -------------------------------------------


def commitment_payload(statement, line, **overrides):
    return {
        "slug": "api-commitment",
        "statement": statement.slug,
        "quote": "We must continue to increase our stabilization contributions.",
        "line_of_effort": line.slug,
        "actor": "the Coalition",
        "strength": "binding",
        "summary": "Increase stabilization contributions.",
        **overrides,
    }


def test_a_commitment_posted_with_its_quote_gets_its_offsets(clients):
    statement, line = StatementFactory(), LineOfEffortFactory()
    response = clients["curator"].post(reverse("api:commitment-list"), commitment_payload(statement, line))
    assert response.status_code == 201, response.json()
    quote = "We must continue to increase our stabilization contributions."
    assert (response.json()["start"], response.json()["end"]) == (
        STATEMENT_TEXT.index(quote),
        STATEMENT_TEXT.index(quote) + len(quote),
    )
    assert Commitment.objects.get(slug="api-commitment").quote_matches()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"quote": "We must continue to decrease."}, "quote", "is not in the text"),
        ({"quote": "We welcome"}, "quote", "occurs 2 times"),
        ({"quote": "", "start": 10, "end": 100_000}, "end", "outside the text"),
        ({"statement": "no-such-statement"}, "statement", "does not exist"),
        ({"line_of_effort": "no-such-line"}, "line_of_effort", "does not exist"),
        ({"strength": "maybe"}, "strength", "not a valid choice"),
    ],
)
def test_bad_commitments_get_a_field_level_400_and_nothing_is_saved(clients, overrides, field, message):
    statement, line = StatementFactory(), LineOfEffortFactory()
    payload = {**commitment_payload(statement, line), **overrides}
    response = clients["curator"].post(reverse("api:commitment-list"), payload, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Commitment.objects.exists()


def test_a_quoted_statements_text_cannot_change_through_the_api(clients):
    commitment = CommitmentFactory()
    url = reverse("api:statement-detail", args=[commitment.statement.slug])
    response = clients["curator"].patch(
        url, {"text": STATEMENT_TEXT + "More.\n"}, format="json", **if_match(commitment.statement)
    )
    assert response.status_code == 400
    assert "cannot change" in " ".join(response.json()["text"])
    assert Statement.objects.get(pk=commitment.statement.pk).text == STATEMENT_TEXT


def test_an_assessed_commitment_cannot_be_deleted_through_the_api(clients):
    assessment = AssessmentFactory()
    url = reverse("api:commitment-detail", args=[assessment.commitment.slug])
    response = clients["curator"].delete(url, **if_match(assessment.commitment))
    assert response.status_code == 409
    assert "cannot be deleted" in response.json()["detail"]
    assert Commitment.objects.filter(pk=assessment.commitment.pk).exists()


def test_thread_entries_are_placed_in_meeting_order_and_an_opener_must_be_new(clients):
    thread = ThreadFactory()
    earlier, later = commitments_at_meetings(2016, 2021)
    url = reverse("api:thread-add-entry", args=[thread.slug])
    assert clients["curator"].post(url, {"commitment": later.slug, "change_kind": "new"}).status_code == 201
    refused = clients["curator"].post(url, {"commitment": earlier.slug, "change_kind": "widened"})
    assert refused.status_code == 400
    assert "must be “new”" in " ".join(refused.json()["change_kind"])
    assert clients["reader"].post(url, {"commitment": earlier.slug, "change_kind": "new"}).status_code == 403
    added = clients["curator"].post(url, {"commitment": earlier.slug, "change_kind": "new"})
    assert [step["commitment"] for step in added.json()["timeline"]] == [earlier.slug, later.slug]
    removal = reverse("api:thread-remove-entry", args=[thread.slug, earlier.slug])
    assert clients["curator"].delete(removal).status_code == 204
    assert list(ThreadEntry.objects.values_list("commitment__slug", "position")) == [(later.slug, 1)]


# -- pagination, formats and query counts ----------------------------------------------------------


def test_commitments_page_by_cursor_with_a_bounded_page_size(clients):
    statement = StatementFactory()
    phrases = [p for p in STATEMENT_TEXT.splitlines() if p and STATEMENT_TEXT.count(p) == 1]
    for phrase in phrases:
        CommitmentFactory(statement=statement, phrase=phrase)
    client = clients["anonymous"]
    first = client.get(reverse("api:commitment-list"), {"page_size": 2}).json()
    assert len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert [r["slug"] for r in second["results"]] != [r["slug"] for r in first["results"]]
    everything = client.get(reverse("api:commitment-list"), {"page_size": 500}).json()
    assert len(everything["results"]) == len(phrases)


def test_every_list_answers_in_csv_with_the_same_filters(clients):
    thread = ThreadFactory(slug="africa")
    inside = CommitmentFactory(summary="Inside the thread")
    ThreadEntryFactory(thread=thread, commitment=inside, position=1, change_kind="new")
    CommitmentFactory(statement=inside.statement, phrase="We welcome the progress.", summary="Outside")
    response = clients["anonymous"].get(reverse("api:commitment-list"), {"thread": "africa", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("slug,statement,statement_title,meeting.slug,meeting.name,meeting.start_date,quote")
    assert len(lines) == 2 and "Inside the thread" in lines[1]
    # Lists are joined, never JSON: a commitment's threads as thread:position:change_kind.
    assert lines[1].endswith(",africa:1:new,not-assessed")
    for name in ("meeting", "statement", "lineofeffort", "thread", "figure", "member", "participation", "assessment"):
        assert clients["anonymous"].get(reverse(f"api:{name}-list"), {"format": "csv"}).status_code == 200


def populate_api(n):
    """n rows of each resource with their relations, for query counts."""
    for _ in range(n):
        statement = StatementFactory()
        line = LineOfEffortFactory()
        thread = ThreadFactory(line_of_effort=line)
        commitment = CommitmentFactory(statement=statement, line_of_effort=line)
        ThreadEntryFactory(thread=thread, commitment=commitment)
        AssessmentFactory(commitment=commitment)
        FigureFactory(statement=statement)
        member = MemberFactory()
        ParticipationFactory(meeting=statement.meeting, member=member, statement=statement)
        ParticipationFactory(member=member)


# Queries per list page for an anonymous client, the same for any page size. Most lists
# count, then fetch the page (+1 per prefetched relation); commitments use keyset pages
# (no count): the rows, then their places in recurring pledges.
LIST_QUERIES = {
    "meeting": 2,
    "statement": 2,
    "lineofeffort": 2,
    "thread": 3,
    "commitment": 2,
    "assessment": 5,  # and its evidence rows, member scores and money stages, prefetched
    "figure": 2,
    "member": 3,
    "participation": 2,
}


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_query_count_does_not_grow_with_the_page(django_assert_num_queries, resource):
    populate_api(12)
    url = reverse(f"api:{resource}-list")
    for page_size in (3, 12):
        with django_assert_num_queries(LIST_QUERIES[resource]):
            response = APIClient().get(url, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("resource", ["commitment", "thread"])
def test_a_search_costs_the_list_s_queries_whatever_its_words(django_assert_num_queries, resource):
    """`q` is subqueries of the list's own query (one per word, through the full-text index): no query of its own."""
    populate_api(12)
    url = reverse(f"api:{resource}-list")
    for words in ("INTERPOL", "information sharing INTERPOL", "INTERPOL shared enhancing continued"):
        with django_assert_num_queries(LIST_QUERIES[resource]):
            response = APIClient().get(url, {"q": words, "page_size": 3})
        assert response.status_code == 200
    assert len(APIClient().get(url, {"q": "information sharing INTERPOL", "page_size": 3}).json()["results"]) == 3


# The pledge matrix: its meetings counted per year (its window), its meetings, the pledges it holds (counted:
# it is answered whole only while few), their cells. See tests/test_aggregates.py for its pages and filters.
# The counts by line: the data's version and, the first time since the data changed, the meetings per year
# and the counts (kept in the cache after).
@pytest.mark.parametrize(
    ("name", "params", "queries"),
    [
        ("pledge-matrix", {}, 4),
        ("commitments-by-line", {}, 3),
        ("figure-series", {"metric": "people-freed"}, 1),
        ("verdicts", {}, 1),
        ("verdicts", {"by": "meeting"}, 1),
        ("verdicts", {"by": "member"}, 1),
    ],
)
def test_aggregate_query_count_is_constant(django_assert_num_queries, name, params, queries):
    populate_api(6)
    with django_assert_num_queries(queries):
        assert APIClient().get(reverse(f"api:{name}"), params).status_code == 200


def test_a_figure_records_the_period_it_is_about_and_a_sum_its_stage(clients):
    statement = StatementFactory()
    payload = {
        "slug": "pledged",
        "statement": statement.slug,
        "quote": "stabilization contributions",
        "metric": "funds",
        "value": "5",
        "unit": "USD",
        "stage": "committed",
        "about_from": "2016-07-01",
        "about_to": "2016-09-30",
    }
    url = reverse("api:figure-list")
    created = clients["curator"].post(url, payload, format="json")
    assert created.status_code == 201, created.json()
    shown = clients["anonymous"].get(reverse("api:figure-detail", args=["pledged"])).json()
    assert (shown["stage"], shown["about_from"], shown["about_to"]) == ("committed", "2016-07-01", "2016-09-30")
    backwards = clients["curator"].post(url, {**payload, "slug": "backwards", "about_to": "2016-06-30"}, format="json")
    assert backwards.status_code == 400
    assert "cannot end before it begins" in backwards.json()["about_to"][0]
    people = {**payload, "slug": "people", "metric": "people-freed", "unit": "people"}
    not_money = clients["curator"].post(url, people, format="json")
    assert not_money.status_code == 400
    assert "Only a sum of money" in not_money.json()["stage"][0]


def test_the_figure_series_needs_a_known_metric(clients):
    response = clients["anonymous"].get(reverse("api:figure-series"), {"metric": "unicorns"})
    assert response.status_code == 400
    assert "metric must be one of" in response.json()["metric"][0]


def test_docs_are_served_from_local_assets_only(clients):
    import re

    html = clients["anonymous"].get(reverse("api:docs")).content.decode()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") for a in assets)
    assert all(a.startswith("/") for a in assets), [a for a in assets if not a.startswith("/")]
    assert "https://" not in html and "http://" not in html


# -- the auditors' snapshot download ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 401), ("reader", 403), ("curator", 403), ("auditor", 200)]
)
def test_only_auditors_download_the_snapshot(clients, role, expected):
    response = clients[role].get(reverse("api:snapshot"))
    assert response.status_code == expected
    if expected != 200:
        assert "detail" in response.json()
    response.close()  # the zip is a temporary file, deleted when its response is closed


def test_the_downloaded_snapshot_is_a_signed_zip_with_its_digest_and_signature_in_headers(
    clients, tmp_path, snapshot_signing_key
):
    import base64
    import io
    import zipfile

    from snapshots.signing import key_id, load_public_key
    from snapshots.verify import verify_snapshot

    CommitmentFactory()
    response = clients["auditor"].get(reverse("api:snapshot"))
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="tracker-snapshot-')
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert {"fixture.jsonl", "manifest.json"} <= set(archive.namelist())
        archive.extractall(tmp_path)
    # The headers carry what an auditor keeps apart from the file: its digest and signature.
    public_key = load_public_key(snapshot_signing_key)
    assert response["X-Snapshot-Key-Id"] == key_id(public_key)
    public_key.verify(base64.b64decode(response["X-Snapshot-Signature"]), response["X-Snapshot-SHA256"].encode())
    result = verify_snapshot(tmp_path, expect_sha256=response["X-Snapshot-SHA256"], check_origin=True)
    assert result.ok, result.failures


def test_the_download_answers_503_when_no_signing_key_is_configured(clients, settings):
    settings.SNAPSHOT_SIGNING_KEY_FILE = ""
    response = clients["auditor"].get(reverse("api:snapshot"))
    assert response.status_code == 503
    assert "No snapshot signing key is configured" in response.json()["detail"]


def test_the_download_as_of_a_moment_is_the_record_then_as_snapshot_export_as_of_writes_it(
    clients, tmp_path, snapshot_signing_key
):
    import io
    import zipfile

    from django.core.management import call_command
    from django.utils import timezone

    from core.when import stamp
    from snapshots.verify import verify_snapshot

    commitment = CommitmentFactory(summary="As it stood then.")
    moment = timezone.now()
    commitment.summary = "Changed since."
    commitment.save()
    CommitmentFactory(slug="added-since")

    response = clients["auditor"].get(reverse("api:snapshot"), {"as_of": stamp(moment)})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="tracker-snapshot-as-of-')
    assert response["Memento-Datetime"] and 'rel="original"' in response["Link"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        archive.extractall(tmp_path / "downloaded")
    assert verify_snapshot(tmp_path / "downloaded", check_origin=True).ok
    call_command("snapshot", "export", str(tmp_path / "exported"), "--as-of", stamp(moment), verbosity=0)
    fixture = (tmp_path / "downloaded" / "fixture.jsonl").read_bytes()
    assert fixture == (tmp_path / "exported" / "fixture.jsonl").read_bytes()
    assert b"As it stood then." in fixture and b"Changed since." not in fixture and b"added-since" not in fixture


def test_the_download_as_of_a_moment_before_the_history_is_a_404_and_a_bad_moment_a_400(clients, snapshot_signing_key):
    CommitmentFactory()
    before = clients["auditor"].get(reverse("api:snapshot"), {"as_of": "2001-01-01"})
    assert before.status_code == 404
    assert "cannot tell how the record stood" in before.json()["detail"]
    bad = clients["auditor"].get(reverse("api:snapshot"), {"as_of": "yesterday"})
    assert bad.status_code == 400 and "as_of" in bad.json()
    assert clients["curator"].get(reverse("api:snapshot"), {"as_of": "2001-01-01"}).status_code == 403


# -- a thread's order cannot be broken from the side ------------------------------------------------


def test_a_commitment_in_a_thread_cannot_be_deleted(clients, opened_thread):
    thread, first, _ = opened_thread
    response = clients["curator"].delete(reverse("api:commitment-detail", args=[first.slug]), **if_match(first))
    assert response.status_code == 409
    assert list(thread.entries.values_list("position", "change_kind")) == [(1, "new"), (2, "widened")]


def test_removing_a_threads_opener_is_refused_until_the_next_one_is_new(clients, opened_thread):
    thread, first, second = opened_thread
    url = reverse("api:thread-remove-entry", args=[thread.slug, first.slug])
    refused = clients["curator"].delete(url)
    assert refused.status_code == 400
    assert "mark it “new” first" in " ".join(refused.json()["non_field_errors"])
    assert thread.entries.count() == 2
    ThreadEntry.objects.filter(commitment=second).update(change_kind="new")
    assert clients["curator"].delete(url).status_code == 204
    assert list(thread.entries.values_list("commitment__slug", "position")) == [(second.slug, 1)]


def test_a_quoted_statement_cannot_move_to_another_meeting(clients):
    commitment = CommitmentFactory()
    other = MeetingFactory()
    url = reverse("api:statement-detail", args=[commitment.statement.slug])
    response = clients["curator"].patch(url, {"meeting": other.slug}, format="json", **if_match(commitment.statement))
    assert response.status_code == 400
    assert "cannot move to another meeting" in " ".join(response.json()["meeting"])


def test_a_commitment_in_a_thread_cannot_move_to_another_statement(clients, opened_thread):
    _, first, _ = opened_thread
    elsewhere = StatementFactory()
    url = reverse("api:commitment-detail", args=[first.slug])
    response = clients["curator"].patch(
        url, {"statement": elsewhere.slug, "quote": first.quote}, format="json", **if_match(first)
    )
    assert response.status_code == 400
    assert "take it out" in " ".join(response.json()["statement"])


def test_a_statement_of_white_space_is_refused(clients):
    payload = {
        "slug": "blank",
        "meeting": MeetingFactory().slug,
        "kind": "readout",
        "title": "Blank",
        "issuer": "Nobody",
        "text": "   \n",
    }
    response = clients["curator"].post(reverse("api:statement-list"), payload, format="json")
    assert response.status_code == 400
    assert not Statement.objects.filter(slug="blank").exists()


@pytest.mark.parametrize(
    "params",
    [
        {"year": "10000"},
        {"year": "0"},
        {"year": "99999999999999999999"},
        {"year": "2019.9"},
        {"has_thread": "yes"},
        {"date_after": "2021-02-30"},
        {"status": "gone"},
        # A page size the API cannot use was silently replaced by the default: now a 400 too.
        {"page_size": "abc"},
        {"page_size": "0"},
        {"page_size": "501"},
        {"page_size": "-1"},
    ],
)
def test_bad_filter_values_are_400s_not_errors_or_silence(clients, params):
    CommitmentFactory()
    response = clients["anonymous"].get(reverse("api:commitment-list"), params)
    assert response.status_code == 400, response.content
    assert set(response.json()) == set(params)


def test_a_crafted_cursor_is_a_400_naming_the_cursor(clients):
    # It was a 404, as if a page were missing: the request is what is wrong.
    import base64

    for position in ("abc", "1.5", "99999999999999999999999"):
        token = base64.b64encode(f"p={position}".encode()).decode()
        response = clients["anonymous"].get(reverse("api:commitment-list"), {"cursor": token})
        assert response.status_code == 400
        assert "cursor" in response.json()
    assert clients["anonymous"].get(reverse("api:commitment-list"), {"cursor": "garbage"}).status_code == 400


def test_an_assessment_key_with_an_impossible_date_is_a_404(clients):
    commitment = CommitmentFactory()
    response = clients["anonymous"].get(reverse("api:assessment-detail", args=[f"{commitment.slug}@2021-02-30"]))
    assert response.status_code == 404
    assert "detail" in response.json()


def test_csv_is_every_matching_row_streamed_as_a_dated_file(clients):
    # It was one page of JSON-sized rows with the rest behind a Link header a download never shows.
    import csv
    import io

    from django.utils import timezone

    statement = StatementFactory()
    phrases = [p for p in STATEMENT_TEXT.splitlines() if p and STATEMENT_TEXT.count(p) == 1]
    for phrase in phrases:
        CommitmentFactory(statement=statement, phrase=phrase)
    response = clients["anonymous"].get(reverse("api:commitment-list"), {"format": "csv", "page_size": 1})
    assert response.streaming
    assert response["Content-Disposition"] == (
        f'attachment; filename="commitments-{timezone.localdate().isoformat()}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["slug"] for row in rows) == sorted(Commitment.objects.values_list("slug", flat=True))
    meetings = clients["anonymous"].get(reverse("api:meeting-list"), {"format": "csv"})
    assert meetings["Content-Disposition"].endswith(f'filename="meetings-{timezone.localdate().isoformat()}.csv"')


# -- quotes matched as the admin matches them (one code path: meetings.quotes.resolve_span) -------------


def test_a_quote_posted_with_straight_apostrophes_and_other_line_breaks_is_stored_as_the_text_has_it(clients):
    text = "The Coalition’s members noted the Pledge Drive\nfor Stabilization – an important means.\n"
    statement, line = StatementFactory(text=text), LineOfEffortFactory()
    pasted = "The Coalition's members noted the Pledge Drive for Stabilization - an important means."
    response = clients["curator"].post(
        reverse("api:commitment-list"), commitment_payload(statement, line, quote=pasted), format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["quote"], response.json()["start"], response.json()["end"]) == (text.strip(), 0, 86)


def test_an_ambiguous_quote_is_refused_with_its_places_and_accepted_with_the_start_of_one(clients):
    statement, line = StatementFactory(), LineOfEffortFactory()
    url = reverse("api:commitment-list")
    refused = clients["curator"].post(url, commitment_payload(statement, line, quote="We welcome"), format="json")
    assert refused.status_code == 400
    (message,) = refused.json()["quote"]
    first, second = STATEMENT_TEXT.index("We welcome Libya"), STATEMENT_TEXT.index("We welcome the progress")
    assert "occurs 2 times" in message
    in_context = (
        "“…We must continue to increase our stabilization contributions. [We welcome] Libya as the 68th member."
    )
    assert f"at offset {first}: {in_context} We welcome the…”" in message
    assert f"at offset {second}: “" in message and "(`start`)" in message
    accepted = clients["curator"].post(
        url, commitment_payload(statement, line, quote="We welcome", start=second), format="json"
    )
    assert accepted.status_code == 201
    assert accepted.json()["start"] == second


def test_a_quote_sent_with_offsets_that_do_not_match_it_is_refused(clients):
    statement, line = StatementFactory(), LineOfEffortFactory()
    payload = commitment_payload(statement, line, start=0)
    response = clients["curator"].post(reverse("api:commitment-list"), payload, format="json")
    assert response.status_code == 400
    assert "This quote is not at offset 0" in response.json()["quote"][0]
    assert not Commitment.objects.exists()


def test_a_new_entry_after_a_changed_one_is_refused_as_in_the_admin(clients):
    first, second, third = commitments_at_meetings(2016, 2019, 2021)
    thread = thread_with(first, second, kinds=["widened"])
    url = reverse("api:thread-add-entry", args=[thread.slug])
    refused = clients["curator"].post(url, {"commitment": third.slug, "change_kind": "new"})
    assert refused.status_code == 400
    assert "only the commitments that open a recurring pledge are “new”" in refused.json()["change_kind"][0]
    assert thread.entries.count() == 2
