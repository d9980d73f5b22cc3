"""The change feed: every write of a curated record in commit order, cursor pages, filters, tombstones, who,
`changed_since` on the lists, the replay property, and (on PostgreSQL) no change skipped by a late commit."""

import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import DashboardToken
from changes.models import Action, Change
from changes.recording import RESOURCES
from commitments.models import Commitment, LineOfEffort
from meetings.models import Meeting
from snapshots.export import export_snapshot
from snapshots.records import CURATED
from snapshots.restore import restore_snapshot
from tests.factories import (
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    StatementFactory,
    ThreadFactory,
)
from tests.test_api import make_resource

pytestmark = pytest.mark.django_db
FEED = "/api/v1/changes/"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def feed(client=None, **params):
    response = (client or APIClient()).get(FEED, params)
    assert response.status_code == 200, response.content
    return response.json()


def every_change(client=None, **params):
    """The whole feed, page after page, as a reader follows it."""
    changes, since = [], None
    while True:
        page = feed(client, **params, **({"since": since} if since else {}), page_size=7)
        changes += page["results"]
        since = page["cursor"]
        if page["next"] is None:
            return changes


def test_the_feed_names_every_curated_model_by_its_resource():
    assert set(RESOURCES) == set(CURATED)


def test_creates_updates_and_deletes_are_listed_in_order_with_their_versions_and_a_tombstone(curator):
    client = api(curator)
    created = client.post(
        reverse("api:lineofeffort-list"), {"slug": "new-line", "name": "New line", "position": 9}, format="json"
    )
    assert created.status_code == 201
    url = reverse("api:lineofeffort-detail", args=["new-line"])
    patched = client.patch(url, {"description": "Now."}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert client.delete(url, HTTP_IF_MATCH=patched["ETag"]).status_code == 204

    changes = feed()["results"]
    assert [(c["resource"], c["key"], c["action"]) for c in changes] == [
        ("lines-of-effort", "new-line", "created"),
        ("lines-of-effort", "new-line", "updated"),
        ("lines-of-effort", "new-line", "deleted"),
    ]
    assert changes[1]["version"] == patched["ETag"].strip('"')
    assert changes[2]["version"] is None  # the tombstone: its key, no version
    assert {c["user"] for c in changes} == {"curator"}
    assert changes[0]["line_of_effort"] == "new-line"


def test_a_change_names_the_dashboard_token_it_came_through(curator):
    token, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=1, read_only=False)
    dashboard = APIClient()
    dashboard.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    line = LineOfEffortFactory()
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    etag = dashboard.get(url)["ETag"]
    assert dashboard.patch(url, {"description": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    last = feed()["results"][-1]
    assert (last["user"], last["token"]) == ("curator", f"Budget dashboard ({token.key_prefix}…)")
    first = feed()["results"][0]
    assert (first["user"], first["token"]) == (None, None)  # made by a factory: no one signed in


def test_the_cursor_returns_only_what_came_after_and_a_foreign_cursor_is_a_400():
    for number in range(5):
        LineOfEffortFactory(slug=f"line-{number}")
    first = feed(page_size=2)
    assert [c["key"] for c in first["results"]] == ["line-0", "line-1"]
    assert "since=" in first["next"]
    rest = feed(since=first["cursor"])
    assert [c["key"] for c in rest["results"]] == ["line-2", "line-3", "line-4"]
    assert rest["next"] is None
    # Nothing new: the same cursor back, and an empty page.
    assert feed(since=rest["cursor"]) == {"cursor": rest["cursor"], "next": None, "results": []}
    for bad in ("abc", "0-999999", "-1-1", "0-1x", "9" * 30 + "-1"):
        response = APIClient().get(FEED, {"since": bad})
        assert response.status_code == 400, bad
        assert "since" in response.json()


def test_the_feed_filters_by_resource_pledge_line_of_effort_and_meeting():
    line = LineOfEffortFactory(slug="stabilisation")
    thread = ThreadFactory(slug="demining", line_of_effort=line)
    statement = StatementFactory(meeting=MeetingFactory(slug="rome-2021"))
    commitment = CommitmentFactory(statement=statement, line_of_effort=line)
    from commitments.services import place_in_thread

    place_in_thread(thread=thread, commitment=commitment, change_kind="new")
    other = CommitmentFactory(phrase="We welcome Libya as the 68th member.")

    assert {c["key"] for c in feed(resource="threads")["results"]} == {"demining"}
    by_pledge = feed(pledge="demining")["results"]
    assert {(c["resource"], c["key"]) for c in by_pledge} == {
        ("threads", "demining"),
        ("thread-entries", f"demining/{commitment.slug}"),
    }
    by_meeting = {(c["resource"], c["key"]) for c in feed(meeting="rome-2021")["results"]}
    assert ("commitments", commitment.slug) in by_meeting
    assert ("commitments", other.slug) not in by_meeting
    by_line = {(c["resource"], c["key"]) for c in feed(line_of_effort="stabilisation")["results"]}
    assert {("lines-of-effort", "stabilisation"), ("commitments", commitment.slug)} <= by_line
    assert APIClient().get(FEED, {"resource": "nonsense"}).status_code == 400


def test_placing_in_a_pledge_updates_the_pledge_and_the_commitment_with_their_new_etags(curator):
    thread = ThreadFactory()
    commitment = CommitmentFactory()
    client = api(curator)
    since = feed()["cursor"]
    url = reverse("api:thread-add-entry", args=[thread.slug])
    assert client.post(url, {"commitment": commitment.slug, "change_kind": "new"}, format="json").status_code == 201
    changes = feed(since=since)["results"]
    assert [(c["resource"], c["action"]) for c in changes] == [
        ("thread-entries", "created"),
        ("threads", "updated"),
        ("commitments", "updated"),
    ]
    thread_etag = client.get(reverse("api:thread-detail", args=[thread.slug]))["ETag"]
    commitment_etag = client.get(reverse("api:commitment-detail", args=[commitment.slug]))["ETag"]
    assert [changes[1]["version"], changes[2]["version"]] == [thread_etag.strip('"'), commitment_etag.strip('"')]


def test_what_the_feed_adds_to_a_placement_is_pinned(django_assert_num_queries):
    """Placing a commitment first in a pledge of three moves three entries: four entry writes, one batch
    (core.batches). The feed adds the same eight queries however many entries move: the entries, their
    commitments and the pledge read back (one query each), the versions' child rows (the pledge's entries,
    the commitments' assessments and places: one query each), the receivers, and one insert of every change:
    each entry's followed by its commitment's `updated`, and one `updated` of the pledge after the last
    entry, with its version after the placement (no reader saw one in between: it is one transaction). The placement's
    own queries are thirteen, one of them (since issue 23) asking whether the pledge was merged into another."""
    from commitments.services import place_in_thread
    from tests.factories import commitments_at_meetings, thread_with

    c2016, c2019, c2020, c2021 = commitments_at_meetings(2016, 2019, 2020, 2021)
    thread = thread_with(c2019, c2020, c2021, kinds=["repeated", "widened"])
    last = Change.objects.order_by("id").last().id
    with django_assert_num_queries(13 + 8):
        place_in_thread(thread=thread, commitment=c2016, change_kind="new")
    added = list(Change.objects.filter(id__gt=last).order_by("id"))
    moved = [("thread-entries", "updated"), ("commitments", "updated")]
    assert [(c.resource, c.action) for c in added] == moved * 3 + [
        ("thread-entries", "created"),
        ("threads", "updated"),
        ("commitments", "updated"),
    ]
    assert {c.key for c in added if c.resource == "commitments"} == {c.slug for c in (c2016, c2019, c2020, c2021)}
    thread.refresh_from_db()
    assert added[-2].version == thread.version()  # one `updated` of the pledge, after its last entry
    for change in added:
        if change.resource == "commitments":
            assert change.version == Commitment.objects.get(pk=change.object_id).version()


def test_a_batch_left_by_an_exception_records_nothing_and_a_batch_in_a_batch_is_one():
    from core.batches import batched

    before = Change.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        LineOfEffortFactory(slug="gone")
        assert Change.objects.count() == before  # gathered, not written yet
        raise RuntimeError
    assert Change.objects.count() == before
    with transaction.atomic(), batched():
        LineOfEffortFactory(slug="kept")
        with batched():
            LineOfEffortFactory(slug="inner")
        assert Change.objects.count() == before  # the inner batch ends with the outer one
    assert list(Change.objects.order_by("id").values_list("key", flat=True))[before:] == ["kept", "inner"]


def test_a_rolled_back_write_leaves_no_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        LineOfEffortFactory(slug="gone")
        assert Change.objects.filter(key="gone").exists()  # written in the write's own transaction
        raise RuntimeError
    assert not Change.objects.filter(key="gone").exists()


def test_changed_since_lists_only_the_records_changed_after_the_moment(curator):
    old = LineOfEffortFactory(slug="old")
    LineOfEffortFactory(slug="untouched")
    Change.objects.update(at=timezone.now() - datetime.timedelta(days=2))
    moment = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    old.description = "Edited."
    old.save()
    LineOfEffortFactory(slug="fresh")
    listed = APIClient().get(reverse("api:lineofeffort-list"), {"changed_since": moment}).json()["results"]
    assert sorted(row["slug"] for row in listed) == ["fresh", "old"]
    # On the keyset-paged commitments list too, and with the other filters.
    CommitmentFactory()
    rows = APIClient().get(reverse("api:commitment-list"), {"changed_since": "2000-01-01T00:00:00Z"}).json()
    assert len(rows["results"]) == 1
    for bad in ("yesterday", "2026-13-01T00:00:00", "1" * 50, "9999-12-31T23:59:59-23:59"):
        response = APIClient().get(reverse("api:lineofeffort-list"), {"changed_since": bad})
        assert response.status_code == 400
        assert "changed_since" in response.json()
    # An offset Python reads and PostgreSQL would refuse (beyond ±15:59): the moment in UTC (schemathesis found it).
    far = APIClient().get(reverse("api:lineofeffort-list"), {"changed_since": "3262-08-27T13:47:40-17:19"})
    assert far.status_code == 200 and far.json()["results"] == []


def test_the_schema_documents_the_feed_and_changed_since():
    schema = APIClient().get(reverse("api:schema"), {"format": "json"}).json()
    assert "/api/v1/changes/" in schema["paths"]
    parameters = [p["name"] for p in schema["paths"]["/api/v1/commitments/"]["get"]["parameters"]]
    assert "changed_since" in parameters
    feed_parameters = [p["name"] for p in schema["paths"]["/api/v1/changes/"]["get"]["parameters"]]
    assert {"since", "resource", "pledge", "line_of_effort", "meeting"} <= set(feed_parameters)


@pytest.mark.parametrize("since", [False, True])
def test_a_page_of_the_feed_costs_the_same_queries_wherever_it_is(django_assert_num_queries, since):
    for number in range(30):
        LineOfEffortFactory(slug=f"line-{number}")
    params = {"page_size": 10}
    if since:
        params["since"] = feed(page_size=15)["cursor"]
    # One query: the page's range starts at the cursor's row, which shows it is one the feed gave.
    with django_assert_num_queries(1):
        assert len(APIClient().get(FEED, params).json()["results"]) == 10


def test_a_cursor_from_another_filter_reads_on_after_it_and_one_never_given_is_still_a_400(
    django_assert_num_queries,
):
    for number in range(3):
        LineOfEffortFactory(slug=f"line-{number}")
        MeetingFactory(slug=f"meeting-{number}")
    # A cursor the meetings' feed gave, read on in the lines' feed: its row is not in that range (a second
    # query checks it), and what follows is exactly what came after it.
    cursor = feed(resource="meetings", page_size=1)["cursor"]
    with django_assert_num_queries(2):
        lines = feed(resource="lines-of-effort", since=cursor)["results"]
    assert [c["key"] for c in lines] == ["line-1", "line-2"]
    # A cursor the feed never gave, inside the range of a filtered feed too: a 400.
    last = Change.objects.order_by("-id").first()
    never = f"{last.xid}-{last.id + 1000}"
    for params in ({"since": never}, {"since": never, "resource": "meetings"}, {"since": f"{last.xid + 1}-1"}):
        assert APIClient().get(FEED, params).status_code == 400, params


# -- the replay property -------------------------------------------------------------------------

LISTED = {
    "meetings": "slug",
    "statements": "slug",
    "members": "slug",
    "participations": "key",
    "figures": "slug",
    "lines-of-effort": "slug",
    "threads": "slug",
    "commitments": "slug",
    "assessments": "key",
    "assessment-cycles": "slug",
    "evidence": "slug",
}


def api_lists(client):
    """{resource: {key: ETag or None}} of every record the API lists."""
    records = {}
    for resource, field in LISTED.items():
        response = client.get(f"/api/v1/{resource}/", {"page_size": 500}).json()
        keys = [row[field] for row in response["results"]]
        records[resource] = {key: client.get(f"/api/v1/{resource}/{key}/").get("ETag") for key in keys}
    return records


def replay(client):
    """A dashboard's store built from the feed alone (and the lists, after a reset)."""
    store = {resource: {} for resource in LISTED}
    for change in every_change(client):
        if change["action"] == Action.RESET:
            store = api_lists(client)  # read the lists again, with each record's ETag
            continue
        if change["resource"] not in LISTED:
            continue  # rows of a record's page: the record's own `updated` follows
        if change["action"] == Action.DELETED:
            store[change["resource"]].pop(change["key"], None)
        else:
            store[change["resource"]][change["key"]] = f'"{change["version"]}"' if change["version"] else None
    return store


def test_replaying_the_feed_over_an_empty_store_ends_with_the_records_the_api_lists(curator, tmp_path):
    client = api(curator)
    for name in ("meeting", "lineofeffort", "thread", "commitment", "figure", "participation", "assessment"):
        key, create, change, deletable = make_resource(name)
        plural = {"lineofeffort": "lines-of-effort"}.get(name, f"{name}s")
        assert client.post(f"/api/v1/{plural}/", create, format="json").status_code == 201
        url = f"/api/v1/{plural}/{key}/"
        assert client.patch(url, change, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]).status_code == 200
        if deletable:
            target = f"/api/v1/{plural}/{deletable}/"
            assert client.delete(target, HTTP_IF_MATCH=client.get(target)["ETag"]).status_code == 204
    thread, commitment = ThreadFactory(), Commitment.objects.first()
    entries = reverse("api:thread-add-entry", args=[thread.slug])
    assert client.post(entries, {"commitment": commitment.slug, "change_kind": "new"}, format="json").status_code == 201

    assert replay(client) == api_lists(client)

    # A restore (replacing everything) and more writes after it.
    export_snapshot(tmp_path / "snap", unsigned=True)
    restore_snapshot(tmp_path / "snap", replace=True, check_origin=False)
    LineOfEffort.objects.filter(slug="new-line").delete()
    MeetingFactory(slug="after-restore")
    removal = reverse("api:thread-remove-entry", args=[thread.slug, commitment.slug])
    assert client.delete(removal).status_code == 204

    assert replay(client) == api_lists(client)
    assert Meeting.objects.filter(slug="after-restore").exists()


# -- PostgreSQL: a change committed late is never skipped ----------------------------------------

postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_by_a_long_transaction_is_never_skipped():
    """A long transaction writes first (its xid and its change's id come first) and commits last; a short one
    writes and commits meanwhile. The feed holds the short one back until the long one commits, then hands
    out both, so a reader who followed the cursor meanwhile misses neither."""
    started, finish = threading.Event(), threading.Event()

    def long_transaction():
        try:
            with transaction.atomic():
                LineOfEffortFactory(slug="long")
                started.set()
                assert finish.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=long_transaction)
    writer.start()
    try:
        assert started.wait(30)
        LineOfEffortFactory(slug="short")  # commits at once
        assert Change.objects.filter(key="short").exists()
        page = feed()
        assert [c["key"] for c in page["results"]] == []  # held back behind the long transaction
        cursor = page["cursor"]
    finally:
        finish.set()
        writer.join(30)
    after = feed(**({"since": cursor} if cursor else {}))
    assert [c["key"] for c in after["results"]] == ["long", "short"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_began_writing_first_but_wrote_its_change_last_is_not_skipped():
    """Transaction ids come at the first write, change ids at the change's insert: here the long transaction
    has the older transaction id but the newer change id, and the feed still orders it first."""
    started, finish = threading.Event(), threading.Event()

    def long_transaction():
        try:
            with transaction.atomic():
                Change.objects.filter(pk=-1).update(key="")  # takes a transaction id, writes nothing
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()")
                started.set()
                assert finish.wait(30)
                LineOfEffortFactory(slug="long")
        finally:
            connection.close()

    writer = threading.Thread(target=long_transaction)
    writer.start()
    try:
        assert started.wait(30)
        LineOfEffortFactory(slug="short")
        seen = feed()
        assert seen["results"] == []
    finally:
        finish.set()
        writer.join(30)
    assert [c["key"] for c in feed()["results"]] == ["long", "short"]


def test_readers_do_not_see_the_changes_of_a_draft_assessment_curators_do(curator):
    from commitments.models import ReviewState
    from tests.factories import AssessmentFactory

    draft = AssessmentFactory(review_state=ReviewState.DRAFT)
    key = draft.key()
    assert key in {c["key"] for c in feed(api(curator))["results"]}
    assert key not in {c["key"] for c in feed()["results"]}
    draft.review_state = ReviewState.APPROVED
    draft.approved_by = "reviewer"
    draft.save()
    seen = [(c["key"], c["action"]) for c in feed()["results"] if c["resource"] == "assessments"]
    assert seen == [(key, "updated")]  # approved: readers learn of it, and can read it
    assert APIClient().get(f"/api/v1/assessments/{key}/").status_code == 200


def test_readers_see_no_change_of_a_draft_meeting_until_it_is_published_then_a_reset(curator):
    """A draft meeting's records stay out of the readers' feed; publishing records a reset (read the lists again)."""
    from commitments.publishing import publish_meeting

    meeting = MeetingFactory(slug="draft-meeting", draft=True)
    statement = StatementFactory(meeting=meeting, slug="draft-statement", draft=True)
    commitment = CommitmentFactory(statement=statement, slug="draft-commitment")
    drafts = {"draft-meeting", "draft-statement", "draft-commitment"}
    assert drafts <= {c["key"] for c in every_change(api(curator))}
    assert not drafts & {c["key"] for c in every_change()}
    before = feed()["cursor"]
    publish_meeting(meeting=meeting, by=curator)
    after = [(c["action"], c["key"]) for c in feed(since=before)["results"]] if before else []
    assert ("reset", "") in after and ("updated", "draft-meeting") in after
    assert APIClient().get(f"/api/v1/commitments/{commitment.slug}/").status_code == 200


def test_the_fast_feed_path_gives_what_the_declared_serializer_gives(seeded, curator):
    """The feed writes its pages from plain rows (changes.feed.document, a fast path): on the seed, with a
    change of every seeded record as the recording module writes it (places, drafts, parents) and writes
    through the API (a user, a token, a reason, a tombstone, a placement), every row of the feed, read page
    by page, is what ChangeSerializer writes of it."""
    import json

    from django.apps import apps

    from api.changes import ChangeSerializer
    from changes.recording import write

    seed = [record for label in RESOURCES for record in apps.get_model(label)._base_manager.all()]
    for record in seed:
        write(record, Action.UPDATED, reason="seed")
    token, key = DashboardToken.objects.issue(name="Budget dashboard", user=curator, days=1, read_only=False)
    dashboard = APIClient()
    dashboard.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    line = LineOfEffort.objects.first()
    url = reverse("api:lineofeffort-detail", args=[line.slug])
    assert (
        dashboard.patch(url, {"description": "x"}, format="json", HTTP_IF_MATCH=dashboard.get(url)["ETag"]).status_code
        == 200
    )
    curating = api(curator)
    assert (
        curating.post(
            reverse("api:lineofeffort-list"), {"slug": "gone", "name": "Gone", "position": 999}, format="json"
        ).status_code
        == 201
    )
    gone = reverse("api:lineofeffort-detail", args=["gone"])
    assert curating.delete(gone, HTTP_IF_MATCH=curating.get(gone)["ETag"]).status_code == 204
    thread, commitment = ThreadFactory(line_of_effort=line), Commitment.objects.first()
    added = api(curator).post(
        reverse("api:thread-add-entry", args=[thread.slug]),
        {"commitment": commitment.slug, "change_kind": "new"},
        format="json",
    )
    assert added.status_code == 201

    fast = every_change(api(curator))
    declared = json.loads(json.dumps(ChangeSerializer(Change.objects.in_feed_order(), many=True).data))
    assert len(fast) == Change.objects.count() > len(seed) > 300
    assert fast == declared
    kinds = {
        (c["action"], c["version"] is None, c["user"] is None, c["token"] is None, c["reason"] is None) for c in fast
    }
    assert {("updated", False, True, True, False), ("deleted", True, False, True, True)} <= kinds
    assert any(c["token"] for c in fast) and all(c["at"].endswith("Z") for c in fast)
