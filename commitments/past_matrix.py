"""The pledge matrix as it stood at a moment: the one home the API's `pledge-matrix` as of a date and the
public matrix page as of a date (`?as_of=`) both call.

Read only through `core.as_of`, in a fixed number of queries whatever the history's length: the entries at
the matrix's columns are chosen on the rows' own columns (their commitment quoting a statement of one of
the columns' meetings then, published then unless the reader sees drafts: subqueries run once, not for
each row); the pledges with any, filtered by their line of effort and the words of then
(`past_search.threads_holding_then`), are ordered as today's (their line's position then, their slug);
and a page's cells are read in one query, each named by the records of then and, when asked, given its
commitment's verdict then.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef

from core.as_of import standing, value_as_of
from meetings.models import Meeting, Statement

from .models import Commitment, Thread, ThreadEntry
from .past_assessments import verdict_then
from .past_search import threads_holding_then


def matrix_meetings_as_of(when: datetime.datetime, *, sees_drafts: bool) -> list:
    """Every meeting standing at `when` (drafts of then left out unless `sees_drafts`), in the order they took
    place: (id, slug, name, start_date) rows, from which a window of years is chosen. One query."""
    rows = standing(Meeting, when)
    if not sees_drafts:
        rows = rows.filter(draft=False)
    return list(rows.order_by("start_date", "slug").values("id", "slug", "name", "start_date"))


def matrix_entries_as_of(when: datetime.datetime, meeting_ids, *, sees_drafts: bool = False):
    """The entries standing at `when` at the matrix's columns: whose commitment then quoted a statement of one
    of the meetings `meeting_ids` (the columns, as the caller read them: published then unless the reader sees
    drafts), a published one then unless `sees_drafts`. Historical rows, on their own columns."""
    statements = standing(Statement, when).filter(meeting_id__in=list(meeting_ids))
    if not sees_drafts:
        statements = statements.filter(draft=False)
    quoting = standing(Commitment, when).filter(statement_id__in=statements.values("id"))
    return standing(ThreadEntry, when).filter(commitment_id__in=quoting.values("id"))


def matrix_threads_as_of(when: datetime.datetime, entries, *, line_id=None, concepts=()):
    """The pledges standing at `when` with any of `entries` (`matrix_entries_as_of`), filed then under the line
    `line_id` (when given) and holding every concept of a search then (when given), in the matrix's order:
    their line of effort's position then, their slug (`ThreadEntry.objects.thread_ids_among()` on the rows of then).
    Historical rows, one query a page; a pledge whose line the history does not hold then is left out."""
    rows = standing(Thread, when).filter(Exists(entries.filter(thread_id=OuterRef("id"))))
    if line_id is not None:
        rows = rows.filter(line_of_effort_id=line_id)
    if concepts:
        rows = rows.filter(threads_holding_then(concepts, when))
    rows = rows.annotate(line_position=value_as_of(Thread, "line_of_effort__position", when))
    return rows.filter(line_position__isnull=False).order_by("line_position", "slug")


def matrix_cells_as_of(entries, when: datetime.datetime, *, threads=None, verdicts: bool = False) -> list[dict]:
    """`ThreadEntry.objects.meeting_matrix()` rows of `entries` (`matrix_entries_as_of`), of the pledges
    `threads` (their ids, or a subquery of them; every pledge when None), each read as it stood at `when`
    (pledge, line of effort, commitment and meeting slugs then) and, with `verdicts`, its commitment's
    `verdict` then (its newest approved assessment's), in the matrix's order. One query."""
    lookups = {
        "thread__slug": "thread__slug",
        "thread__title": "thread__title",
        "thread__line_of_effort__slug": "thread__line_of_effort__slug",
        "commitment__slug": "commitment__slug",
        "commitment__statement__meeting__slug": "commitment__statement__meeting__slug",
        "line_position": "thread__line_of_effort__position",
    }
    names = {column: f"c{index}" for index, column in enumerate(lookups)}
    then = {names[column]: value_as_of(ThreadEntry, lookup, when) for column, lookup in lookups.items()}
    if threads is not None:
        entries = entries.filter(thread_id__in=threads)
    if verdicts:
        entries = entries.annotate(verdict=verdict_then(when, "commitment_id"))
    rows = (
        entries.annotate(**then)
        .filter(
            **{
                f"{names['thread__slug']}__isnull": False,
                f"{names['commitment__slug']}__isnull": False,
                f"{names['line_position']}__isnull": False,
            }
        )
        .order_by(names["line_position"], names["thread__slug"], "position")
        .values(*names.values(), "position", "change_kind", *(["verdict"] if verdicts else []))
    )
    return [
        {
            **{column: row[name] for column, name in names.items() if column != "line_position"},
            "position": row["position"],
            "change_kind": row["change_kind"],
            **({"verdict": row["verdict"]} if verdicts else {}),
        }
        for row in rows
    ]
