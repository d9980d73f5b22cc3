"""The Atom feeds as of a date (`?as_of=`): the entries of the records that stood then, with their content of
then and the same ids, no date later than the moment, the subject as it stood then, marked as a past state,
valid Atom to a maintained parser, in as many queries whatever the history's length."""

import datetime
from urllib.parse import urlencode

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.merging import merge_threads
from commitments.models import LineOfEffort, ThreadEntry
from core.when import stamp
from meetings.models import Meeting
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    ThreadEntryFactory,
    UserFactory,
    commitments_at_meetings,
    thread_with,
)
from tests.test_feeds import ATOM, one, read_feed, rfc3339

pytestmark = pytest.mark.django_db

CHANGES = 12  # versions of each record after the moment read


def dated(url, moment):
    return f"{url}?{urlencode({'as_of': stamp(moment)})}"


def ids(entries):
    return [entry_id for entry_id, _ in entries]


def holds(entries, commitment):
    return any(entry_id.endswith(f"/{commitment.slug}") for entry_id in ids(entries))


def titles(entries):
    return [one(entry, "title").text for _, entry in entries]


@pytest.fixture
def story():
    """A pledge of three commitments (the second assessed), the moment `then`; after it the first commitment,
    its line, its meeting and the assessment edited, the third taken out of the pledge and deleted, a fourth
    commitment recorded and placed, and a second assessment approved."""
    first, second, third = commitments_at_meetings(2016, 2019, 2021, summary="Summary then.")
    line = LineOfEffortFactory(slug="stabilization", name="Stabilization, then")
    for commitment in (first, second, third):
        commitment.line_of_effort = line
        commitment.save()
    assessment = AssessmentFactory(commitment=second, note="Note then.")
    pledge = thread_with(first, second, third, kinds=["widened", "repeated"], slug="funding", title="Funding, then")
    then = timezone.now()
    first.summary = "Summary since."
    first.save()
    line.name = "Stabilization, renamed since"
    line.save()
    meeting = second.statement.meeting
    meeting.name = "Meeting renamed since"
    meeting.save()
    assessment.note = "Note since."
    assessment.save()
    ThreadEntry.objects.get(commitment=third).delete()
    third.delete()
    fourth = CommitmentFactory(statement=second.statement, line_of_effort=line, summary="Recorded since.")
    ThreadEntryFactory(thread=pledge, commitment=fourth, position=3, change_kind="repeated")
    AssessmentFactory(commitment=first, note="Approved since.")
    pledge.title = "Funding, renamed since"
    pledge.save()
    return {
        "then": then,
        "pledge": pledge,
        "commitments": (first, second, third, fourth),
        "urls": {
            "everything": reverse("public:feed"),
            "pledge": reverse("public:pledge-feed", args=["funding"]),
            "line": reverse("public:line-feed", args=["stabilization"]),
            "meeting": reverse("public:meeting-feed", args=[second.statement.meeting.slug]),
        },
    }


@pytest.mark.parametrize("name", ["everything", "pledge", "line", "meeting"])
def test_a_feed_as_of_a_moment_holds_the_entries_of_then_as_they_were(client, story, name):
    then, (_, _, third, fourth) = story["then"], story["commitments"]
    url = dated(story["urls"][name], then)
    feed, entries = read_feed(client, url)
    today_feed, today = read_feed(client, story["urls"][name])
    # Deleted since: present (but in the meeting feed: the third was made at another meeting); recorded since:
    # absent.
    assert holds(entries, third) == (name != "meeting") and not holds(today, third)
    assert not holds(entries, fourth) and holds(today, fourth)
    # The same ids as today's for the same records.
    assert {i for i in ids(entries) if not i.endswith(f"/{third.slug}")} <= set(ids(today))
    # Their content of then, and no date later than the moment.
    text = " ".join(titles(entries)) + " ".join(one(entry, "summary").text for _, entry in entries)
    assert "Summary then." in text and "Summary since." not in text
    assert "renamed since" not in text and "renamed since" not in one(feed, "title").text
    assert "Stabilization, then" in text and "renamed since" in one(today_feed, "title").text + " ".join(
        one(entry, "summary").text for _, entry in today
    )
    for _, entry in entries:
        assert rfc3339(one(entry, "updated").text) <= then
    assert rfc3339(one(feed, "updated").text) == max(rfc3339(one(entry, "updated").text) for _, entry in entries)
    # Marked as a past state: named, its page then, today's feed related, an id of its own.
    assert "as of" in one(feed, "title").text and "as of" not in one(today_feed, "title").text
    assert "not as it is today" in one(feed, "subtitle").text
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["related"] == f"http://testserver{story['urls'][name]}"
    assert f"as_of={stamp(then)}".replace(":", "%3A") in links["alternate"]
    assert one(feed, "id").text != one(today_feed, "id").text
    for _, entry in entries:
        assert "as_of=" in one(entry, "link").get("href")
    response = client.get(url)
    assert (
        response["Memento-Datetime"] and response["Link"] == f'<http://testserver{story["urls"][name]}>; rel="original"'
    )


def test_the_tracker_feed_as_of_a_moment_holds_the_assessments_approved_then_as_they_were(client, story):
    _, entries = read_feed(client, dated(reverse("public:feed"), story["then"]))
    assessed = [entry for entry_id, entry in entries if ":assessment/" in entry_id]
    assert len(assessed) == 1
    assert "Note then." in one(assessed[0], "summary").text


def test_a_pledge_feed_as_of_a_moment_has_its_places_and_title_then(client, story):
    first, second, third, _ = story["commitments"]
    feed, entries = read_feed(client, dated(reverse("public:pledge-feed", args=["funding"]), story["then"]))
    assert "Funding, then" in one(feed, "title").text
    assert ids(entries) == [
        f"tag:coalition-tracker.example,2026:pledge/funding/{c.slug}" for c in (third, second, first)
    ]
    assert titles(entries)[0].startswith("No. 3, repeated: ")


@pytest.mark.parametrize("name", ["everything", "pledge", "line", "meeting"])
def test_each_feed_as_of_a_moment_is_well_formed_atom_to_a_maintained_parser(client, story, name):
    response = client.get(dated(story["urls"][name], story["then"]))
    assert response.status_code == 200
    parsed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.entries and parsed.feed.title.endswith(f"as of {parsed.feed.title.split('as of ')[-1]}")
    rels = {link.rel for link in parsed.feed.links}
    assert {"alternate", "self", "related"} <= rels


def test_a_pledge_merged_since_is_its_own_feed_then_not_the_redirect(client):
    c2016, c2019 = commitments_at_meetings(2016, 2019)
    merged = thread_with(c2016, slug="merged")
    into = thread_with(c2019, slug="into", line_of_effort=merged.line_of_effort)
    then = timezone.now()
    merge_threads(thread=merged, into=into, reason="The same pledge.", by=UserFactory())
    url = reverse("public:pledge-feed", args=["merged"])
    assert client.get(url).status_code == 301
    _, entries = read_feed(client, dated(url, then))
    assert ids(entries) == [f"tag:coalition-tracker.example,2026:pledge/merged/{c2016.slug}"]


def test_a_subject_not_in_the_record_then_is_a_404_and_a_bad_moment_a_400(client):
    (commitment,) = commitments_at_meetings(2016)
    drafted = MeetingFactory(slug="drafted", draft=True)
    then = timezone.now()
    drafted.draft = False
    drafted.save()  # published since: a draft then, with no feed then
    thread_with(commitment, slug="pledged-since")
    later_line = LineOfEffortFactory(slug="line-since")
    later_meeting = MeetingFactory(slug="meeting-since")
    for name, slug in (
        ("public:pledge-feed", "pledged-since"),
        ("public:line-feed", later_line.slug),
        ("public:meeting-feed", later_meeting.slug),
        ("public:meeting-feed", "drafted"),
    ):
        response = client.get(dated(reverse(name, args=[slug]), then))
        assert response.status_code == 404, name
        assert client.get(reverse(name, args=[slug])).status_code == 200
    assert LineOfEffort.objects.filter(slug="line-since").exists() and Meeting.objects.filter(slug="meeting-since")
    bad = client.get(reverse("public:feed"), {"as_of": "not a date"})
    assert bad.status_code == 400 and "is not a moment" in bad.content.decode()


# The subject then (not for the tracker-wide feed), then one query for the entries (two for the tracker-wide
# feed, commitments and assessments, and for a pledge's, its places and their commitments).
PAST_FEED_QUERIES = {"everything": 2, "pledge": 3, "line": 2, "meeting": 2}


@pytest.mark.parametrize("name", list(PAST_FEED_QUERIES))
@pytest.mark.parametrize("changes", [1, CHANGES])
def test_a_feed_as_of_a_moment_asks_as_many_queries_whatever_the_history(
    client, django_assert_num_queries, name, changes
):
    commitments = commitments_at_meetings(2016, 2019, 2021)
    line = commitments[0].line_of_effort
    for commitment in commitments:
        commitment.line_of_effort = line
        commitment.save()
        AssessmentFactory(commitment=commitment)
    pledge = thread_with(*commitments, kinds=["repeated", "repeated"], slug="pledge")
    then = timezone.now()
    for n in range(changes):
        for commitment in commitments:
            commitment.summary = f"Changed {n}."
            commitment.save()
        for entry in pledge.entries.all():
            entry.note = f"Changed {n}."
            entry.save()
        line.name = f"Line {n}"
        line.save()
    urls = {
        "everything": reverse("public:feed"),
        "pledge": reverse("public:pledge-feed", args=["pledge"]),
        "line": reverse("public:line-feed", args=[line.slug]),
        "meeting": reverse("public:meeting-feed", args=[commitments[0].statement.meeting.slug]),
    }
    with django_assert_num_queries(PAST_FEED_QUERIES[name]):
        _, entries = read_feed(client, dated(urls[name], then))
    assert len(entries) == {"everything": 6, "pledge": 3, "line": 3, "meeting": 1}[name]


def test_a_feed_as_of_a_moment_before_anything_was_recorded_is_empty_and_dated_then(client):
    moment = timezone.now() - datetime.timedelta(days=1)
    (commitment,) = commitments_at_meetings(2016)
    feed, entries = read_feed(client, dated(reverse("public:feed"), moment))
    # Nothing then: no entry, and the feed dated at the moment, not when it was read.
    assert entries == [] and rfc3339(one(feed, "updated").text) == moment
    _, today = read_feed(client, reverse("public:feed"))
    assert holds(today, commitment)


@pytest.mark.parametrize(
    ("page", "args", "feed"),
    [
        ("public:matrix", [], None),
        ("public:pledge", ["funding"], "public:pledge-feed"),
        ("public:lines", [], "public:line-feed"),
        ("public:meeting", None, "public:meeting-feed"),
    ],
)
def test_a_past_page_names_its_feeds_as_of_the_same_moment(client, story, page, args, feed):
    then = story["then"]
    meeting = story["commitments"][1].statement.meeting.slug
    args = [meeting] if args is None else args
    html = client.get(reverse(page, args=args), {"as_of": stamp(then)}).content.decode()
    head = html.split("</head>", 1)[0]
    query = urlencode({"as_of": stamp(then)})
    assert f'href="{reverse("public:feed")}?{query}"' in head
    if feed:
        slug = {"public:pledge-feed": "funding", "public:line-feed": "stabilization"}.get(feed, meeting)
        assert f'href="{reverse(feed, args=[slug])}?{query}"' in head
        assert client.get(f"{reverse(feed, args=[slug])}?{query}").status_code == 200
    today = client.get(reverse(page, args=args)).content.decode().split("</head>", 1)[0]
    assert f'href="{reverse("public:feed")}"' in today
