"""Commitments counted as they stood at a moment: per line of effort and meeting, and by the verdict of each
one's newest approved assessment then. The one home the API's aggregates as of a date
(`commitments-by-line`, `verdicts`) and the public lines-of-effort and follow-through pages as of a date call.

Read only through `core.as_of`. One query each, whatever the history's length: the commitments of then are
chosen on their own columns (their statement among those published then, their line among those standing
then: two subqueries run once, not for each row, which leaves the drafts of then out as today's counts
do), grouped on those columns, and each group named by the records of then (the names, slugs and positions
of then, a subquery per group). Not cached (`commitments.counts` caches today's by the data's version,
which says nothing of a past moment).
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from core.as_of import standing, value_as_of
from meetings.models import Statement

from .models import Commitment, LineOfEffort, Strength
from .past_assessments import verdict_then
from .verdicts import BY_LINE, BY_MEETING, GROUP_COLUMNS, GROUPINGS, VerdictCounts, grouped

# The columns of `Commitment.objects.counts_by_line_and_meeting()`, read of then.
COUNT_COLUMNS = (
    "line_of_effort__slug",
    "line_of_effort__name",
    "line_of_effort__position",
    "statement__meeting__slug",
    "statement__meeting__start_date",
)
TALLIES = ("total", "binding", "soft")
# What a commitment's group is read through, on its own columns: its line of effort, its statement's meeting.
OWN_COLUMN = {BY_LINE: "line_of_effort_id", BY_MEETING: "statement_id"}


def commitments_counted_then(when: datetime.datetime, *, sees_drafts: bool = False):
    """The commitments standing at `when` that the counts count: quoting a statement published then (its and
    its meeting's `draft` flags of then) or, for a reader who sees drafts, any statement whose meeting the
    history holds then; filed under a line of effort standing then. Historical rows."""
    statements = standing(Statement, when).annotate(meeting_draft=value_as_of(Statement, "meeting__draft", when))
    if sees_drafts:
        statements = statements.filter(meeting_draft__isnull=False)
    else:
        statements = statements.filter(draft=False, meeting_draft=False)
    return standing(Commitment, when).filter(
        statement_id__in=statements.values("id"), line_of_effort_id__in=standing(LineOfEffort, when).values("id")
    )


def _named_then(when: datetime.datetime, columns) -> dict:
    """Annotations `c0`, `c1`... naming a commitments' group by `columns` (lookups from a commitment) then."""
    return {f"c{index}": value_as_of(Commitment, column, when) for index, column in enumerate(columns)}


def counts_by_line_and_meeting_as_of(when: datetime.datetime, *, sees_drafts: bool = False) -> list[dict]:
    """`Commitment.objects.counts_by_line_and_meeting()` on the commitments counted at `when`
    (`commitments_counted_then`), in the same row shape and order: their line of effort and meeting then.
    One query."""
    rows = (
        commitments_counted_then(when, sees_drafts=sees_drafts)
        .order_by()
        .values("line_of_effort_id", "statement_id")
        .annotate(
            total=Count("id"),
            binding=Count("id", filter=Q(strength=Strength.BINDING)),
            soft=Count("id", filter=Q(strength=Strength.SOFT)),
        )
        .annotate(**_named_then(when, COUNT_COLUMNS))
    )
    cells: dict[tuple, dict] = {}
    for row in rows:
        named = {column: row[f"c{index}"] for index, column in enumerate(COUNT_COLUMNS)}
        cell = cells.setdefault(
            (named["line_of_effort__slug"], named["statement__meeting__slug"]), {**named, **dict.fromkeys(TALLIES, 0)}
        )
        for name in TALLIES:
            cell[name] += row[name]
    return sorted(
        cells.values(),
        key=lambda row: (
            row["line_of_effort__position"],
            row["statement__meeting__start_date"],
            row["line_of_effort__slug"],
            row["statement__meeting__slug"],
        ),
    )


def by_line_and_year(rows: list[dict]) -> list[dict]:
    """`counts_by_line_and_year()` rows from `counts_by_line_and_meeting_as_of` rows (added up in Python)."""
    years: dict[tuple, dict] = {}
    for row in rows:
        year = row["statement__meeting__start_date"].year
        cell = years.setdefault(
            (row["line_of_effort__slug"], year),
            {
                "line_of_effort__slug": row["line_of_effort__slug"],
                "statement__meeting__start_date__year": year,
                **dict.fromkeys(TALLIES, 0),
            },
        )
        for name in TALLIES:
            cell[name] += row[name]
    return [years[key] for key in sorted(years)]


def verdict_counts_as_of(
    when: datetime.datetime, groupings=GROUPINGS, *, sees_drafts: bool = False
) -> dict[str, list[VerdictCounts]]:
    """`verdicts.verdict_counts()` by each of `groupings` (line of effort, meeting) on the commitments counted at
    `when` (`commitments_counted_then`): each counted once, by the verdict of its newest approved assessment
    then, in its line of effort or at its meeting then, the groups in their order then. One query for every
    grouping asked: the verdict of each commitment is read once."""
    columns = list(dict.fromkeys(column for by in groupings for column in GROUP_COLUMNS[by]))
    own = list(dict.fromkeys(OWN_COLUMN[by] for by in groupings))
    rows = (
        commitments_counted_then(when, sees_drafts=sees_drafts)
        .annotate(verdict=verdict_then(when))
        .order_by()
        .values(*own, "verdict")
        .annotate(n=Count("id"))
        .annotate(**_named_then(when, columns))
    )
    named = [
        {**{column: row[f"c{index}"] for index, column in enumerate(columns)}, "verdict": row["verdict"], "n": row["n"]}
        for row in rows
    ]
    counted = {}
    for by in groupings:
        key, _, order, _ = GROUP_COLUMNS[by]
        counted[by] = grouped(sorted(named, key=lambda row: (row[order], row[key])), by)
    return counted
