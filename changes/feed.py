"""Reading the feed: a change as readers and receivers see it, and the cursor that says where they stand."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .models import Change, ChangeQuerySet

_CURSOR = re.compile(r"(0|[1-9][0-9]{0,18})-([1-9][0-9]{0,18})")

# The columns a change is written from (`document`), in its order: the feed's page reads them as plain rows.
COLUMNS = (
    "xid",
    "id",
    "resource",
    "key",
    "action",
    "version",
    "at",
    "user",
    "token",
    "reason",
    "pledge",
    "line_of_effort",
    "meeting",
)


class UnknownCursor(ValueError):
    """A `since` cursor the feed did not give."""


def document(row: Sequence[Any]) -> dict[str, Any]:
    """One change as the feed lists it and a webhook sends it, from its `COLUMNS` (the declared fields are
    `api.changes.ChangeSerializer`'s; a test holds the two to the same JSON)."""
    xid, pk, resource, key, action, version, at, user, token, reason, pledge, line, meeting = row
    return {
        "cursor": f"{xid}-{pk}",
        "resource": resource,
        "key": key,
        "action": action,
        "version": version or None,
        "at": at.isoformat().replace("+00:00", "Z"),
        "user": user or None,
        "token": token or None,
        "reason": reason or None,
        "pledge": pledge or None,
        "line_of_effort": line or None,
        "meeting": meeting or None,
    }


def change_document(change: Change) -> dict[str, Any]:
    """One change (an instance) as the feed lists it and a webhook sends it."""
    return document([getattr(change, name) for name in COLUMNS])


def parse(cursor: str) -> tuple[int, int]:
    """(xid, id) of a cursor as the feed writes it; UnknownCursor if it cannot be one."""
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise UnknownCursor(cursor)
    xid, pk = int(match.group(1)), int(match.group(2))
    if xid >= 2**63 or pk >= 2**63:
        raise UnknownCursor(cursor)
    return xid, pk


def page(changes: ChangeQuerySet, since: str | None, size: int) -> list[tuple[Any, ...]]:
    """Up to `size + 1` rows (`COLUMNS`) of `changes` after the cursor `since`, in feed order;
    UnknownCursor unless `since` names a change of the feed (whatever the filters of `changes`).

    One query, one range of the feed's index wherever it stands: the range starts at the cursor's own row,
    which leads it when it passes the filters (a reader following `next`), and so is checked to exist at no
    cost. A cursor from another filter, whose row the range leaves out, is checked by a second query."""
    if since is None:
        # The first page is the page from the feed's origin, read as every later page is (one range of the
        # index from (0, 0)): its cost is a deep page's, whatever the feed's length.
        return list(following(changes, 0, 0, inclusive=True).in_feed_order().values_list(*COLUMNS)[: size + 1])
    xid, pk = parse(since)
    rows = list(following(changes, xid, pk, inclusive=True).in_feed_order().values_list(*COLUMNS)[: size + 2])
    if rows and rows[0][:2] == (xid, pk):
        return rows[1:]
    if not Change.objects.filter(xid=xid, id=pk).exists():
        raise UnknownCursor(since)
    return rows[: size + 1]


def following(changes: ChangeQuerySet, xid: int, pk: int, *, inclusive: bool = False) -> ChangeQuerySet:
    """The changes after (xid, pk) in feed order (from it, if `inclusive`), read from the feed's index at the
    cursor: a page costs the same wherever it stands (an `xid > x OR (xid = x AND id > p)` would scan the
    index from its start)."""
    if connection.vendor == "postgresql":
        # A row comparison, which PostgreSQL answers with one range of the (xid, id) index.
        table = connection.ops.quote_name(Change._meta.db_table)
        operator = ">=" if inclusive else ">"
        return changes.filter(
            RawSQL(f"({table}.xid, {table}.id) {operator} (%s, %s)", (xid, pk), output_field=BooleanField())  # noqa: S611
        )
    # Elsewhere every row's xid is 0 (ChangeQuerySet.committed: SQLite commits in id order): one range of ids.
    # The `xid=` equality is what lets SQLite read the feed's order off that range: without it, it sorts the
    # rest of the feed (a 90 % deep page at 100k: 2 ms with it, 5.8 ms without).
    return changes.filter(xid=xid, **{"id__gte" if inclusive else "id__gt": pk})
