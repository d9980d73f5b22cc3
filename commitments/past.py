"""A recurring pledge as it stood at a moment, for its page and its API answer as of a date.

Read only through `core.as_of` (the newest version of each record at or before the moment, deletions
out): the pledge, its line of effort, its entries, their commitments, statements and meetings, one
query each, whatever the history's length. The rows are joined here by their ids, never through a
live relation, so nothing of the present leaks in: a commitment placed later is absent, one taken out
since is present, a renamed record has its name of then, and a draft is hidden as it was then (the
`draft` flags of then, the rule of `meetings.drafts`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from core.as_of import records_as_of
from meetings.models import Meeting, Statement

from .models import Commitment, LineOfEffort, Thread, ThreadEntry
from .timeline import TimelineStep


@dataclass(frozen=True)
class PastPledge:
    """A pledge as it stood at `when`: the thread (its line of effort set) and its readable entries in
    position order, each with its commitment, statement and meeting of then."""

    when: datetime.datetime
    thread: Thread
    entries: list[ThreadEntry]

    def steps(self) -> list[TimelineStep]:
        return TimelineStep.chain(self.entries)

    def meetings_in_order(self) -> list[Meeting]:
        return list(dict.fromkeys(entry.commitment.statement.meeting for entry in self.entries))


def _by_id(records):
    return {record.pk: record for record in records}


def pledge_as_of(slug: str, when: datetime.datetime, *, sees_drafts: bool = False) -> PastPledge | None:
    """The pledge `slug` as it stood at `when`, or None if it was not in the record then (or, for a reader
    who does not see drafts, had only draft commitments then). Six queries."""
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
    return PastPledge(when=when, thread=thread, entries=entries)
