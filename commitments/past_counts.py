"""The counts the public pages draw, as they stood at a moment: commitments per line of effort and meeting,
and their verdicts (the newest approved assessment of each, then), for the lines-of-effort and the
follow-through pages as of a date.

Read only through `core.as_of`, as `commitments.past_lists` reads the lists: one query over the commitments
of then grouped on their own columns (line of effort, statement, strength) and, for the verdicts, the
newest approved assessment of each then; the groups are named in Python from the lines of effort and the
published statements (with their meetings) of then the page reads anyway, which leaves the drafts of then
out without a join. A fixed number of queries
whatever the history's length; not cached (`commitments.counts` caches today's by the data's version,
which says nothing of a past moment).
"""

from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from core.as_of import standing

from .models import Assessment, Commitment, LineOfEffort, ReviewState, Strength, Verdict
from .verdicts import BY_LINE, BY_MEETING, VerdictCounts, grouped


def counts_by_line_and_meeting_as_of(when: datetime.datetime, lines: list[LineOfEffort], statements) -> list[dict]:
    """`Commitment.objects.published().counts_by_line_and_meeting()` as it stood at `when`, the rows keyed as
    today's (`public.charts` draws either), for the lines of effort and the published statements of then
    (`lines`; `statements`, each with its meeting, as `past_lists.statements_listed_as_of` gives them). One
    query, grouped on the commitments' own columns: a commitment quoting a statement not given (a draft
    then) is not counted."""
    counted = (
        standing(Commitment, when)
        .order_by()
        .values("line_of_effort_id", "statement_id")
        .annotate(
            total=Count("id"),
            binding=Count("id", filter=Q(strength=Strength.BINDING)),
            soft=Count("id", filter=Q(strength=Strength.SOFT)),
        )
    )
    by_line = {line.pk: line for line in lines}
    by_statement = {statement.pk: statement for statement in statements}
    cells: dict[tuple, dict] = {}
    for row in counted:
        line, statement = by_line.get(row["line_of_effort_id"]), by_statement.get(row["statement_id"])
        if line is None or statement is None:
            continue  # a draft then, or a record the history does not hold then: left out rather than guessed
        meeting = statement.meeting
        cell = cells.get((line.pk, meeting.pk))
        if cell is None:
            cell = cells[line.pk, meeting.pk] = {
                "line_of_effort__slug": line.slug,
                "line_of_effort__name": line.name,
                "line_of_effort__position": line.position,
                "statement__meeting__slug": meeting.slug,
                "statement__meeting__start_date": meeting.start_date,
                "total": 0,
                "binding": 0,
                "soft": 0,
            }
        for name in ("total", "binding", "soft"):
            cell[name] += row[name]
    rows = list(cells.values())
    rows.sort(key=lambda row: (row["line_of_effort__position"], row["statement__meeting__start_date"]))
    return rows


def by_line_and_year(rows: list[dict]) -> list[dict]:
    """`counts_by_line_and_year()` rows from `counts_by_line_and_meeting_as_of` rows (added up in Python)."""
    years: dict[tuple, dict] = {}
    for row in rows:
        cell = years.setdefault(
            (row["line_of_effort__slug"], row["statement__meeting__start_date"].year),
            {
                "line_of_effort__slug": row["line_of_effort__slug"],
                "statement__meeting__start_date__year": row["statement__meeting__start_date"].year,
                "total": 0,
                "binding": 0,
                "soft": 0,
            },
        )
        for name in ("total", "binding", "soft"):
            cell[name] += row[name]
    return [years[key] for key in sorted(years)]


def verdict_counts_as_of(
    when: datetime.datetime, lines: list[LineOfEffort], statements, meetings
) -> dict[str, list[VerdictCounts]]:
    """`verdicts.verdict_counts()` by line of effort and by meeting as they stood at `when`: each commitment
    quoting one of the published `statements` of then (`past_lists.statements_listed_as_of`) counted once, by
    the verdict of its newest approved assessment then (`assessed_on`, then the key, as
    `Assessment.objects.newest_first_of`), else not assessed; `meetings` are those to count by meeting (the
    page's latest then). One query."""
    newest = (
        standing(Assessment, when)
        .filter(commitment_id=OuterRef("id"), review_state=ReviewState.APPROVED)
        .order_by("-assessed_on", "-id")
        .values("verdict")[:1]
    )
    counted = (
        standing(Commitment, when)
        .annotate(verdict_then=Coalesce(Subquery(newest), Value(Verdict.NOT_ASSESSED.value)))
        .order_by()
        .values("line_of_effort_id", "statement_id", "verdict_then")
        .annotate(n=Count("id"))
    )
    by_line = {line.pk: line for line in lines}
    by_statement = {statement.pk: statement for statement in statements}
    counted_meetings = {meeting.pk for meeting in meetings}
    per_line: list[dict] = []
    per_meeting: list[dict] = []
    for row in counted:
        line, statement = by_line.get(row["line_of_effort_id"]), by_statement.get(row["statement_id"])
        if line is None or statement is None:
            continue
        per_line.append(
            {
                "line_of_effort__slug": line.slug,
                "line_of_effort__name": line.name,
                "line_of_effort__position": line.position,
                "verdict": row["verdict_then"],
                "n": row["n"],
            }
        )
        meeting = statement.meeting
        if meeting.pk in counted_meetings:
            per_meeting.append(
                {
                    "statement__meeting__slug": meeting.slug,
                    "statement__meeting__name": meeting.name,
                    "statement__meeting__start_date": meeting.start_date,
                    "statement__meeting__city": meeting.city,
                    "verdict": row["verdict_then"],
                    "n": row["n"],
                }
            )
    per_line.sort(key=lambda row: (row["line_of_effort__position"], row["line_of_effort__slug"]))
    per_meeting.sort(key=lambda row: (row["statement__meeting__start_date"], row["statement__meeting__slug"]))
    return {BY_LINE: grouped(per_line, BY_LINE), BY_MEETING: grouped(per_meeting, BY_MEETING)}
