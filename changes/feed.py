"""Reading the feed: a change as readers and receivers see it, and the cursor that says where they stand."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q

from .models import Change, ChangeQuerySet

_CURSOR = re.compile(r"(0|[1-9][0-9]{0,18})-([1-9][0-9]{0,18})")


class UnknownCursor(ValueError):
    """A `since` cursor the feed did not give."""


def change_document(change: Change) -> dict[str, Any]:
    """One change as the feed lists it and a webhook sends it."""
    return {
        "cursor": change.cursor,
        "resource": change.resource,
        "key": change.key,
        "action": change.action,
        "version": change.version or None,
        "at": change.at.isoformat().replace("+00:00", "Z"),
        "user": change.user or None,
        "token": change.token or None,
        "reason": change.reason or None,
        "pledge": change.pledge or None,
        "line_of_effort": change.line_of_effort or None,
        "meeting": change.meeting or None,
    }


def after(changes: ChangeQuerySet, cursor: str) -> ChangeQuerySet:
    """The changes that come after `cursor` in feed order; UnknownCursor unless it names a change of the feed."""
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise UnknownCursor(cursor)
    xid, pk = int(match.group(1)), int(match.group(2))
    if xid >= 2**63 or pk >= 2**63 or not Change.objects.filter(xid=xid, id=pk).exists():
        raise UnknownCursor(cursor)
    return changes.filter(Q(xid__gt=xid) | Q(xid=xid, id__gt=pk))
