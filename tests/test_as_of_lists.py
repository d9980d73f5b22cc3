"""The pledges' and the commitments' API lists as of a date (`?as_of=`): the lists as they stood then.

Nothing of the present leaks in (a record renamed since has its name of then, one added since is absent, one
deleted or merged since is present, a draft of then hidden), the filters read the fields of then or are
refused with a 400 naming them, and a page asks as many queries whatever the history's length.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from commitments.merging import merge_threads
from commitments.services import remove_from_thread
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    LineOfEffortFactory,
    StatementFactory,
    commitments_at_meetings,
    thread_with,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def threads(client, **params):
    return client.get(reverse("api:thread-list"), params)


def commitments(client, **params):
    return client.get(reverse("api:commitment-list"), params)


@pytest.fixture
def changed_record(admin_user):
    """Two lines, pledges in them and commitments, the moment `then`, and after it many changes: renames, a
    commitment taken out and another placed, a pledge merged, a line renamed and reordered, a draft published,
    an assessment, a pledge and a commitment added."""
    first_line = LineOfEffortFactory(slug="sharing", name="Sharing, then", position=1)
    second_line = LineOfEffortFactory(slug="borders", name="Borders", position=2)
    a, b, c = commitments_at_meetings(2016, 2019, 2021, line_of_effort=first_line)
    a.strength, b.strength, c.strength = "binding", "soft", "soft"
    a.save(), b.save(), c.save()
    kept = thread_with(a, b, kinds=["repeated"], slug="kept", title="Kept, then", line_of_effort=first_line)
    merged = thread_with(c, slug="merged", title="Merged since", line_of_effort=second_line)
    drafted_statement = StatementFactory(draft=True)
    drafted = CommitmentFactory(statement=drafted_statement, slug="drafted", line_of_effort=second_line)
    thread_with(drafted, slug="all-draft", title="All draft then", line_of_effort=second_line)
    then = timezone.now()
    for n in range(5):  # a long history after the moment
        kept.title = f"Kept, renamed since ({n})"
        kept.save()
        a.strength = "soft"
        a.save()
    first_line.name, first_line.position = "Sharing, renamed since", 3
    first_line.save()
    remove_from_thread(entry=kept.entries.get(commitment=b))
    merge_threads(thread=merged, into=kept, reason="Same pledge.", by=admin_user)
    drafted_statement.draft = False
    drafted_statement.save()
    AssessmentFactory(commitment=a, status="kept")
    (later,) = commitments_at_meetings(2023, line_of_effort=second_line, slug="later")
    thread_with(later, slug="added-since", line_of_effort=second_line)
    return {"then": then.isoformat(), "a": a, "b": b, "c": c, "kept": kept, "drafted_statement": drafted_statement}


def test_the_pledges_list_as_of_a_moment_is_the_list_then(client, changed_record, django_assert_num_queries):
    then = changed_record["then"]
    # The page, its count, and five for the page's lines, entries, commitments, statements and meetings.
    with django_assert_num_queries(7):
        response = threads(client, as_of=then)
    assert response.status_code == 200
    listed = {t["slug"]: t for t in response.json()["results"]}
    # The merged pledge is listed (merged since), the all-draft one is not (a draft then), nor the one added since.
    assert list(listed) == ["kept", "merged"]  # the lines' order then: sharing (1) before borders (2)
    assert listed["kept"]["title"] == "Kept, then"
    assert listed["kept"]["line_of_effort_name"] == "Sharing, then"
    assert listed["kept"]["commitment_count"] == 2 and len(listed["kept"]["meetings"]) == 2
    assert set(listed["kept"]) == set(threads(client).json()["results"][0])
    assert response["Link"] == '<http://testserver/api/v1/threads/>; rel="original"'
    # Today's list leaves the merged pledge out and shows the one published since.
    today = [t["slug"] for t in threads(client).json()["results"]]
    assert "merged" not in today and "all-draft" in today and "added-since" in today


def test_the_pledges_list_as_of_a_moment_filters_orders_and_refuses_as_of_then(client, changed_record):
    then = changed_record["then"]
    assert [t["slug"] for t in threads(client, as_of=then, line_of_effort="sharing").json()["results"]] == ["kept"]
    assert [t["slug"] for t in threads(client, as_of=then, ordering="-title").json()["results"]] == [
        "merged",
        "kept",
    ]
    unknown = threads(client, as_of=then, line_of_effort="nowhere")
    assert unknown.status_code == 400 and "line_of_effort" in unknown.json()
    for name in ("q", "changed_since"):
        refused = threads(client, as_of=then, **{name: "sharing"})
        assert refused.status_code == 400 and name in refused.json()
    csv = threads(client, as_of=then, format="csv")
    text = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "Kept, then" in text and "added-since" not in text


def test_the_commitments_list_as_of_a_moment_is_the_list_then(client, changed_record, django_assert_num_queries):
    then, a = changed_record["then"], changed_record["a"]
    # The page and six for its statements, meetings, lines, places, pledges and assessments (no count: keyset pages).
    with django_assert_num_queries(7):
        response = commitments(client, as_of=then)
    assert response.status_code == 200
    listed = {c["slug"]: c for c in response.json()["results"]}
    assert set(listed) == {a.slug, changed_record["b"].slug, changed_record["c"].slug}  # no draft then, none since
    assert listed[a.slug]["strength"] == "binding" and listed[a.slug]["latest_status"] == "not-assessed"
    assert [t["thread"] for t in listed[changed_record["b"].slug]["threads"]] == ["kept"]  # taken out since
    assert [t["thread"] for t in listed[changed_record["c"].slug]["threads"]] == ["merged"]  # moved since
    assert set(listed[a.slug]) == set(commitments(client).json()["results"][0])
    assert response["Memento-Datetime"]
    # The same commitment today: its strength and status now.
    today = {c["slug"]: c for c in commitments(client).json()["results"]}
    assert today[a.slug]["latest_status"] == "kept" and "drafted" in today


def test_the_commitments_list_as_of_a_moment_filters_by_the_fields_of_then(client, changed_record):
    then, a, b, c = changed_record["then"], changed_record["a"], changed_record["b"], changed_record["c"]

    def slugs(**params):
        response = commitments(client, as_of=then, **params)
        assert response.status_code == 200, response.json()
        return {row["slug"] for row in response.json()["results"]}

    assert slugs(strength="binding") == {a.slug}
    assert slugs(thread="kept") == {a.slug, b.slug}
    assert slugs(thread="merged") == {c.slug}
    assert slugs(has_thread="false") == set()
    assert slugs(change_kind="repeated") == {b.slug}
    assert slugs(line_of_effort="sharing") == {a.slug, b.slug, c.slug}
    assert slugs(meeting=a.statement.meeting.slug) == {a.slug}
    assert slugs(year="2019") == {b.slug}
    assert slugs(date_after="2019-01-01", date_before="2020-12-31") == {b.slug}
    assert slugs(ordering="-id") == {a.slug, b.slug, c.slug}
    # A draft statement of then is as unknown as a slug nobody had.
    for unknown in (changed_record["drafted_statement"].slug, "no-such-statement"):
        hidden = commitments(client, as_of=then, statement=unknown)
        assert hidden.status_code == 400 and "statement" in hidden.json()
    # `status` and `q` read then (tests/test_as_of_aggregates.py); the change feed is today's.
    refused = commitments(client, as_of=then, changed_since="2024-01-01T00:00:00Z")
    assert refused.status_code == 400 and "changed_since" in refused.json()
    # The meetings' list as of a date refuses it too: the change feed is today's.
    meetings = client.get(reverse("api:meeting-list"), {"as_of": then, "changed_since": "2024-01-01T00:00:00Z"})
    assert meetings.status_code == 400 and "changed_since" in meetings.json()
    csv = commitments(client, as_of=then, format="csv")
    text = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and a.slug in text and "later" not in text
    assert commitments(client, as_of="not a date").status_code == 400


def test_a_curator_sees_the_drafts_of_then_in_the_lists_as_of_then(client, changed_record, admin_user):
    client.force_login(admin_user)
    then = changed_record["then"]
    assert "all-draft" in [t["slug"] for t in threads(client, as_of=then).json()["results"]]
    assert "drafted" in [c["slug"] for c in commitments(client, as_of=then).json()["results"]]


def test_the_lists_as_of_before_the_history_are_empty(client, changed_record):
    assert threads(client, as_of="2001-01-01").json()["count"] == 0
    assert commitments(client, as_of="2001-01-01").json()["results"] == []


def test_a_statement_in_the_api_as_of_a_moment_is_as_it_was_then(client, django_assert_num_queries):
    statement = StatementFactory(slug="communique", title="Communiqué, then", text="The text as it was then.")
    drafted = StatementFactory(slug="drafted-then", draft=True)
    then = timezone.now()
    for n in range(5):
        statement.title, statement.text = f"Communiqué, retitled since ({n})", f"The text corrected since ({n})."
        statement.save()
    meeting = statement.meeting
    meeting.slug = "renamed-since"
    meeting.save()
    drafted.draft = False
    drafted.save()
    url = reverse("api:statement-detail", args=["communique"])
    with django_assert_num_queries(2):  # the statement and its meeting, whatever the history's length
        response = client.get(url, {"as_of": then.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Communiqué, then" and body["text"] == "The text as it was then."
    assert body["meeting"] != "renamed-since" and body["sha256"] == statement.history.earliest().sha256
    assert set(body) == set(client.get(url).json())
    assert response["Link"] == '<http://testserver/api/v1/statements/communique/>; rel="original"'
    # A draft then is not found for a reader; a curator sees it; a moment before it existed is a 404.
    drafted_url = reverse("api:statement-detail", args=["drafted-then"])
    assert client.get(drafted_url, {"as_of": then.isoformat()}).status_code == 404
    assert client.get(url, {"as_of": "2001-01-01"}).status_code == 404
    assert client.get(url, {"as_of": "the day before"}).status_code == 400
    assert client.get(url).json()["title"] == "Communiqué, retitled since (4)"


def test_a_curator_sees_a_statement_drafted_then_as_of_then(client, admin_user):
    StatementFactory(slug="drafted-then", title="Drafted then", draft=True)
    then = timezone.now()
    client.force_login(admin_user)
    response = client.get(reverse("api:statement-detail", args=["drafted-then"]), {"as_of": then.isoformat()})
    assert response.status_code == 200 and response.json()["draft"] is True


def statement_page(client, slug, **params):
    return client.get(reverse("public:statement", args=[slug]), params)


def test_a_statement_page_as_of_a_moment_shows_its_text_and_quotes_then(client, django_assert_num_queries):
    from tests.factories import FigureFactory, MemberFactory, ParticipationFactory

    (commitment,) = commitments_at_meetings(2016, summary="Share information, as summarised then.")
    statement = commitment.statement
    statement.title = "Communiqué, then"
    statement.save()
    thread_with(commitment, slug="info-sharing", title="Information sharing, then")
    figure = FigureFactory(statement=statement, phrase=statement.text[commitment.start : commitment.start + 5])
    member = MemberFactory(name="Ruritania")
    ParticipationFactory(meeting=statement.meeting, statement=statement, member=member, start=0, end=3, quote="We,")
    then = timezone.now()
    for n in range(5):  # a long history after the moment
        statement.title = f"Communiqué, retitled since ({n})"
        statement.save()
        commitment.summary = f"Summarised since ({n})."
        commitment.save()
    member.name = "Renamed since"
    member.save()
    figure.delete()
    AssessmentFactory(commitment=commitment, status="kept")
    # The statement, its meeting, its commitments, their lines, assessments, places and pledges, its figures,
    # who took part and those members: ten queries, whatever the history's length.
    with django_assert_num_queries(10):
        response = statement_page(client, statement.slug, as_of=then.isoformat())
    assert response.status_code == 200
    body = response.content.decode()
    assert "A past state" in body and "Communiqué, then" in body and "retitled since" not in body
    assert "Share information, as summarised then." in body and "Summarised since" not in body
    assert f"/commitments/{commitment.slug}/?as_of=" in body and "/pledges/info-sharing/?as_of=" in body
    assert "Information sharing, then" in body and "Ruritania" in body and "Renamed since" not in body
    assert f'id="f-{figure.slug}"' in body  # deleted since, quoted then
    assert "latest status: not yet assessed" in body
    assert f"/meetings/{statement.meeting.slug}/?as_of=" in body
    # Today's page offers the dated link and shows today's record.
    today = statement_page(client, statement.slug).content.decode()
    assert "Communiqué, retitled since (4)" in today and "as_of=" in today and "A past state" not in today
    assert statement_page(client, statement.slug, as_of="2001-01-01").status_code == 404
    assert statement_page(client, statement.slug, as_of="soon").status_code == 400


def test_a_statement_page_drafted_then_is_not_found_as_of_then(client):
    drafted = StatementFactory(slug="drafted-then", draft=True)
    then = timezone.now()
    drafted.draft = False
    drafted.save()
    assert statement_page(client, "drafted-then", as_of=then.isoformat()).status_code == 404
    assert statement_page(client, "drafted-then").status_code == 200


def test_a_pledge_merged_by_then_is_left_out_of_the_list_as_of_then(client, admin_user):
    first, second = commitments_at_meetings(2016, 2019)
    into = thread_with(first, slug="into")
    merged = thread_with(second, slug="merged-before")
    merge_threads(thread=merged, into=into, reason="Same pledge.", by=admin_user)
    then = timezone.now()
    assert [t["slug"] for t in threads(client, as_of=then.isoformat()).json()["results"]] == ["into"]
