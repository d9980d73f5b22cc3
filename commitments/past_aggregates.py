"""The API's aggregates as they stood at a moment: counted from the historical rows of then, for each request.

Today's aggregates read the live tables (and `commitments-by-line` a count kept per change of the data,
`commitments.counts`, which knows only the present): as of a date, each is counted again from the rows
standing then (`core.as_of`), grouped by the names, slugs and positions of then, with the drafts of then
hidden as today's are, in as many queries as today's answer whatever the history's length.
"""

from __future__ import annotations

import datetime

from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce

from core.as_of import records_as_of, standing, value_as_of
from meetings.models import Figure, Meeting, Statement

from .assessment_parts import SCORE_COLUMNS, MemberScore, percent_of
from .models import Thread, ThreadEntry
from .past import _by_id
from .past_assessments import counted_then, instances


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
    figures = instances(Figure, rows)
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


# -- the pledge matrix -----------------------------------------------------------------------------------


def matrix_meetings_as_of(when: datetime.datetime, *, sees_drafts: bool, year_from=None, year_to=None) -> list:
    """The matrix's meetings standing at `when` (held from `year_from` to `year_to`, drafts of then left out
    unless `sees_drafts`), in the order they took place: (id, slug, name, start_date) rows. One query."""
    rows = standing(Meeting, when)
    if not sees_drafts:
        rows = rows.filter(draft=False)
    if year_from is not None:
        rows = rows.filter(start_date__gte=datetime.date(year_from, 1, 1))
    if year_to is not None:
        rows = rows.filter(start_date__lte=datetime.date(year_to, 12, 31))
    return list(rows.order_by("start_date", "slug").values("id", "slug", "name", "start_date"))


def matrix_entries_as_of(when: datetime.datetime, *, sees_drafts: bool, meeting_ids=None, line_of_effort=None):
    """The pledges' entries standing at `when` the matrix shows: of a commitment made at one of `meeting_ids`
    then (when given), of a pledge filed under the line with the slug `line_of_effort` then (when given), of a
    published statement then unless `sees_drafts`; annotated `meeting_id` (their commitment's meeting then)."""
    rows = standing(ThreadEntry, when).annotate(
        meeting_id=value_as_of(ThreadEntry, "commitment__statement__meeting", when),
        statement_draft=value_as_of(ThreadEntry, "commitment__statement__draft", when),
        meeting_draft=value_as_of(ThreadEntry, "commitment__statement__meeting__draft", when),
    )
    rows = rows.filter(meeting_draft__isnull=False)
    if not sees_drafts:
        rows = rows.filter(statement_draft=False, meeting_draft=False)
    if meeting_ids is not None:
        rows = rows.filter(meeting_id__in=meeting_ids)
    if line_of_effort is not None:
        rows = rows.annotate(line_slug=value_as_of(ThreadEntry, "thread__line_of_effort__slug", when))
        rows = rows.filter(line_slug=line_of_effort)
    return rows


def matrix_versions_as_of(entries, when: datetime.datetime):
    """The versions standing at `when` (`history_id`, the historical rows' key, which a page of them is read
    by) of the pledges with any of `entries`, each once, in the matrix's order (their line of effort's position
    then, their slug then): what its pages go through, as `thread_ids()` today."""
    return (
        standing(Thread, when)
        .filter(Exists(entries.filter(thread_id=OuterRef("id"))))
        .annotate(line_position=value_as_of(Thread, "line_of_effort__position", when))
        .order_by("line_position", "slug")
        .values_list("history_id", flat=True)
    )


def of_versions(entries, versions):
    """The `entries` of the pledges whose versions (`history_id`) are `versions`: a page of the matrix."""
    return entries.filter(thread_id__in=Thread.history.model.objects.filter(history_id__in=versions).values("id"))


def matrix_cells_as_of(entries, when: datetime.datetime) -> list[dict]:
    """`ThreadEntry.objects.meeting_matrix()` rows of `entries` (a `matrix_entries_as_of` queryset), each read
    as it stood at `when` (pledge, line of effort, commitment and meeting slugs then), in its order. One query."""
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
    rows = (
        entries.annotate(**then)
        .filter(**{f"{names['thread__slug']}__isnull": False, f"{names['commitment__slug']}__isnull": False})
        .order_by(names["line_position"], names["thread__slug"], "position")
        .values(*names.values(), "position", "change_kind")
    )
    return [
        {
            **{column: row[name] for column, name in names.items() if column != "line_position"},
            "position": row["position"],
            "change_kind": row["change_kind"],
        }
        for row in rows
    ]
