"""Reading the feed: a change as readers and receivers see it, and the cursor that says where they stand."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

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
    return following(changes, xid, pk)


def following(changes: ChangeQuerySet, xid: int, pk: int) -> ChangeQuerySet:
    """The changes after (xid, pk) in feed order, read from the feed's index at the cursor: a page costs the
    same wherever it stands (an `xid > x OR (xid = x AND id > p)` would scan the index from its start)."""
    if connection.vendor == "postgresql":
        # A row comparison, which PostgreSQL answers with one range of the (xid, id) index.
        table = connection.ops.quote_name(Change._meta.db_table)
        return changes.filter(
            RawSQL(f"({table}.xid, {table}.id) > (%s, %s)", (xid, pk), output_field=BooleanField())  # noqa: S611
        )
    # Elsewhere every row's xid is 0 (ChangeQuerySet.committed: SQLite commits in id order): one range of ids.
    return changes.filter(xid=xid, id__gt=pk)
