"""The pledges', the commitments' and the lines of effort's lists as they stood at a moment: the API's lists as of a
date, and the public commitments list and search as of a date (their words of then: `commitments.past_search`;
the matrix then: `commitments.past_matrix`).

Read only through `core.as_of` (`standing`, `value_as_of`, `records_as_of`), as `commitments.past` reads one
pledge or one commitment: the list is a queryset of historical rows (their fields then) to filter, order and
page as today's list is, and a page is written from the rows of then it joins by id, a fixed number of
queries whatever the history's length. The drafts of then are hidden (the `draft` flags of then, the rule of
`meetings.drafts`), and a pledge merged into another by then is left out, as today's list leaves out those
merged by now (`pledge_links`).
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from core.as_of import records_as_of, records_of, standing, value_as_of
from meetings.models import Meeting, Statement

from .models import Commitment, ImplementationStatus, LineOfEffort, Thread, ThreadEntry
from .past import _by_id, latest_assessments_as_of, readable_entries_as_of
from .past_search import holding_then
from .pledge_links import LinkKind, PledgeLink


def entries_published_as_of(when: datetime.datetime):
    """The entries standing at `when` whose commitment quoted a published statement then (its flags of then), as
    historical rows: `ThreadEntryQuerySet.published` on the rows of then."""
    return (
        standing(ThreadEntry, when)
        .annotate(
            statement_draft=value_as_of(ThreadEntry, "commitment__statement__draft", when),
            meeting_draft=value_as_of(ThreadEntry, "commitment__statement__meeting__draft", when),
        )
        .filter(statement_draft=False, meeting_draft=False)
    )


def pledges_published_as_of(when: datetime.datetime):
    """The pledges as they stood at `when` that a reader who does not see drafts could read then, as historical
    rows: those not all of whose commitments were drafts then (`ThreadQuerySet.published` on the rows of then),
    a pledge merged into another by then included (its own page and feed then show it as it stood)."""
    published = entries_published_as_of(when).filter(thread_id=OuterRef("id"))
    placed = standing(ThreadEntry, when).filter(thread_id=OuterRef("id"))
    return standing(Thread, when).filter(Exists(published) | ~Exists(placed))


def pledges_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The pledges as they stood at `when`, as historical rows: those merged into another by then left out, and
    for a reader who does not see drafts, those whose every commitment was a draft then
    (`pledges_published_as_of`). Annotated `line_position`, their line of effort's position then, which today's
    list is ordered by. One query a page (and one to count them)."""
    merged = standing(PledgeLink, when).filter(kind=LinkKind.MERGED_INTO, thread_id=OuterRef("id"))
    rows = standing(Thread, when) if sees_drafts else pledges_published_as_of(when)
    rows = rows.exclude(Exists(merged))
    return rows.annotate(line_position=value_as_of(Thread, "line_of_effort__position", when))


def write_pledges_as_of(rows, when: datetime.datetime, *, sees_drafts: bool = False) -> list[dict]:
    """A page of `pledges_as_of` rows as `ThreadSerializer` writes today's: their line of effort, commitment
    count and meetings then (the readable entries then, in position order). Five queries, whatever the page."""
    rows = list(rows)
    lines = _by_id(records_as_of(LineOfEffort, when, id__in={row.line_of_effort_id for row in rows}))
    placed = records_as_of(ThreadEntry, when, thread_id__in=[row.id for row in rows])
    readable: dict[int, list] = {}
    for entry in readable_entries_as_of(placed, when, sees_drafts=sees_drafts):
        readable.setdefault(entry.thread_id, []).append(entry.commitment.statement.meeting)
    documents = []
    for row in rows:
        line = lines.get(row.line_of_effort_id)
        at = readable.get(row.id, [])
        documents.append(
            {
                "slug": row.slug,
                "title": row.title,
                "description": row.description,
                "line_of_effort": line.slug if line else None,
                "line_of_effort_name": line.name if line else None,
                "meetings": [meeting.slug for meeting in dict.fromkeys(at)],
                "commitment_count": len(at),
            }
        )
    return documents


def commitments_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The commitments as they stood at `when`, as historical rows, those whose statement and meeting the
    history holds then; for a reader who does not see drafts, those quoting a published statement then.
    Annotated `meeting_id` and `meeting_start_date` (through their statement then), which its filters read.
    One query a page."""
    rows = standing(Commitment, when).annotate(
        meeting_id=value_as_of(Commitment, "statement__meeting", when),
        meeting_start_date=value_as_of(Commitment, "statement__meeting__start_date", when),
        statement_draft=value_as_of(Commitment, "statement__draft", when),
        meeting_draft=value_as_of(Commitment, "statement__meeting__draft", when),
    )
    if sees_drafts:
        return rows.filter(meeting_draft__isnull=False)
    return rows.filter(statement_draft=False, meeting_draft=False)


def placed_then(when: datetime.datetime, **filters):
    """The ids of the commitments placed in a pledge at `when` (in the pledge `thread_id`, with `change_kind`...),
    a subquery."""
    return standing(ThreadEntry, when).filter(**filters).values("commitment_id")


def page_of_commitments_as_of(rows, when: datetime.datetime) -> list[Commitment]:
    """A page of `commitments_as_of` rows as Commitment instances of then, each with its statement, meeting and
    line of effort, its places then (`thread_entries`, prefetched as today's list has them) and `latest_status`
    then, for `CommitmentSerializer`: six queries, whatever the page."""
    # The stored latest status is not history's (`DERIVED_FIELDS`): set below, as it stood then.
    page = records_of(Commitment, rows)
    ids = [commitment.pk for commitment in page]
    statements = _by_id(records_as_of(Statement, when, leave_out=("text",), id__in={c.statement_id for c in page}))
    meetings = _by_id(records_as_of(Meeting, when, id__in={s.meeting_id for s in statements.values()}))
    lines = _by_id(records_as_of(LineOfEffort, when, id__in={c.line_of_effort_id for c in page}))
    placed = records_as_of(ThreadEntry, when, commitment_id__in=ids)
    threads = _by_id(records_as_of(Thread, when, id__in={entry.thread_id for entry in placed}))
    latest = latest_assessments_as_of(ids, when)
    readable = []
    for commitment in page:
        if commitment.line_of_effort_id not in lines:
            continue  # a history that does not reach back to the line's creation: left out rather than guessed
        readable.append(commitment)
        statement = statements[commitment.statement_id]
        statement.meeting = meetings[statement.meeting_id]
        commitment.statement = statement
        commitment.line_of_effort = lines[commitment.line_of_effort_id]
        places = [e for e in placed if e.commitment_id == commitment.pk and e.thread_id in threads]
        for entry in places:
            entry.thread, entry.commitment = threads[entry.thread_id], commitment
        places.sort(key=lambda entry: entry.thread.slug)
        commitment._prefetched_objects_cache = {"thread_entries": places}
        assessed = latest.get(commitment.pk)
        commitment.latest_status = assessed.status if assessed else ImplementationStatus.NOT_ASSESSED
    return readable


def id_then(model, slug: str, when: datetime.datetime, *, sees_drafts: bool = True) -> int | None:
    """The key of the `model` record whose slug was `slug` at `when` (a draft then is unknown to a reader who
    does not see drafts, for a meeting or a statement), or None. One query."""
    rows = standing(model, when).filter(slug=slug)
    if not sees_drafts and model is Meeting:
        rows = rows.filter(draft=False)
    elif not sees_drafts and model is Statement:
        rows = rows.annotate(meeting_draft=value_as_of(Statement, "meeting__draft", when)).filter(
            Q(draft=False) & Q(meeting_draft=False)
        )
    return rows.values_list("id", flat=True).first()


def lines_as_of(when: datetime.datetime):
    """The lines of effort as they stood at `when`, as historical rows (a line is never a draft). One query a page."""
    return standing(LineOfEffort, when)


def line_as_of(slug: str, when: datetime.datetime) -> LineOfEffort | None:
    """The line of effort `slug` as it stood at `when`, or None if it was not in the record then. One query."""
    found = records_as_of(LineOfEffort, when, slug=slug)
    return found[0] if found else None


# -- the public pages' lists as of a moment: the commitments, search -------------------------------------


def listed_commitments_as_of(when: datetime.datetime, *, concepts=(), **filters):
    """The commitments published at `when` (`commitments_as_of`), filtered as the public list filters today's
    (`meeting_id`, `line_of_effort_id`, `strength`, `in_thread`: True, False or None, and the words `concepts`),
    in its order: their meeting's date and slug then, their statement's position then, their offsets. A
    queryset of historical rows, one query; for a few rows (search's first commitments in no pledge): a page
    of the whole list is read through `statements_listed_as_of` and `commitments_chosen_then` instead."""
    rows = commitments_as_of(when).annotate(
        meeting_slug=value_as_of(Commitment, "statement__meeting__slug", when),
        statement_position=value_as_of(Commitment, "statement__position", when),
    )
    rows = rows.filter(commitments_chosen_then(when, concepts=concepts, **filters))
    return rows.order_by("meeting_start_date", "meeting_slug", "statement_position", "statement_id", "start", "id")


def commitments_chosen_then(when: datetime.datetime, *, concepts=(), in_thread=None, **filters) -> Q:
    """A filter on historical commitment rows: of the line, strength or meeting (`line_of_effort_id`,
    `strength`, `meeting_id` where annotated) given, in a pledge then or not (`in_thread`), holding every
    concept (`holding_then`). On the rows' own columns and the entries of then: no join."""
    chosen = Q(**{name: value for name, value in filters.items() if value is not None})
    if in_thread is not None:
        placed = Q(id__in=placed_then(when))
        chosen &= placed if in_thread else ~placed
    if concepts:
        chosen &= holding_then(concepts, ("quote", "summary"), when, "line_of_effort_id")
    return chosen


def statements_listed_as_of(when: datetime.datetime, meetings: list[Meeting]) -> list[Statement]:
    """The published statements of the published `meetings` of then (in order), in the commitments list's order
    (their meeting's, then their position), each with its `meeting` set, their text left out. One query."""
    order = {meeting.pk: index for index, meeting in enumerate(meetings)}
    by_id = {meeting.pk: meeting for meeting in meetings}
    statements = [
        statement
        for statement in records_as_of(Statement, when, leave_out=("text",), draft=False)
        if statement.meeting_id in order
    ]
    for statement in statements:
        statement.meeting = by_id[statement.meeting_id]
    return sorted(statements, key=lambda s: (order[s.meeting_id], s.position, s.pk))
