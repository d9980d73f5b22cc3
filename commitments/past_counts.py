"""The counts the public pages draw, as they stood at a moment: commitments per line of effort and meeting,
and their verdicts (the newest approved assessment of each, then), for the lines-of-effort and the
follow-through pages as of a date.

Read only through `core.as_of`, as `commitments.past_lists` reads the lists: one grouped query over the
commitments published then (`past_lists.commitments_as_of`, the drafts of then left out), each annotated
with its meeting then and, for the verdicts, its newest approved assessment then; the groups are named in
Python from the lines of effort and meetings of then the page reads anyway. A fixed number of queries
whatever the history's length; not cached (`commitments.counts` caches today's by the data's version,
which says nothing of a past moment).
"""

from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from core.as_of import standing

from .models import Assessment, LineOfEffort, ReviewState, Strength, Verdict
from .past_lists import commitments_as_of
from .verdicts import BY_LINE, BY_MEETING, VerdictCounts, grouped


def counts_by_line_and_meeting_as_of(when: datetime.datetime, lines: list[LineOfEffort], meetings) -> list[dict]:
    """`Commitment.objects.published().counts_by_line_and_meeting()` as it stood at `when`, the rows keyed as
    today's (`public.charts` draws either), for the lines of effort and the published meetings of then
    (`lines`, `meetings`: the instances the page read). One query."""
    counted = (
        commitments_as_of(when)
        .order_by()
        .values("line_of_effort_id", "meeting_id")
        .annotate(
            total=Count("id"),
            binding=Count("id", filter=Q(strength=Strength.BINDING)),
            soft=Count("id", filter=Q(strength=Strength.SOFT)),
        )
    )
    by_line = {line.pk: line for line in lines}
    by_meeting = {meeting.pk: meeting for meeting in meetings}
    rows = []
    for row in counted:
        line, meeting = by_line.get(row["line_of_effort_id"]), by_meeting.get(row["meeting_id"])
        if line is None or meeting is None:
            continue  # a record the history does not hold then: left out rather than guessed
        rows.append(
            {
                "line_of_effort__slug": line.slug,
                "line_of_effort__name": line.name,
                "line_of_effort__position": line.position,
                "statement__meeting__slug": meeting.slug,
                "statement__meeting__start_date": meeting.start_date,
                "total": row["total"],
                "binding": row["binding"],
                "soft": row["soft"],
            }
        )
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
    when: datetime.datetime, lines: list[LineOfEffort], meetings
) -> dict[str, list[VerdictCounts]]:
    """`verdicts.verdict_counts()` by line of effort and by meeting as they stood at `when`: each commitment
    published then counted once, by the verdict of its newest approved assessment then (`assessed_on`, then
    the key, as `Assessment.objects.newest_first_of`), else not assessed; `meetings` are those to count by
    meeting (the page's latest then). One query."""
    newest = (
        standing(Assessment, when)
        .filter(commitment_id=OuterRef("id"), review_state=ReviewState.APPROVED)
        .order_by("-assessed_on", "-id")
        .values("verdict")[:1]
    )
    counted = (
        commitments_as_of(when)
        .annotate(verdict_then=Coalesce(Subquery(newest), Value(Verdict.NOT_ASSESSED.value)))
        .order_by()
        .values("line_of_effort_id", "meeting_id", "verdict_then")
        .annotate(n=Count("id"))
    )
    by_line = {line.pk: line for line in lines}
    by_meeting = {meeting.pk: meeting for meeting in meetings}
    per_line: list[dict] = []
    per_meeting: list[dict] = []
    for row in counted:
        line = by_line.get(row["line_of_effort_id"])
        if line is None:
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
        meeting = by_meeting.get(row["meeting_id"])
        if meeting is not None:
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
