"""The Atom feeds as they stood at a moment (`?as_of=WHEN`, `public.feeds`): the entries of the records standing
then, with their content of then, read from the change history (`core.as_of`, `commitments.past_lists`,
`commitments.past_assessments`, `meetings.past`), never from the present.

Each reader here gives rows in the shape `public.feeds` reads today's (the same keys), so an entry as of a date
is written as today's is, with its stable id. An entry's `recorded` is its record's first version and its
`changed` the version standing at the moment: no later than the moment, so the feed's own `updated` (the newest
entry's) is too. A record added later is absent, one deleted since is present, a draft of then is hidden.

Fixed queries whatever the history's length: the subject by slug then (one), and one for the entries (two for
the tracker-wide feed, commitments and assessments; two for a pledge's, its places then and their commitments).
"""

import datetime
from urllib.parse import urlencode

from django.db.models import F, OuterRef, Subquery

from commitments.models import Assessment, Commitment, LineOfEffort, Thread, ThreadEntry
from commitments.past_assessments import assessments_as_of
from commitments.past_lists import commitments_as_of, entries_published_as_of, line_as_of, pledges_published_as_of
from core import when as moments
from core.as_of import history_of, records_of, value_as_of
from meetings.models import Meeting
from meetings.past import meeting_as_of


class Absent(Exception):
    """The feed's subject was not in the record (or not published) at the moment: its 404 (`as_of.absent`)."""

    def __init__(self, what, model):
        super().__init__(what)
        self.what, self.model = what, model


def first_recorded(model, key="pk"):
    """When the row whose id is `key` (an OuterRef lookup) was first stored: its oldest version's date, a
    subquery on the historical table's indexed id."""
    versions = history_of(model).objects.filter(id=OuterRef(key))
    return Subquery(versions.order_by("history_id").values("history_date")[:1])


def query(moment) -> str:
    """The query string that keeps an address at `moment`: `?as_of=…`."""
    return f"?{urlencode({moments.PARAMETER: moments.stamp(moment)})}"


def dated(url, moment):
    """`url` (with no query string) kept at `moment`: its `?as_of=`, before any `#fragment`."""
    address, hash_sign, fragment = url.partition("#")
    return f"{address}{query(moment)}{hash_sign}{fragment}"


# -- the subjects then ---------------------------------------------------------------------------------------


def pledge_then(slug: str, when: datetime.datetime) -> Thread:
    """The pledge `slug` as it stood at `when` (a reader's: not all its commitments drafts then), merged into
    another since or by then alike: a past feed is the pledge's own, never a redirect. One query."""
    found = records_of(Thread, pledges_published_as_of(when).filter(slug=slug)[:1])
    if not found:
        raise Absent("recurring pledge", Thread)
    return found[0]


def line_then(slug: str, when: datetime.datetime) -> LineOfEffort:
    """The line of effort `slug` as it stood at `when`. One query."""
    line = line_as_of(slug, when)
    if line is None:
        raise Absent("line of effort", LineOfEffort)
    return line


def meeting_then(slug: str, when: datetime.datetime) -> Meeting:
    """The meeting `slug` as it stood at `when`, not a draft then. One query."""
    meeting = meeting_as_of(slug, when)
    if meeting is None:
        raise Absent("meeting", Meeting)
    return meeting


# -- the entries then ----------------------------------------------------------------------------------------


def commitment_rows_as_of(when: datetime.datetime, limit: int, **filters) -> list[dict]:
    """The newest `limit` commitments published at `when` (`commitments_as_of`, filtered by `line_of_effort_id` or
    `meeting_id` of then), the last stored first, as `feeds.commitment_rows` gives today's: their fields, line of
    effort's and meeting's names and meeting's date then, `recorded` and `changed`. One query."""
    rows = (
        commitments_as_of(when)
        .filter(**filters)
        .annotate(
            line_name=value_as_of(Commitment, "line_of_effort__name", when),
            meeting_name=value_as_of(Commitment, "statement__meeting__name", when),
            recorded=first_recorded(Commitment, "id"),
        )
        .order_by("-id")
        .values(
            "id",
            "slug",
            "summary",
            "quote",
            "actor",
            "strength",
            "line_name",
            "meeting_name",
            "meeting_start_date",
            "recorded",
            "history_date",
        )[:limit]
    )
    return [
        {
            **{name: row[name] for name in ("id", "slug", "summary", "quote", "actor", "strength", "recorded")},
            "line_of_effort__name": row["line_name"],
            "statement__meeting__name": row["meeting_name"],
            "statement__meeting__start_date": row["meeting_start_date"],
            "changed": row["history_date"],
        }
        for row in rows
    ]


def assessment_rows_as_of(when: datetime.datetime, limit: int) -> list[dict]:
    """The newest `limit` assessments a reader could read at `when` (approved then, of a published commitment
    then, relying on no draft's quote then: `assessments_as_of`), as the tracker-wide feed reads today's. One
    query."""
    rows = (
        assessments_as_of(when)
        .annotate(
            commitment_summary=value_as_of(Assessment, "commitment__summary", when),
            recorded=first_recorded(Assessment, "id"),
            changed=F("history_date"),
        )
        .order_by("-id")
        .values(
            "commitment_slug",
            "commitment_summary",
            "assessed_on",
            "status",
            "verdict",
            "assessor",
            "note",
            "recorded",
            "changed",
        )[:limit]
    )
    return [
        {
            **{name: row[name] for name in ("assessed_on", "status", "verdict", "assessor", "note")},
            "commitment__slug": row["commitment_slug"],
            "commitment__summary": row["commitment_summary"],
            "recorded": row["recorded"],
            "changed": row["changed"],
        }
        for row in rows
    ]


def entry_rows_as_of(thread: Thread, when: datetime.datetime, limit: int, columns) -> list[dict]:
    """The last `limit` places of the pledge at `when` (published then: `entries_published_as_of`), the last
    placed first, as the pledge's feed reads today's: `position change_kind note`, `commitment__<column>` for
    each of `columns` then, the place's `recorded` and `changed`, its commitment's `commitment_changed`. Two
    queries: the places, their commitments."""
    places = list(
        entries_published_as_of(when)
        .filter(thread_id=thread.pk)
        .annotate(recorded=first_recorded(ThreadEntry, "id"))
        .order_by("-position")
        .values("position", "change_kind", "note", "commitment_id", "recorded", "history_date")[:limit]
    )
    ids = [place["commitment_id"] for place in places]
    commitments = {row["id"]: row for row in commitment_rows_as_of(when, limit, id__in=ids)} if ids else {}
    rows = []
    for place in places:
        commitment = commitments.get(place["commitment_id"])
        if commitment is None:
            continue  # a commitment the history does not hold then: left out, never read from the present
        rows.append(
            {
                "position": place["position"],
                "change_kind": place["change_kind"],
                "note": place["note"],
                **{f"commitment__{name}": commitment[name] for name in columns},
                "recorded": place["recorded"],
                "changed": place["history_date"],
                "commitment_changed": commitment["changed"],
            }
        )
    return rows
