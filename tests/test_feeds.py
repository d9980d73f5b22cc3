"""The Atom feeds: valid Atom, entry ids that never change for the same entry, linked from the pages,
bounded, in a fixed number of queries."""

import datetime
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.urls import reverse

from commitments.models import Commitment, ReviewState, Thread
from public.feeds import FEED_LENGTH
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    LineOfEffortFactory,
    StatementFactory,
    commitments_at_meetings,
    thread_with,
)

ATOM = "{http://www.w3.org/2005/Atom}"
TAG = re.compile(r"^tag:[a-z0-9.-]+\.[a-z]+,\d{4}(-\d\d(-\d\d)?)?:[!-~]+$")


def rfc3339(text):
    """The date-time of an Atom date construct (RFC 3339, with its offset), or a failure."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", text), text
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def one(element, name):
    found = element.findall(f"{ATOM}{name}")
    assert len(found) == 1, f"{element.tag} must have exactly one {name}, has {len(found)}"
    return found[0]


def read_feed(client, url):
    """The feed parsed and checked against RFC 4287's rules for a feed and its entries; returns
    (feed element, [(entry id, entry element)])."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert TAG.match(one(feed, "id").text)
    assert one(feed, "title").text.strip()
    updated = rfc3339(one(feed, "updated").text)
    links = {link.get("rel", "alternate"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"].endswith(url) and links["alternate"].startswith("http")
    feed_authors = feed.findall(f"{ATOM}author")
    entries = []
    for entry in feed.findall(f"{ATOM}entry"):
        entry_id = one(entry, "id").text
        assert TAG.match(entry_id), entry_id
        assert one(entry, "title").text.strip()
        changed = rfc3339(one(entry, "updated").text)
        assert rfc3339(one(entry, "published").text) <= changed <= updated
        alternate = [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href").startswith("http")
        assert feed_authors or entry.findall(f"{ATOM}author")
        for author in feed_authors + entry.findall(f"{ATOM}author"):
            assert one(author, "name").text.strip()
        entries.append((entry_id, entry))
    ids = [entry_id for entry_id, _ in entries]
    assert len(set(ids)) == len(ids), "an entry id appears twice"
    return feed, entries


@pytest.fixture
def pledge(db):
    first, second, third = commitments_at_meetings(2016, 2019, 2021)
    AssessmentFactory(commitment=second)
    return thread_with(first, second, third, kinds=["widened", "repeated"])


def feeds_of(thread):
    commitment = thread.entries.order_by("position").first().commitment
    return {
        "everything": reverse("public:feed"),
        "pledge": reverse("public:pledge-feed", args=[thread.slug]),
        "line": reverse("public:line-feed", args=[commitment.line_of_effort.slug]),
        "meeting": reverse("public:meeting-feed", args=[commitment.statement.meeting.slug]),
    }


@pytest.mark.parametrize("name", ["everything", "pledge", "line", "meeting"])
def test_each_feed_is_valid_atom_with_ids_that_stay_the_same_across_reads_and_edits(client, pledge, name):
    url = feeds_of(pledge)[name]
    feed, entries = read_feed(client, url)
    assert entries
    again, entries_again = read_feed(client, url)
    assert [i for i, _ in entries_again] == [i for i, _ in entries]
    assert one(again, "id").text == one(feed, "id").text
    assert one(again, "updated").text == one(feed, "updated").text
    # An unrelated edit, and an edit of a listed record itself: the ids stay; the edited entry is updated.
    CommitmentFactory(statement=StatementFactory(), line_of_effort=LineOfEffortFactory())
    listed = pledge.entries.order_by("position").first().commitment
    listed.summary = "Edited by a curator."
    listed.save()
    _, after = read_feed(client, url)
    if name == "everything":
        # A new commitment is a new entry at the top; the rest keep their ids.
        assert [i for i, _ in after][1:] == [i for i, _ in entries][: len(after) - 1]
    else:
        assert [i for i, _ in after] == [i for i, _ in entries]
    edited = [entry for _, entry in after if "Edited by a curator." in one(entry, "title").text]
    assert len(edited) == 1
    assert rfc3339(one(edited[0], "updated").text) > rfc3339(one(edited[0], "published").text)


@pytest.mark.parametrize("name", ["everything", "pledge", "line", "meeting"])
def test_each_feed_of_the_seed_is_well_formed_atom_to_a_maintained_parser(client, seeded, name):
    """feedparser (the parser feed readers build on) reads each feed as Atom 1.0 without a fault, and
    finds what a reader needs: the feed's id, title and date, and each entry's id, title, date and link."""
    url = feeds_of(Thread.objects.filter(entries__isnull=False).order_by("pk").first())[name]
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    feed = parsed.feed
    assert TAG.match(feed.id) and feed.title.strip() and feed.updated_parsed
    assert parsed.entries
    for entry in parsed.entries:
        assert TAG.match(entry.id), entry.id
        assert entry.title.strip() and entry.updated_parsed and entry.published_parsed
        assert entry.link.startswith("http")
    ids = [entry.id for entry in parsed.entries]
    assert len(set(ids)) == len(ids), "an entry id appears twice"
    # The structural checks agree with the parser on what the feed holds.
    _, entries = read_feed(client, url)
    assert [i for i, _ in entries] == ids


def test_the_pledge_feed_holds_each_place_with_its_change_newest_first(client, pledge):
    _, entries = read_feed(client, reverse("public:pledge-feed", args=[pledge.slug]))
    slugs = [entry.commitment.slug for entry in pledge.entries.order_by("-position")]
    assert [i for i, _ in entries] == [f"tag:coalition-tracker.example,2026:pledge/{pledge.slug}/{s}" for s in slugs]
    titles = [one(entry, "title").text for _, entry in entries]
    assert titles[0].startswith("No. 3, repeated: ") and titles[1].startswith("No. 2, widened: ")
    link = one(entries[0][1], "link").get("href")
    assert link.endswith(f"/pledges/{pledge.slug}/#c-{slugs[0]}")


def test_the_tracker_feed_lists_approved_assessments_not_drafts(client, pledge):
    assessed = pledge.entries.get(position=2).commitment
    AssessmentFactory(commitment=assessed, review_state=ReviewState.DRAFT, drafted_by="someone")
    _, entries = read_feed(client, reverse("public:feed"))
    ids = [i for i, _ in entries]
    approved = assessed.assessments.get(review_state=ReviewState.APPROVED)
    assert [i for i in ids if ":assessment/" in i] == [
        f"tag:coalition-tracker.example,2026:assessment/{approved.key()}"
    ]
    assert sum(":commitment/" in i for i in ids) == 3


def test_a_feed_for_what_does_not_exist_is_a_404(client, db):
    for name in ("public:pledge-feed", "public:line-feed", "public:meeting-feed"):
        assert client.get(reverse(name, args=["no-such-thing"])).status_code == 404


# The subject by slug (not for the tracker-wide feed), then one query for the entries with their dates;
# the tracker-wide feed reads commitments and assessments.
FEED_QUERIES = {"everything": 2, "pledge": 2, "line": 2, "meeting": 2}


@pytest.mark.parametrize("name", list(FEED_QUERIES))
@pytest.mark.parametrize("size", [3, FEED_LENGTH + 5])
def test_feeds_are_bounded_and_read_in_a_fixed_number_of_queries(client, db, django_assert_num_queries, name, size):
    line = LineOfEffortFactory()
    statement = StatementFactory()
    commitments = [CommitmentFactory(statement=statement, line_of_effort=line) for _ in range(size)]
    for commitment in commitments:
        AssessmentFactory(commitment=commitment)
    url = feeds_of(thread_with(*commitments, kinds=["repeated"] * (size - 1)))[name]
    with django_assert_num_queries(FEED_QUERIES[name]):
        _, entries = read_feed(client, url)
    assert len(entries) == min(size * (2 if name == "everything" else 1), FEED_LENGTH)
    if name != "everything":
        # The newest: the last recorded (or, in a pledge, the last placed) first.
        newest = Commitment.objects.order_by("-pk")[0]
        assert entries[0][0].endswith(f"/{newest.slug}")


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("public:matrix", None),
        ("public:pledge", "public:pledge-feed"),
        ("public:meeting", "public:meeting-feed"),
        ("public:lines", "public:line-feed"),
    ],
)
def test_pages_link_their_feeds_in_the_head_and_in_the_page(client, pledge, page, feed):
    commitment = pledge.entries.order_by("position").first().commitment
    slugs = {
        "public:pledge": pledge.slug,
        "public:meeting": commitment.statement.meeting.slug,
        "public:line-feed": commitment.line_of_effort.slug,
    }
    url = reverse(page, args=[slugs[page]] if page in slugs else [])
    html = client.get(url).content.decode()
    head, body = html.split("</head>", 1)
    alternates = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', head)
    assert reverse("public:feed") in alternates
    assert f'href="{reverse("public:feed")}"' in body
    if feed:
        feed_url = reverse(feed, args=[slugs.get(feed, slugs.get(page))])
        assert f'href="{feed_url}"' in body
        assert feed_url in alternates
    for href in alternates:
        assert client.get(href).status_code == 200
