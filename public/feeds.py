"""Atom feeds for readers who follow the tracker: everything, a recurring pledge, a line of effort, a meeting.

Built on Django's syndication framework (`Atom1Feed`). What a reader follows is what was *recorded*:
each entry is a commitment as quoted (or, in a pledge's feed, its place in the pledge, with how it
changed from the one before), and in the tracker-wide feed also each approved assessment. An
entry's `published` is when the record was first stored and its `updated` when it last changed,
both read from the records' history (what the admin's History page shows), so a curator's edit
shows up as an updated entry, never as a new one.

Entry ids are tag URIs (RFC 4151) made of the records' natural keys, the keys snapshots and the API
address them by: they never change for the same entry, whichever host the feed is read through,
however often, and whatever else is edited. The authority and date are `FEED_TAG_AUTHORITY`.

Each feed holds the `FEED_LENGTH` newest entries and costs a fixed number of queries whatever the
data: its subject (by slug), then one query for its entries with both dates as subqueries on the
indexed history tables (two for the tracker-wide feed: commitments and assessments). The records are
read through the same model querysets the public pages read.

With `?as_of=WHEN` (`public.as_of`), a feed is as it stood then (`public.past_feeds`): the entries of the
records standing then with their content of then and the same ids, each `updated` no later than the moment,
the subject (a pledge, a line, a meeting) as it stood then (a pledge merged since is its own feed then, not a
redirect; one not in the record then a 404). It says so: its title and subtitle name the moment, its
`alternate` link is the page as of then, a `related` link is today's feed, its id is its own (a past state
is another document), and the answer carries the Memento headers the API's past answers do.
"""

import copy
import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date

from commitments.merging import current_pledge
from commitments.models import Assessment, Commitment, LineOfEffort, PledgeLink, Thread, ThreadEntry
from meetings.models import Meeting

from . import as_of, past_feeds
from .links import Route, card_in_pledge, page_url

# The newest entries a feed holds: a reader polls it, and older entries are on the pages.
FEED_LENGTH = 50
SITE_NAME = "Coalition commitment tracker"

# What a feed entry shows of a commitment.
COMMITMENT_COLUMNS = (
    "slug",
    "summary",
    "quote",
    "actor",
    "strength",
    "line_of_effort__name",
    "statement__meeting__name",
    "statement__meeting__start_date",
)


def tag(*parts):
    """A tag URI for a record by its natural key: `tag:<authority>,<date>:commitment/rome-2021-x`."""
    return f"tag:{settings.FEED_TAG_AUTHORITY}:{'/'.join(str(part) for part in parts)}"


def history_dates(model, key="pk"):
    """Annotations `recorded` and `changed`: the first and last dates in the history of the row whose id
    is `key` (an OuterRef lookup), as subqueries on the historical table's indexed id."""
    history = model.history.model.objects.filter(id=OuterRef(key))
    return {
        "recorded": past_feeds.first_recorded(model, key),
        "changed": Subquery(history.order_by("-history_id").values("history_date")[:1]),
    }


def commitment_rows(commitments):
    """The newest `FEED_LENGTH` of `commitments` (the last stored first) as rows with their history dates."""
    return list(
        commitments.annotate(**history_dates(Commitment))
        .order_by("-pk")
        .values("pk", *COMMITMENT_COLUMNS, "recorded", "changed")[:FEED_LENGTH]
    )


def midnight(day):
    """A date as the first moment of that day in UTC: a record with no history is dated by its meeting."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def commitment_item(row, url, prefix=""):
    """A feed item (a dict the feed's item_* methods read) for a commitment row."""
    meeting_date = row["statement__meeting__start_date"]
    recorded = row["recorded"] or midnight(meeting_date)
    return {
        "id": tag("commitment", row["slug"]),
        "title": f"{prefix}{row['summary'] or row['slug']}",
        "link": url(row["slug"]),
        "summary": (
            f"{row['statement__meeting__name']} ({meeting_date.isoformat()}), {row['line_of_effort__name']}, "
            f"{row['strength']}. {row['actor']}: “{row['quote']}”"
        ),
        "published": recorded,
        "updated": row["changed"] or recorded,
    }


class TrackerAtom(Atom1Feed):
    """Atom 1.0; a feed as of a date (its `as_of` set) adds a `related` link to today's feed (`today`), and its
    own `updated` is its newest entry's, or the moment when it has none (never the time it was read)."""

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if self.feed.get("today"):
            handler.addQuickElement("link", "", {"rel": "related", "href": self.feed["today"]})

    def latest_post_date(self):
        moment = self.feed.get("as_of")
        if moment is not None and not self.items:
            return moment
        return super().latest_post_date()


class TrackerFeed(Feed):
    """What every feed of the tracker shares: Atom, its author, its stable id, items as dicts, `as_of`.

    One instance answers every request for its address: a feed as of a date is answered by a copy of it
    holding the moment (`moment`), which each hook reads."""

    feed_type = TrackerAtom
    author_name = SITE_NAME
    # Set by each feed: the page its feed follows, by URL name (with the subject's slug where it has one).
    page = "public:matrix"
    # `core.when`: the feeds read `as_of` (the middleware lets it through).
    reads_as_of = True
    moment: datetime.datetime | None = None  # the moment of a feed as of a date, on its copy

    def __call__(self, request, *args, **kwargs):
        moment, bad = as_of.requested_moment(request)
        if bad:
            return as_of.refused(request, bad)
        if moment is None:
            return super().__call__(request, *args, **kwargs)
        past = copy.copy(self)
        past.moment = moment
        try:
            response = super(TrackerFeed, past).__call__(request, *args, **kwargs)
        except past_feeds.Absent as absent:
            return as_of.absent(request, absent.what, absent.model, moment)
        state = as_of.past_state(request, moment)
        response["Memento-Datetime"] = http_date(moment.timestamp())
        response["Link"] = f'<{request.build_absolute_uri(state.today_url)}>; rel="original"'
        return response

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        if self.moment is not None:
            # Marked as a past state: named, linked to the page then and to today's feed, an id of its own.
            state = as_of.past_state(request, self.moment)
            details = feed.feed
            details["title"] = f"{details['title']}, as of {state.label}"
            details["subtitle"] = (
                f"The record as it stood on {state.label}, not as it is today (today's feed: "
                f"{request.build_absolute_uri(state.today_url)}). {details['subtitle'] or ''}"
            ).strip()
            details["link"] = past_feeds.dated(details["link"], self.moment)
            details["feed_url"] = request.build_absolute_uri()
            details["id"] = f"{details['id']}/as-of/{state.stamp}"
            details["today"] = request.build_absolute_uri(state.today_url)
            details["as_of"] = self.moment
        return feed

    def entry_route(self, name):
        """The addresses of entries' pages by slug, kept at the feed's moment when it has one."""
        return Route(name, query=past_feeds.query(self.moment) if self.moment else "")

    def link(self, obj):
        return page_url(self.page, obj.slug) if obj is not None else page_url(self.page)

    def feed_guid(self, obj):
        return tag("feed", *self.feed_key(obj))

    def feed_key(self, obj):
        return [self.page.split(":")[1], obj.slug] if obj is not None else ["everything"]

    # Each item is a dict (`commitment_item()`): the framework's item_* hooks read its keys (as
    # methods: the framework passes the item to a hook whose code takes two arguments).
    item_title = lambda self, item: item["title"]  # noqa: E731
    item_description = lambda self, item: item["summary"]  # noqa: E731
    item_link = lambda self, item: item["link"]  # noqa: E731
    item_guid = lambda self, item: item["id"]  # noqa: E731
    item_pubdate = lambda self, item: item["published"]  # noqa: E731
    item_updateddate = lambda self, item: item["updated"]  # noqa: E731


class EverythingFeed(TrackerFeed):
    """The newest commitments recorded and the newest assessments approved, across the tracker."""

    title = f"{SITE_NAME}: new commitments and assessments"
    subtitle = (
        "The commitments most recently recorded from the Coalition's statements, and the newest approved "
        "assessments of what became of them."
    )

    def items(self):
        commitment_url = self.entry_route("public:commitment")
        if self.moment is not None:
            rows = past_feeds.commitment_rows_as_of(self.moment, FEED_LENGTH)
            assessments = past_feeds.assessment_rows_as_of(self.moment, FEED_LENGTH)
        else:
            rows = commitment_rows(Commitment.objects.published())
            assessments = self.assessment_rows()
        items = [commitment_item(row, commitment_url) for row in rows]
        for row in assessments:
            slug, day = row["commitment__slug"], row["assessed_on"]
            recorded = row["recorded"] or midnight(day)
            items.append(
                {
                    "id": tag("assessment", f"{slug}@{day.isoformat()}"),
                    "title": f"Assessed on {day.isoformat()}: {row['commitment__summary'] or slug}",
                    "link": f"{commitment_url(slug)}#facts-heading",
                    "summary": f"{row['verdict']} ({row['status']}), by {row['assessor']}. {row['note']}".strip(),
                    "published": recorded,
                    "updated": row["changed"] or recorded,
                }
            )
        # The newest first, the id breaking ties so that two reads list them alike.
        items.sort(key=lambda item: (item["published"], item["id"]), reverse=True)
        return items[:FEED_LENGTH]

    def assessment_rows(self):
        """The newest approved assessments readers may see, with their commitment's slug and summary."""
        return (
            Assessment.objects.approved()
            .published()
            .annotate(**history_dates(Assessment))
            .order_by("-pk")
            .values(
                "commitment__slug",
                "commitment__summary",
                "assessed_on",
                "status",
                "verdict",
                "assessor",
                "note",
                "recorded",
                "changed",
            )[:FEED_LENGTH]
        )


class SubjectFeed(TrackerFeed):
    """A feed about one record, found by its slug as its page finds it (a 404 for no such record)."""

    model: type = Thread
    name_field = "title"  # the record's name, in the feed's title
    about = ""  # the feed's subtitle, with {name} for the record's name
    commitments_of = ""  # the Commitment lookup to the record, for a feed of its newest commitments
    past_commitments_of = ""  # the same on the commitments' rows of then (`past_feeds.commitment_rows_as_of`)
    subject_then = staticmethod(past_feeds.pledge_then)  # the record by slug as it stood at a moment

    def get_object(self, request, slug):
        if self.moment is not None:
            return self.subject_then(slug, self.moment)
        # A draft (a meeting, or a pledge all of whose commitments are drafts) has no feed, as it has no page.
        records = self.model.objects
        return get_object_or_404(records.published() if hasattr(records, "published") else records, slug=slug)

    def title(self, obj):
        return f"{SITE_NAME}: {getattr(obj, self.name_field)}"

    def subtitle(self, obj):
        return self.about.format(name=getattr(obj, self.name_field))

    def items(self, obj):
        if self.moment is not None:
            rows = past_feeds.commitment_rows_as_of(self.moment, FEED_LENGTH, **{self.past_commitments_of: obj.pk})
        else:
            rows = commitment_rows(Commitment.objects.published().filter(**{self.commitments_of: obj}))
        return [commitment_item(row, self.entry_route("public:commitment")) for row in rows]


class _Moved(Exception):
    """The feed's pledge was merged into another: its feed answers where its entries went."""

    def __init__(self, slug):
        super().__init__(slug)
        self.slug = slug


class PledgeFeed(SubjectFeed):
    """A recurring pledge's newest places: each commitment made in it, with how it changed from the one before.

    A pledge merged into another answers a permanent redirect to that pledge's feed, as its page does to its
    page (`commitments.merging.current_pledge`)."""

    page = "public:pledge"
    about = "Each time the recurring pledge “{name}” was made, newest first, with how its wording changed."

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except _Moved as moved:
            return redirect("public:pledge-feed", moved.slug, permanent=True)

    def get_object(self, request, slug):
        if self.moment is not None:
            return past_feeds.pledge_then(slug, self.moment)  # merged since or not: as it stood then
        # Whether it was merged away, in the same query as the pledge: a feed that was not costs nothing more.
        merged = PledgeLink.objects.merges().filter(thread=OuterRef("pk"))
        thread = get_object_or_404(Thread.objects.published().annotate(retired=Exists(merged)), slug=slug)
        if thread.retired:
            raise _Moved(current_pledge(thread).slug)
        return thread

    def items(self, obj):
        pledge_url, kept = page_url("public:pledge", obj.slug), ""
        if self.moment is not None:
            kept = past_feeds.query(self.moment)  # "?as_of=…", before the page of a long pledge
            rows = past_feeds.entry_rows_as_of(obj, self.moment, FEED_LENGTH, COMMITMENT_COLUMNS)
        else:
            rows = self.entry_rows(obj)
        items = []
        for row in rows:
            commitment = {name: row[f"commitment__{name}"] for name in COMMITMENT_COLUMNS}
            item = commitment_item(
                {**commitment, "recorded": row["recorded"], "changed": row["changed"]},
                lambda slug, position=row["position"]: pledge_url + card_in_pledge(position, slug, kept),
                prefix=f"No. {row['position']}, {row['change_kind']}: ",
            )
            # The place, not the commitment: a commitment can be in several pledges.
            item["id"] = tag("pledge", obj.slug, commitment["slug"])
            changed = [date for date in (item["updated"], row["commitment_changed"]) if date]
            item["updated"] = max(changed)
            if row["note"]:
                item["summary"] += f" Curator's note: {row['note']}"
            items.append(item)
        return items

    def entry_rows(self, obj):
        """The pledge's newest places readers may see, each with its commitment's columns and both dates."""
        return (
            ThreadEntry.objects.published()
            .filter(thread=obj)
            .annotate(**history_dates(ThreadEntry))
            .annotate(**{f"commitment_{k}": v for k, v in history_dates(Commitment, "commitment_id").items()})
            .order_by("-position")
            .values(
                "position",
                "change_kind",
                "note",
                *(f"commitment__{name}" for name in COMMITMENT_COLUMNS),
                "recorded",
                "changed",
                "commitment_changed",
            )[:FEED_LENGTH]
        )


class LineFeed(SubjectFeed):
    """The newest commitments filed under a line of effort."""

    page = "public:lines"
    model = LineOfEffort
    name_field = "name"
    about = "The commitments most recently recorded under the line of effort “{name}”."

    def link(self, obj):
        return page_url("public:lines")

    commitments_of = "line_of_effort"
    past_commitments_of = "line_of_effort_id"
    subject_then = staticmethod(past_feeds.line_then)

    def feed_key(self, obj):
        return ["line-of-effort", obj.slug]


class MeetingFeed(SubjectFeed):
    """The commitments recorded from a meeting's statements, the last recorded first."""

    page = "public:meeting"
    model = Meeting
    name_field = "name"
    about = "The commitments recorded from the statements of {name}, the last recorded first."
    commitments_of = "statement__meeting"
    past_commitments_of = "meeting_id"
    subject_then = staticmethod(past_feeds.meeting_then)
