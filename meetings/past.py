"""The meetings layer's records as they stood at a moment, read through `core.as_of`: the API's answers as of a date.

Meetings, statements, figures, participation records and members, each list and each record. The `draft`
flags of then decide whether a reader who does not see drafts sees a record (`meetings.drafts`): a meeting
published since was not public then, nor what quotes its statements.

A list is a queryset of historical rows (their fields then) to filter, order and page as today's list is; a page
is joined by id to the rows of then it needs, a fixed number of queries whatever the history's length. The rows
are annotated with the values of then under the names today's ordering and filters read (`meeting__start_date`):
an annotation is read before a field's path, and a historical row's relation leads to today's record, so such
a name left unannotated would read the present.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from core.as_of import records_as_of, records_of, standing, value_as_of

from .choices import ParticipationRole
from .models import EXTERNAL_SOURCE, Figure, Meeting, Member, Participation, Statement


def meeting_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> Meeting | None:
    """The meeting `slug` as it stood at `when` (its fields then), or None if it was not in the record then,
    or was a draft then for a reader who does not see drafts. One query."""
    found = records_as_of(Meeting, when, slug=slug)
    if not found or (found[0].draft and not sees_drafts):
        return None
    return found[0]


def meetings_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The meetings as they stood at `when`, as historical rows (their fields then, no relation): a queryset to
    filter, order and page as the meetings' list does today; the drafts of then left out for a reader who does
    not see drafts. One query a page (and one to count them)."""
    rows = standing(Meeting, when)
    return rows if sees_drafts else rows.filter(draft=False)


def statement_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> Statement | None:
    """The statement `slug` as it stood at `when` (its fields and text then), with its meeting of then, or None if
    it was not in the record then, or it or its meeting was a draft then for a reader who does not see drafts
    (`meetings.drafts`). Two queries."""
    found = records_as_of(Statement, when, slug=slug)
    meetings = records_as_of(Meeting, when, id=found[0].meeting_id) if found else []
    if not meetings:
        return None  # not in the record then, or a history that does not reach back to its meeting's creation
    statement, meeting = found[0], meetings[0]
    if not sees_drafts and (statement.draft or meeting.draft):
        return None
    statement.meeting = meeting
    return statement


def _by_id(records):
    return {record.pk: record for record in records}


def statements_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The statements as they stood at `when` (their text left out), each annotated with its meeting's date then;
    for a reader who does not see drafts, those neither a draft nor of a draft meeting then. One query a page."""
    rows = (
        standing(Statement, when)
        .defer("text")
        .annotate(
            meeting_draft=value_as_of(Statement, "meeting__draft", when),
            **{"meeting__start_date": value_as_of(Statement, "meeting__start_date", when)},
        )
    )
    if sees_drafts:
        return rows.filter(meeting_draft__isnull=False)
    return rows.filter(draft=False, meeting_draft=False)


def page_of_statements_as_of(rows, when: datetime.datetime) -> list[Statement]:
    """A page of `statements_as_of` rows as Statements of then (text left out), each with its meeting then."""
    page = records_of(Statement, rows, leave_out=("text",))
    meetings = _by_id(records_as_of(Meeting, when, id__in={statement.meeting_id for statement in page}))
    for statement in page:
        statement.meeting = meetings[statement.meeting_id]
    return page


def figures_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The figures as they stood at `when`, annotated with their statement's meeting (`meeting_id`), its date
    and the statement's position then; for a reader who does not see drafts, those quoting a statement published
    then (`FigureQuerySet.published` on the rows of then). One query a page."""
    rows = standing(Figure, when).annotate(
        statement_draft=value_as_of(Figure, "statement__draft", when),
        meeting_draft=value_as_of(Figure, "statement__meeting__draft", when),
        meeting_id=value_as_of(Figure, "statement__meeting", when),
        **{
            "statement__meeting__start_date": value_as_of(Figure, "statement__meeting__start_date", when),
            "statement__position": value_as_of(Figure, "statement__position", when),
        },
    )
    if sees_drafts:
        return rows.filter(meeting_draft__isnull=False)
    return rows.filter(statement_draft=False, meeting_draft=False)


def page_of_figures_as_of(rows, when: datetime.datetime) -> list[Figure]:
    """A page of `figures_as_of` rows as Figures of then, each with its statement (text left out) and meeting
    then. Two queries."""
    page = records_of(Figure, rows)
    statements = _by_id(
        records_as_of(Statement, when, leave_out=("text",), id__in={figure.statement_id for figure in page})
    )
    meetings = _by_id(records_as_of(Meeting, when, id__in={s.meeting_id for s in statements.values()}))
    for figure in page:
        statement = statements[figure.statement_id]
        statement.meeting = meetings[statement.meeting_id]
        figure.statement = statement
    return page


def figure_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> Figure | None:
    """The figure `slug` as it stood at `when`, with its statement and meeting then, or None if it was not in the
    record then, or quoted a draft then for a reader who does not see drafts. Three queries."""
    found = records_as_of(Figure, when, slug=slug)
    statements = records_as_of(Statement, when, leave_out=("text",), id=found[0].statement_id) if found else []
    meetings = records_as_of(Meeting, when, id=statements[0].meeting_id) if statements else []
    if not meetings:
        return None  # not in the record then, or a history that does not reach back to its statement's creation
    figure, statement, meeting = found[0], statements[0], meetings[0]
    if not sees_drafts and (statement.draft or meeting.draft):
        return None
    statement.meeting = meeting
    figure.statement = statement
    return figure


def _readable_participations(rows, when: datetime.datetime, sees_drafts: bool):
    """Participation rows of then whose meeting (and statement, if one says so) the history holds then; for a
    reader who does not see drafts, those of a published meeting and statement then (`ParticipationQuerySet
    .published` on the rows of then)."""
    rows = rows.alias(
        meeting_draft=value_as_of(Participation, "meeting__draft", when),
        statement_draft=value_as_of(Participation, "statement__draft", when),
    )
    external = Q(statement_id__isnull=True)
    if sees_drafts:
        return rows.filter(Q(meeting_draft__isnull=False) & (external | Q(statement_draft__isnull=False)))
    return rows.filter(Q(meeting_draft=False) & (external | Q(statement_draft=False)))


def participations_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """Who took part in each meeting as the record stood at `when` (`_readable_participations`), annotated with
    their meeting's date and member's name then, which today's list is ordered by. One query a page."""
    rows = standing(Participation, when).annotate(
        **{
            "meeting__start_date": value_as_of(Participation, "meeting__start_date", when),
            "member__name": value_as_of(Participation, "member__name", when),
        }
    )
    return _readable_participations(rows.filter(member__name__isnull=False), when, sees_drafts)


def page_of_participations_as_of(rows, when: datetime.datetime) -> list[Participation]:
    """A page of `participations_as_of` rows as Participations of then, each with its meeting, member and statement
    (text left out) then. Three queries."""
    page = records_of(Participation, rows)
    meetings = _by_id(records_as_of(Meeting, when, id__in={record.meeting_id for record in page}))
    members = _by_id(records_as_of(Member, when, id__in={record.member_id for record in page}))
    sources = {record.statement_id for record in page if record.statement_id}
    statements = _by_id(records_as_of(Statement, when, leave_out=("text",), id__in=sources))
    for record in page:
        record.meeting, record.member = meetings[record.meeting_id], members[record.member_id]
        record.statement = statements[record.statement_id] if record.statement_id else None
    return page


def participation_as_of(key: str, when: datetime.datetime, *, sees_drafts: bool = False) -> Participation | None:
    """The participation record a `meeting~member~role~statement` key addressed at `when` (the slugs of then), with
    its meeting, member and statement then, or None if there was none then, or it was of a draft then for a reader
    who does not see drafts. Four queries at most."""
    parts = key.split("~")
    if len(parts) != 4:
        return None
    meeting_slug, member_slug, role, statement_slug = parts
    meetings = records_as_of(Meeting, when, slug=meeting_slug)
    members = records_as_of(Member, when, slug=member_slug) if meetings else []
    if not members:
        return None
    meeting, member, statement = meetings[0], members[0], None
    if statement_slug != EXTERNAL_SOURCE:
        found = records_as_of(Statement, when, leave_out=("text",), slug=statement_slug)
        if not found:
            return None
        statement = found[0]
    records = records_as_of(
        Participation,
        when,
        meeting_id=meeting.pk,
        member_id=member.pk,
        role=role,
        statement_id=statement.pk if statement else None,
    )
    if not records or (not sees_drafts and (meeting.draft or (statement is not None and statement.draft))):
        return None
    record = records[0]
    record.meeting, record.member, record.statement = meeting, member, statement
    return record


def members_as_of(when: datetime.datetime):
    """The members as they stood at `when` (a member is never a draft). One query a page."""
    return standing(Member, when)


def members_whose_sources_disagree_as_of(when: datetime.datetime, *, sees_drafts: bool = False):
    """The ids of the members welcomed as new at more than one meeting by the records a reader could read then
    (`ParticipationQuerySet.conflicting_joins` on the rows of then), a subquery."""
    joins = standing(Participation, when).filter(role=ParticipationRole.NEW_MEMBER)
    joins = _readable_participations(joins, when, sees_drafts).order_by()
    counted = joins.values("member_id").annotate(meetings=Count("meeting_id", distinct=True))
    return counted.filter(meetings__gt=1).values("member_id")


def page_of_members_as_of(rows, when: datetime.datetime, *, sees_drafts: bool = False) -> list[Member]:
    """A page of `members_as_of` rows as Members of then, each with `joins`, the records welcoming it as new that a
    reader could read then (each with its meeting and statement then, in meeting order), as today's list
    prefetches them for `MemberSerializer`. Three queries."""
    page = records_of(Member, rows)
    joins = records_as_of(
        Participation, when, member_id__in=[member.pk for member in page], role=ParticipationRole.NEW_MEMBER
    )
    meetings = _by_id(records_as_of(Meeting, when, id__in={join.meeting_id for join in joins}))
    sources = {join.statement_id for join in joins if join.statement_id}
    statements = _by_id(records_as_of(Statement, when, leave_out=("text",), id__in=sources))
    readable: dict[int, list[Participation]] = {}
    for join in joins:
        meeting = meetings.get(join.meeting_id)
        statement = statements.get(join.statement_id) if join.statement_id else None
        if meeting is None or (join.statement_id and statement is None):
            continue  # a history that does not reach back to its meeting or statement: left out, not guessed
        if not sees_drafts and (meeting.draft or (statement is not None and statement.draft)):
            continue
        join.meeting, join.statement = meeting, statement
        readable.setdefault(join.member_id, []).append(join)
    for member in page:
        member.joins = sorted(
            readable.get(member.pk, []),
            key=lambda join: (join.meeting.start_date, join.statement.position if join.statement else 0, join.pk),
        )
    return page


def member_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> Member | None:
    """The member `slug` as it stood at `when`, with its joins then (`page_of_members_as_of`), or None if it was
    not in the record then. Four queries."""
    found = records_as_of(Member, when, slug=slug)
    return page_of_members_as_of(found, when, sees_drafts=sees_drafts)[0] if found else None
