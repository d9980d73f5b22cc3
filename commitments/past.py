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

from core.as_of import records_as_of
from meetings.models import Meeting, Statement

from .models import Assessment, Commitment, LineOfEffort, ReviewState, Thread, ThreadEntry
from .timeline import TimelineStep


@dataclass(frozen=True)
class PastPledge:
    """A pledge as it stood at `when`: the thread (its line of effort set) and its readable entries in
    position order, each with its commitment, statement and meeting of then."""

    when: datetime.datetime
    thread: Thread
    entries: list[ThreadEntry]
    # {commitment id: its newest approved assessment then}, as `Assessment.objects.latest_of()` gives today's.
    latest: dict[int, Assessment]

    def steps(self) -> list[TimelineStep]:
        return TimelineStep.chain(self.entries)

    def meetings_in_order(self) -> list[Meeting]:
        return list(dict.fromkeys(entry.commitment.statement.meeting for entry in self.entries))


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


def pledge_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> PastPledge | None:
    """The pledge `slug` as it stood at `when`, or None if it was not in the record then (or, for a reader
    who does not see drafts, had only draft commitments then). Seven queries."""
    threads = records_as_of(Thread, when, slug=slug)
    if not threads:
        return None
    thread = threads[0]
    lines = _by_id(records_as_of(LineOfEffort, when, id=thread.line_of_effort_id))
    placed = records_as_of(ThreadEntry, when, thread_id=thread.pk)
    commitments = _by_id(records_as_of(Commitment, when, id__in=[entry.commitment_id for entry in placed]))
    statements = _by_id(
        records_as_of(
            Statement,
            when,
            leave_out=("text",),
            id__in={commitment.statement_id for commitment in commitments.values()},
        )
    )
    meetings = _by_id(records_as_of(Meeting, when, id__in={statement.meeting_id for statement in statements.values()}))
    if thread.line_of_effort_id not in lines:
        return None  # a history that does not reach back to the line's creation: no page rather than a guess
    thread.line_of_effort = lines[thread.line_of_effort_id]
    entries = []
    for entry in sorted(placed, key=lambda entry: entry.position):
        commitment = commitments.get(entry.commitment_id)
        statement = statements.get(commitment.statement_id) if commitment else None
        meeting = meetings.get(statement.meeting_id) if statement else None
        if meeting is None:
            continue  # a record the history does not hold: left out, never read from the present
        if not sees_drafts and (statement.draft or meeting.draft):
            continue
        statement.meeting = meeting
        commitment.statement = statement
        entry.commitment = commitment
        entry.thread = thread
        entries.append(entry)
    if placed and not entries and not sees_drafts:
        return None  # every commitment of it was a draft then: not published yet (ThreadQuerySet.published)
    latest = latest_assessments_as_of([entry.commitment_id for entry in entries], when)
    return PastPledge(when=when, thread=thread, entries=entries, latest=latest)


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
