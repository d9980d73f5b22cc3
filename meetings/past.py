"""A meeting, or a statement, as it stood at a moment, read through `core.as_of`: its API answer as of a date.

Its `draft` flag of then decides whether a reader who does not see drafts sees it (`meetings.drafts`):
a meeting published since was not public then.
"""

from __future__ import annotations

import datetime

from core.as_of import records_as_of, standing

from .models import Meeting, Statement


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
