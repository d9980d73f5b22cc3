"""A recurring pledge, or a commitment, as it stood at a moment: for its page and its API answer as of a date.

Read only through `core.as_of` (the newest version of each record at or before the moment, deletions
out): the pledge, its line of effort, its entries, their commitments, statements, meetings and
approved assessments, one query each, whatever the history's length. The rows are joined here by
their ids, never through a live relation, so nothing of the present leaks in: a commitment placed
later is absent, one taken out since is present, a renamed record has its name of then, and a draft
is hidden as it was then (the `draft` flags of then, the rule of `meetings.drafts`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from core.as_of import records_as_of, standing
from meetings.models import Meeting, Statement

from .models import Assessment, Commitment, ImplementationStatus, LineOfEffort, ReviewState, Thread, ThreadEntry
from .pledge_links import SEEN_FROM_OTHER, PledgeLink
from .timeline import TimelineStep


@dataclass(frozen=True)
class PastPledge:
    """A pledge as it stood at `when`: the thread (its line of effort set) and its readable entries in
    position order, each with its commitment, statement and meeting of then."""

    when: datetime.datetime
    thread: Thread
    entries: list[ThreadEntry]
    # Its links to other pledges then, as `PledgeLink.objects.seen_from()` gives today's.
    links: list[dict[str, str]]

    def steps(self, start: int = 0, stop: int | None = None) -> list[TimelineStep]:
        """Its timeline's steps, or those from `start` to `stop` (0-based) for a page of a long pledge's."""
        return TimelineStep.chain_page(self.entries, start, len(self.entries) if stop is None else stop)

    def latest(self, steps: list[TimelineStep]) -> dict[int, Assessment]:
        """{commitment id: its newest approved assessment then} of the commitments of `steps` (a page of its
        timeline, or all of it), as `Assessment.objects.latest_of()` gives today's. One query."""
        return latest_assessments_as_of([step.entry.commitment_id for step in steps], self.when)

    def meetings_in_order(self, steps: list[TimelineStep] | None = None) -> list[Meeting]:
        """The meetings it recurred at then, each once, in order: of `steps` when given (a page's)."""
        entries = self.entries if steps is None else [step.entry for step in steps]
        return list(dict.fromkeys(entry.commitment.statement.meeting for entry in entries))


def _by_id(records):
    return {record.pk: record for record in records}


def latest_assessments_as_of(commitment_ids, when: datetime.datetime) -> dict[int, Assessment]:
    """{commitment id: its newest approved assessment as it stood at `when`}, the rule of
    `Assessment.objects.latest_of()` (newest `assessed_on`, then newest key) on the rows of then. One query."""
    latest: dict[int, Assessment] = {}
    approved = records_as_of(Assessment, when, commitment_id__in=commitment_ids, review_state=ReviewState.APPROVED)
    for assessment in sorted(approved, key=lambda a: (a.assessed_on, a.pk)):
        latest[assessment.commitment_id] = assessment
    return latest


def readable_entries_as_of(
    placed: list[ThreadEntry], when: datetime.datetime, *, sees_drafts: bool
) -> list[ThreadEntry]:
    """The entries among `placed` (read as of `when`) that a reader could read then, in position order, each
    joined to its commitment, statement (its text left out) and meeting of then: three queries. An entry whose
    records the history does not hold is left out, never read from the present; one quoting a draft of then
    too, unless `sees_drafts`."""
    commitments = _by_id(records_as_of(Commitment, when, id__in={entry.commitment_id for entry in placed}))
    statements = _by_id(
        records_as_of(Statement, when, leave_out=("text",), id__in={c.statement_id for c in commitments.values()})
    )
    meetings = _by_id(records_as_of(Meeting, when, id__in={s.meeting_id for s in statements.values()}))
    entries = []
    for entry in sorted(placed, key=lambda entry: entry.position):
        commitment = commitments.get(entry.commitment_id)
        statement = statements.get(commitment.statement_id) if commitment else None
        meeting = meetings.get(statement.meeting_id) if statement else None
        if meeting is None or (not sees_drafts and (statement.draft or meeting.draft)):
            continue
        statement.meeting = meeting
        commitment.statement = statement
        entry.commitment = commitment
        entries.append(entry)
    return entries


def pledge_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> PastPledge | None:
    """The pledge `slug` as it stood at `when`, or None if it was not in the record then (or, for a reader
    who does not see drafts, had only draft commitments then). Seven queries, eight when it has links to
    other pledges; its assessments of then are an eighth (`PastPledge.latest`), for the steps a page shows."""
    threads = records_as_of(Thread, when, slug=slug)
    if not threads:
        return None
    thread = threads[0]
    lines = _by_id(records_as_of(LineOfEffort, when, id=thread.line_of_effort_id))
    placed = records_as_of(ThreadEntry, when, thread_id=thread.pk)
    if thread.line_of_effort_id not in lines:
        return None  # a history that does not reach back to the line's creation: no page rather than a guess
    thread.line_of_effort = lines[thread.line_of_effort_id]
    entries = readable_entries_as_of(placed, when, sees_drafts=sees_drafts)
    for entry in entries:
        entry.thread = thread
    if placed and not entries and not sees_drafts:
        return None  # every commitment of it was a draft then: not published yet (ThreadQuerySet.published)
    return PastPledge(when=when, thread=thread, entries=entries, links=links_as_of(thread, when))


def links_as_of(thread: Thread, when: datetime.datetime) -> list[dict[str, str]]:
    """The pledge's links to others (merges, splits) as they stood at `when`, seen from it, oldest first, as
    `PledgeLink.objects.seen_from()` writes today's: two queries (the links, the other pledges of then)."""
    rows = sorted(
        standing(PledgeLink, when)
        .filter(Q(thread_id=thread.pk) | Q(other_id=thread.pk))
        .values_list("id", "thread_id", "other_id", "kind", "reason")
    )
    others = {row[2] if row[1] == thread.pk else row[1] for row in rows}
    pledges = _by_id(records_as_of(Thread, when, id__in=others))
    links = []
    for _, own, other, kind, reason in rows:
        mine = own == thread.pk
        pledge = pledges.get(other if mine else own)
        if pledge is None:
            continue  # a pledge the history does not hold then: left out, never read from the present
        kind = kind if mine else SEEN_FROM_OTHER[kind]
        links.append({"kind": kind, "pledge": pledge.slug, "title": pledge.title, "reason": reason})
    return links


@dataclass(frozen=True)
class PastCommitment:
    """A commitment as it stood at `when`: with its statement (and text), meeting and line of effort of then,
    its places in recurring pledges then (entries with their pledge), and its newest approved assessment then."""

    when: datetime.datetime
    commitment: Commitment
    places: list[ThreadEntry]
    latest: Assessment | None


def commitment_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> PastCommitment | None:
    """The commitment `slug` as it stood at `when`, or None if it was not in the record then (or, for a reader
    who does not see drafts, quoted a draft then). Seven queries."""
    found = records_as_of(Commitment, when, slug=slug)
    if not found:
        return None
    commitment = found[0]
    statements = records_as_of(Statement, when, id=commitment.statement_id)
    meetings = records_as_of(Meeting, when, id=statements[0].meeting_id) if statements else []
    lines = records_as_of(LineOfEffort, when, id=commitment.line_of_effort_id)
    if not (statements and meetings and lines):
        return None  # a history that does not reach back that far: no page rather than a guess
    statement, meeting = statements[0], meetings[0]
    if not sees_drafts and (statement.draft or meeting.draft):
        return None
    statement.meeting = meeting
    commitment.statement = statement
    commitment.line_of_effort = lines[0]
    placed = records_as_of(ThreadEntry, when, commitment_id=commitment.pk)
    threads = _by_id(records_as_of(Thread, when, id__in=[entry.thread_id for entry in placed]))
    places = []
    for entry in sorted(placed, key=lambda entry: threads[entry.thread_id].slug if entry.thread_id in threads else ""):
        if entry.thread_id in threads:
            entry.thread = threads[entry.thread_id]
            entry.commitment = commitment
            places.append(entry)
    latest = latest_assessments_as_of([commitment.pk], when).get(commitment.pk)
    return PastCommitment(when=when, commitment=commitment, places=places, latest=latest)


@dataclass(frozen=True)
class PastMeeting:
    """A meeting's page as it stood at `when`: the meeting, its published statements (each with
    `commitment_count` and `figure_count` of then), who took part as each source said then (`participants`:
    [(role, [{"member", "sources", "conflicts"}])]) and the pledge rows made there then, as
    `ThreadEntry.objects.rows_at_meeting()` gives today's."""

    when: datetime.datetime
    meeting: Meeting
    statements: list[Statement]
    participants: list
    pledge_rows: list[dict]


def meeting_page_as_of(slug: str, when: datetime.datetime) -> PastMeeting | None:
    """A meeting's page as it stood at `when`, for readers (drafts of then hidden), or None if it was not in
    the record then, or a draft. Twelve queries, whatever the history's length or the meeting's size."""
    from meetings.models import Figure, Member, Participation, ParticipationRole
    from meetings.past import meeting_as_of

    meeting = meeting_as_of(slug, when)
    if meeting is None:
        return None
    statements = sorted(
        (s for s in records_as_of(Statement, when, leave_out=("text",), meeting_id=meeting.pk) if not s.draft),
        key=lambda s: (s.position, s.pk),
    )
    by_id = _by_id(statements)
    quoted = list(
        standing(Commitment, when).filter(statement_id__in=by_id).values_list("id", "statement_id", "slug", "quote")
    )
    figures = standing(Figure, when).filter(statement_id__in=by_id).values_list("statement_id", flat=True)
    figure_counts: dict[int, int] = {}
    for statement_id in figures:
        figure_counts[statement_id] = figure_counts.get(statement_id, 0) + 1
    for statement in statements:
        statement.meeting = meeting
        statement.commitment_count = sum(1 for row in quoted if row[1] == statement.pk)
        statement.figure_count = figure_counts.get(statement.pk, 0)
    pledge_rows = _pledge_rows_as_of({row[0]: row for row in quoted}, when)

    # Who took part, as each source said then: a record from a draft statement (of then) is hidden.
    records = [
        r
        for r in records_as_of(Participation, when, meeting_id=meeting.pk)
        if r.statement_id in by_id or not r.statement_id
    ]
    members = _by_id(records_as_of(Member, when, id__in={r.member_id for r in records}))
    conflicts = _joins_elsewhere_as_of(
        members, meeting, {r.member_id for r in records if r.role == ParticipationRole.NEW_MEMBER}, when
    )
    roles: dict[str, dict] = {}
    for record in sorted(
        records,
        key=lambda r: (
            r.role,
            members[r.member_id].name if r.member_id in members else "",
            by_id[r.statement_id].position if r.statement_id else 0,
        ),
    ):
        if record.member_id not in members:
            continue
        record.member = members[record.member_id]
        record.statement = by_id.get(record.statement_id)
        item = roles.setdefault(record.role, {}).setdefault(
            record.member_id, {"member": record.member, "sources": [], "conflicts": []}
        )
        item["sources"].append(record)
        if record.role == ParticipationRole.NEW_MEMBER:
            item["conflicts"] = conflicts.get(record.member_id, [])
    participants = [(role, list(roles[role].values())) for role in ParticipationRole if role in roles]
    return PastMeeting(when, meeting, statements, participants, pledge_rows)


def _pledge_rows_as_of(commitments: dict, when: datetime.datetime) -> list[dict]:
    """The pledge rows made at a meeting then, from its commitments of then ({id: (id, statement, slug, quote)}):
    entries, their pledges and lines of effort, three queries; in `ThreadEntry.objects.at_meeting()`'s order."""
    entries = records_as_of(ThreadEntry, when, commitment_id__in=list(commitments))
    threads = _by_id(records_as_of(Thread, when, id__in={e.thread_id for e in entries}))
    lines = _by_id(records_as_of(LineOfEffort, when, id__in={t.line_of_effort_id for t in threads.values()}))
    rows = []
    for entry in entries:
        thread = threads.get(entry.thread_id)
        line = lines.get(thread.line_of_effort_id) if thread else None
        if line is None:
            continue
        _, _, slug, quote = commitments[entry.commitment_id]
        rows.append(
            {
                "thread__slug": thread.slug,
                "thread__title": thread.title,
                "thread__line_of_effort__name": line.name,
                "commitment__slug": slug,
                "commitment__quote": quote,
                "position": entry.position,
                "change_kind": entry.change_kind,
                "order": (line.position, thread.title, entry.position),
            }
        )
    rows.sort(key=lambda row: row["order"])
    for row in rows:
        del row["order"]
    return rows


def _joins_elsewhere_as_of(
    members: dict, meeting: Meeting, member_ids: set, when: datetime.datetime
) -> dict[int, list]:
    """{member id: its joins at other meetings then}, for the members welcomed as new at more than one published
    meeting then (`ParticipationQuerySet.conflicting_joins()`, on the rows of then). Three queries."""
    from meetings.models import Participation, ParticipationRole

    joins = records_as_of(Participation, when, member_id__in=member_ids, role=ParticipationRole.NEW_MEMBER)
    meetings = _by_id(records_as_of(Meeting, when, id__in={j.meeting_id for j in joins}))
    statements = _by_id(
        records_as_of(Statement, when, leave_out=("text",), id__in={j.statement_id for j in joins if j.statement_id})
    )
    published = []
    for join in joins:
        where = meetings.get(join.meeting_id)
        source = statements.get(join.statement_id) if join.statement_id else None
        if where is None or where.draft or (join.statement_id and (source is None or source.draft)):
            continue
        if join.member_id not in members:
            continue
        join.meeting, join.statement, join.member = where, source, members[join.member_id]
        published.append(join)
    at: dict[int, set] = {}
    for join in published:
        at.setdefault(join.member_id, set()).add(join.meeting_id)
    elsewhere: dict[int, list] = {}
    for join in sorted(published, key=lambda j: (j.meeting.start_date, j.statement.position if j.statement else 0)):
        if len(at[join.member_id]) > 1 and join.meeting_id != meeting.pk:
            elsewhere.setdefault(join.member_id, []).append(join)
    return elsewhere


def places_as_of(commitment_ids, when: datetime.datetime) -> dict[int, list[dict]]:
    """{commitment id: its places in recurring pledges at `when`}, as `ThreadEntry.objects.places_for()` gives
    today's (by the pledge's slug then): two queries, the entries and their pledges of then."""
    placed = records_as_of(ThreadEntry, when, commitment_id__in=list(commitment_ids))
    threads = _by_id(records_as_of(Thread, when, id__in={entry.thread_id for entry in placed}))
    places: dict[int, list[dict]] = {}
    for entry in sorted(placed, key=lambda e: threads[e.thread_id].slug if e.thread_id in threads else ""):
        if entry.thread_id in threads:
            thread = threads[entry.thread_id]
            places.setdefault(entry.commitment_id, []).append(
                {
                    "commitment_id": entry.commitment_id,
                    "thread__slug": thread.slug,
                    "thread__title": thread.title,
                    "position": entry.position,
                    "change_kind": entry.change_kind,
                }
            )
    return places


@dataclass(frozen=True)
class PastStatement:
    """A statement's page as it stood at `when`: the statement (its text then) and meeting, the commitments
    quoting it then as `Commitment.objects.rows_quoting()` gives today's rows, their places then as
    `ThreadEntry.objects.places_for()` gives today's, its figures and the participation records quoting it."""

    when: datetime.datetime
    statement: Statement
    commitments: list[dict]
    places: dict[int, list[dict]]
    figures: list
    participations: list


def statement_page_as_of(slug: str, when: datetime.datetime) -> PastStatement | None:
    """A statement's page as it stood at `when`, for readers (a draft of then is None, as one not in the record
    then). Ten queries, whatever the history's length or the statement's size."""
    from meetings.models import Figure, Member, Participation
    from meetings.past import statement_as_of

    statement = statement_as_of(slug, when)
    if statement is None:
        return None
    quoting = records_as_of(Commitment, when, statement_id=statement.pk)
    lines = _by_id(records_as_of(LineOfEffort, when, id__in={c.line_of_effort_id for c in quoting}))
    latest = latest_assessments_as_of([c.pk for c in quoting], when)
    rows = [
        {
            "id": c.pk,
            "slug": c.slug,
            "start": c.start,
            "end": c.end,
            "summary": c.summary,
            "line_of_effort__name": lines[c.line_of_effort_id].name,
            "strength": c.strength,
            "actor": c.actor,
            "latest_status": latest[c.pk].status if c.pk in latest else ImplementationStatus.NOT_ASSESSED,
        }
        for c in sorted(quoting, key=lambda c: (c.start, c.end, c.pk))
        if c.line_of_effort_id in lines
    ]
    places = places_as_of([row["id"] for row in rows], when)
    figures = sorted(records_as_of(Figure, when, statement_id=statement.pk), key=lambda f: (f.start or 0, f.pk))
    records = records_as_of(Participation, when, statement_id=statement.pk, start__isnull=False)
    members = _by_id(records_as_of(Member, when, id__in={r.member_id for r in records}))
    participations = []
    for record in records:
        if record.member_id in members:
            record.member, record.statement = members[record.member_id], statement
            participations.append(record)
    participations.sort(key=lambda r: (r.start, r.member.name))
    for figure in figures:
        figure.statement = statement
    return PastStatement(when, statement, rows, places, figures, participations)
