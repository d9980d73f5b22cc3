"""The API's members' scores and figure series as they stood at a moment: counted from the historical rows
of then, for each request.

Today's read the live tables: as of a date, each is read again from the rows standing then
(`core.as_of`), by the names, slugs and positions of then, with the drafts of then hidden as today's are,
in as many queries as today's answer whatever the history's length. The commitments counted by line of
effort, meeting and verdict then are `commitments.past_counts`'s, the pledge matrix then
`commitments.past_matrix`'s (both shared with the public pages as of a date)."""

from __future__ import annotations

import datetime

from django.db.models import Avg, Count, Q
from django.db.models.functions import Coalesce

from core.as_of import records_as_of, records_of, standing, value_as_of
from meetings.models import Figure, Meeting, Statement

from .assessment_parts import SCORE_COLUMNS, MemberScore, percent_of
from .past import _by_id
from .past_assessments import counted_then


def member_percentages_as_of(when: datetime.datetime) -> list[dict]:
    """`MemberScore.objects.percentages("member")` on the rows of then: the members' scores on each published
    commitment's newest approved assessment then, per member (its slug and name then). One query."""
    rows = (
        standing(MemberScore, when)
        .filter(assessment_id__in=counted_then(when).values("id"))
        .annotate(
            member_slug=value_as_of(MemberScore, "member__slug", when),
            member_name=value_as_of(MemberScore, "member__name", when),
        )
        .filter(member_slug__isnull=False)
        .order_by()
        .values("member_slug", "member_name")
        .annotate(
            scored=Count("id"),
            average=Avg("score"),
            **{column: Count("id", filter=Q(score=score)) for score, column in SCORE_COLUMNS.items()},
        )
        .order_by("member_slug")
    )
    return [
        {
            "slug": row["member_slug"],
            "name": row["member_name"],
            "scored": row["scored"],
            **{column: row[column] for column in SCORE_COLUMNS.values()},
            "average": round(float(row["average"]), 3),
            "percent": percent_of(row["average"]),
        }
        for row in rows
    ]


def figure_series_as_of(metric: str, when: datetime.datetime, *, sees_drafts: bool = False) -> list[Figure]:
    """`Figure.objects.series(metric)` on the figures standing at `when`: each with its statement (text left
    out) and meeting of then and `as_of` (its `about_to`, else its meeting's first day then), in the series'
    order; the drafts of then left out unless `sees_drafts`. Three queries."""
    rows = (
        standing(Figure, when)
        .filter(metric=metric)
        .annotate(
            statement_draft=value_as_of(Figure, "statement__draft", when),
            meeting_draft=value_as_of(Figure, "statement__meeting__draft", when),
            meeting_start=value_as_of(Figure, "statement__meeting__start_date", when),
            statement_position=value_as_of(Figure, "statement__position", when),
        )
        .filter(meeting_draft__isnull=False)
    )
    if not sees_drafts:
        rows = rows.filter(statement_draft=False, meeting_draft=False)
    rows = list(
        rows.annotate(as_of=Coalesce("about_to", "meeting_start")).order_by(
            "as_of", "meeting_start", "statement_position", "start"
        )
    )
    figures = records_of(Figure, rows)
    statements = _by_id(records_as_of(Statement, when, leave_out=("text",), id__in={f.statement_id for f in figures}))
    meetings = _by_id(records_as_of(Meeting, when, id__in={s.meeting_id for s in statements.values()}))
    series = []
    for figure, row in zip(figures, rows, strict=True):
        statement = statements.get(figure.statement_id)
        if statement is None or statement.meeting_id not in meetings:
            continue
        statement.meeting = meetings[statement.meeting_id]
        figure.statement, figure.as_of = statement, row.as_of
        series.append(figure)
    return series
