"""Commitments per line of effort (per meeting, per year), counted once per change of the data, not per request.

The counts are an aggregate over every commitment: at 100,000 of them, counting again for each
reader of `/lines-of-effort/` or of the API's `aggregates/commitments-by-line/` would cost each
request the whole table. They are kept in Django's cache (Redis where the deployment has it, else
each process's memory) under a key made of the data's version: the newest row of the history of
each kind of record the counts read (commitments, their statements, meetings and lines of effort:
a line's name, a statement moved to another meeting, a meeting's date all change them), and the
highest id of each table. Reading that version is one query of index lookups, the same whatever
the data; a miss counts once more.

Why a cached aggregate keyed on a version rather than count columns kept by each write: every write
path already leaves the version changed, with nothing to keep in step. The admin, the API, the
services, loaddata and the seed builder save through the models, whose history records every save
and delete; the demo generator writes the history rows of its bulk inserts; a snapshot restore
inserts rows with new ids. Counts kept in columns would need each of those paths, and every move
of a commitment, statement or meeting, to update them in its transaction, and one that forgot
would leave them wrong for good. Here a write in progress is never read (the version is read in
the reader's own transaction), a write rolled back leaves no version behind (its history row goes
with it, and a history row's date tells two rows with a reused id apart), and many workers agree
through the shared cache. A raw SQL write that bypasses both the models and new ids would not be
seen: none is made. The change feed, when every write records a change, gives the same version
more simply (its newest change).
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Subquery

from meetings.models import Meeting, Statement

from .models import Commitment, LineOfEffort

# Records whose changes change the counts: a commitment's line, statement and strength, its statement's
# meeting, the meeting's date and slug, the line's name, slug and position.
COUNTED = (Commitment, Statement, Meeting, LineOfEffort)
# A safety net, not the invalidation: an entry no version reads any more goes within a day.
TIMEOUT = 24 * 60 * 60


def data_version() -> str:
    """The version of what the counts read, in one query: each counted table's highest id and newest history row."""
    columns: dict[str, Any] = {}
    for model in COUNTED:
        name = model._meta.model_name
        newest = model.history.model.objects.order_by("-history_id")
        columns[f"{name}_history"] = Subquery(newest.values("history_id")[:1])
        columns[f"{name}_date"] = Subquery(newest.values("history_date")[:1])
        columns[f"{name}_id"] = Subquery(model._base_manager.order_by("-pk").values("pk")[:1])
    # Any one row to hang the subqueries on (any meeting, whatever a manager leaves out): with no meeting
    # at all there is no statement, hence no commitment, to count.
    row = Meeting._base_manager.order_by().annotate(**columns).values(*columns)[:1]
    values = next(iter(row), None)
    text = "none" if values is None else "|".join(str(value) for value in values.values())
    # A digest: a cache key holds no spaces (memcached refuses them), and a short one.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached(name: str, count: Callable[[], Any], version: str | None = None) -> Any:
    """`count()`'s result for the current version of the data (`version`, when the caller has read it for
    several counts), counted once per version and kept in the cache."""
    key = f"commitments:counts:{name}:{version or data_version()}"
    value = cache.get(key)
    if value is None:
        value = list(count())
        cache.set(key, value, TIMEOUT)
    return value


def by_line_and_meeting() -> list[dict[str, Any]]:
    """The published commitments' `counts_by_line_and_meeting()`, counted once per change of the data
    (publishing a meeting is a change of the data: its history row moves the version)."""
    return cached("line-meeting", Commitment.objects.published().counts_by_line_and_meeting)


def by_line_and_year() -> list[dict[str, Any]]:
    """The published commitments' `counts_by_line_and_year()`, counted once per change of the data."""
    return cached("line-year", Commitment.objects.published().counts_by_line_and_year)
