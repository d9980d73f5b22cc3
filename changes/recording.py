"""Writing the feed: a `Change` (and its webhook deliveries) for every history row of a curated record.

simple-history writes a history row for every save and delete of a curated record, whatever path
made it (the API, the admin and its inlines, the services, the ingest forms), in the same
transaction as the write; `record_change` receives its post_create_historical_record signal and
adds the feed's row and the outbox's rows there too. So a rolled-back write leaves no change and
sends nothing, and a committed one is never without its change.

Bulk loads write no history row per record (a snapshot restored, the seed loaded): they call
`record_reset()`, one `reset` change that tells a reader to read the lists again.

A record whose page shows rows of another model (a pledge's entries, a commitment's assessments
and places in pledges, an assessment's evidence and scores: `VERSIONED_CHILDREN`) has a new ETag
when one of those rows changes: the change of the row is followed by an `updated` change of each
such record, with its new version, so that a reader following the records' ETags misses none.

Writes that belong together (a placement renumbering a pledge's entries: `core.batches.batched()`)
have their changes written at the end of the batch, in bulk: each row read back once per model, one
`updated` change per parent record (after the last of its rows, with its version after the batch),
one insert.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core import batches

from .models import Action, Change, Delivery, Receiver

# Every curated model (snapshots.records.CURATED, which tests hold this to) and its resource name: the
# API's URL segment where it has one; else the name the feed gives the rows of a record's page.
RESOURCES = {
    "meetings.meeting": "meetings",
    "meetings.statement": "statements",
    "meetings.member": "members",
    "meetings.participation": "participations",
    "meetings.figure": "figures",
    "commitments.lineofeffort": "lines-of-effort",
    "commitments.thread": "threads",
    "commitments.commitment": "commitments",
    "commitments.threadentry": "thread-entries",
    "commitments.pledgelink": "pledge-links",
    "commitments.assessmentcycle": "assessment-cycles",
    "commitments.evidence": "evidence",
    "commitments.assessment": "assessments",
    "commitments.assessmentevidence": "assessment-evidence",
    "commitments.memberscore": "member-scores",
    "commitments.moneystage": "money-stages",
}

# Where each record's pledge, line of effort and meeting are, as attribute paths (for the feed's filters).
PLACES = {
    "meetings.meeting": {"meeting": "slug"},
    "meetings.statement": {"meeting": "meeting.slug"},
    "meetings.participation": {"meeting": "meeting.slug"},
    "meetings.figure": {"meeting": "statement.meeting.slug"},
    "commitments.lineofeffort": {"line_of_effort": "slug"},
    "commitments.thread": {"pledge": "slug", "line_of_effort": "line_of_effort.slug"},
    "commitments.commitment": {"line_of_effort": "line_of_effort.slug", "meeting": "statement.meeting.slug"},
    "commitments.threadentry": {
        "pledge": "thread.slug",
        "line_of_effort": "thread.line_of_effort.slug",
        "meeting": "commitment.statement.meeting.slug",
    },
    # A merge or split: the pledge merged, or the new pledge split (the other one is named in its key).
    "commitments.pledgelink": {"pledge": "thread.slug", "line_of_effort": "thread.line_of_effort.slug"},
    "commitments.assessment": {
        "line_of_effort": "commitment.line_of_effort.slug",
        "meeting": "commitment.statement.meeting.slug",
    },
}

# Where a record says it is a draft, which readers do not see (an attribute path: any value but "approved").
DRAFTS = {
    "commitments.assessment": "review_state",
    "commitments.assessmentevidence": "assessment.review_state",
    "commitments.memberscore": "assessment.review_state",
    "commitments.moneystage": "assessment.review_state",
}

# Where a record reaches the statement (or meeting) whose `draft` flag hides it from readers until the
# meeting is published (`meetings.drafts`): an attribute path, "" for the record itself.
PUBLISHED_THROUGH = {
    "meetings.meeting": "",
    "meetings.statement": "",
    "meetings.participation": "statement",
    "meetings.figure": "statement",
    "commitments.commitment": "statement",
    "commitments.threadentry": "commitment.statement",
    "commitments.assessment": "commitment.statement",
    "commitments.evidence": "statement",
    "commitments.assessmentevidence": "assessment.commitment.statement",
    "commitments.memberscore": "assessment.commitment.statement",
    "commitments.moneystage": "assessment.commitment.statement",
}

# Set while a bulk writer replaces records wholesale and records one `reset` instead (`bulk_load`).
_bulk = threading.local()

_ACTIONS = {"+": Action.CREATED, "~": Action.UPDATED, "-": Action.DELETED}


def resource_of(model: type[models.Model]) -> str | None:
    return RESOURCES.get(model._meta.label_lower)


def api_key(instance: Any) -> str:
    """The record's key as the API addresses it: its slug, its `key()` (participations, assessments), or
    the parts of its natural key joined by `/` (the rows of a record's page, which have no URL of their own)."""
    if callable(getattr(instance, "key", None)):
        return str(instance.key())
    parts = instance.natural_key()
    return "/".join("" if part is None else str(part) for part in parts)


def _follow(instance: Any, path: str) -> str:
    value = instance
    for name in path.split("."):
        try:
            value = getattr(value, name)
        except models.ObjectDoesNotExist:
            return ""
        if value is None:
            return ""
    return str(value)


@cache
def _parents(label: str) -> tuple[tuple[str, type[models.Model]], ...]:
    """(foreign key attname, parent model) of the records whose version covers rows of `label`."""
    found = []
    for parent_label in RESOURCES:
        parent = apps.get_model(parent_label)
        for name in getattr(parent, "VERSIONED_CHILDREN", ()):
            relation = parent._meta.get_field(name)
            if relation.related_model._meta.label_lower == label:
                found.append((relation.field.attname, parent))
    return tuple(found)


def unpublished(instance: Any) -> bool:
    """Whether the record belongs to a draft meeting or statement (or is one): readers see its changes
    once the meeting is published, through the reset that publishing records."""
    label = instance._meta.label_lower
    if label not in PUBLISHED_THROUGH:
        return False
    holder = instance
    for name in filter(None, PUBLISHED_THROUGH[label].split(".")):
        try:
            holder = getattr(holder, name)
        except models.ObjectDoesNotExist:
            return False
        if holder is None:
            return label == "meetings.participation" and instance.meeting.draft
    if holder._meta.label_lower == "meetings.meeting":
        return bool(holder.draft)
    return bool(holder.draft or holder.meeting.draft)


def _published_now(label: str, action: str, history_instance: Any) -> bool:
    """A draft meeting or statement saved published: what it held becomes public at once."""
    if label not in ("meetings.meeting", "meetings.statement") or action != Action.UPDATED:
        return False
    before = history_instance.prev_record
    return before is not None and before.draft and not history_instance.draft


def record_change(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """Receives simple-history's post_create_historical_record: the change, its parents', and their deliveries,
    at once, or at the end of the enclosing batch of writes (`core.batches`), in bulk."""
    label = instance._meta.label_lower
    if label not in RESOURCES or getattr(_bulk, "active", False):
        return
    action = _ACTIONS[history_instance.history_type]
    user = history_instance.history_user
    who = {
        "user": user.get_username() if user is not None else "",
        "token": history_instance.history_token or "",
        "reason": (history_instance.history_change_reason or "")[:200],
        "at": history_instance.history_date,
    }
    written = (instance, action, who, _published_now(label, action, history_instance))
    gathered = batches.pending(BATCH)
    if gathered is None:
        record_written([written])
    else:
        gathered.append(written)


# What a batch of writes gathers: (instance, action, who, published now) per history row.
BATCH = "changes"


def record_written(written: list[tuple[Any, str, dict[str, Any], bool]]) -> None:
    """The changes of `written` history rows in their order, each followed by an `updated` change of each
    record whose version covers its row (`VERSIONED_CHILDREN`); in a batch, a record that several rows
    change has one, after the last of them (its version after the batch: no reader saw one before it).
    Each row read back once (one query per model), the receivers once, every change in one insert."""
    stored = _reread_all([_id(instance) for instance, action, _, _ in written if action != Action.DELETED])
    plan: list[tuple[Any, ...] | None] = []
    last_of: dict[tuple[type[models.Model], Any], int] = {}
    for instance, action, who, published in written:
        label = instance._meta.label_lower
        record = instance if action == Action.DELETED else stored.get(_id(instance))
        if record is None:
            continue  # written and deleted again in the same breath: its delete is recorded
        plan.append(("own", record, action, who))
        if published:
            # Its statements' commitments, figures, places... were recorded as drafts: readers read the lists again.
            plan.append(("reset", f"published {RESOURCES[label]} {api_key(instance)}"))
        for attname, parent in _parents(label):
            pk = getattr(instance, attname)
            if pk is None:
                continue
            if (parent, pk) in last_of:
                plan[last_of[parent, pk]] = None
            last_of[parent, pk] = len(plan)
            plan.append(("parent", parent, pk, who))
    parents = _reread_all([(step[1], step[2]) for step in plan if step is not None and step[0] == "parent"])
    steps = []  # (record or None for a reset, action or the reset's reason, who)
    for step in plan:
        if step is None:
            continue
        if step[0] == "own":
            steps.append((step[1], step[2], step[3]))
        elif step[0] == "reset":
            steps.append((None, step[1], {}))
        elif (reread := parents.get((step[1], step[2]))) is not None:
            steps.append((reread, Action.UPDATED, step[3]))
    versions = _versions([record for record, action, _ in steps if record is not None and action != Action.DELETED])
    _save_all(
        [
            _reset(action) if record is None else _change(record, action, version=versions.get(_id(record)), **who)
            for record, action, who in steps
        ]
    )


def _id(record: Any) -> tuple[type[models.Model], Any]:
    return (record._meta.model, record.pk)


def _versions(records: list[Any]) -> dict[tuple[type[models.Model], Any], str]:
    """{(model, pk): version()} of the stored `records`, their child rows read in one query per relation."""
    # Curated models (core.models.Curated), which know how to version many records at once.
    by_model: dict[Any, dict[Any, Any]] = {}
    for record in records:
        by_model.setdefault(record._meta.model, {})[record.pk] = record
    return {
        (model, pk): version
        for model, same in by_model.items()
        for pk, version in model.versions_of(list(same.values())).items()
    }


def _reread_all(keys: list[tuple[type[models.Model], Any]]) -> dict[tuple[type[models.Model], Any], Any]:
    """{(model, pk): the row as stored}, one query per model: so that its version is the one a GET will
    give, with the rows `PLACES` reads (joined, in the same query; a statement's text left out: it is wide)."""
    by_model: dict[type[models.Model], set[Any]] = {}
    for model, pk in keys:
        if pk is not None:
            by_model.setdefault(model, set()).add(pk)
    found = {}
    for model, pks in by_model.items():
        joins, wide = _joins(model._meta.label_lower)
        rows = model._base_manager.select_related(*joins).defer(*wide).filter(pk__in=pks)
        found.update({(model, row.pk): row for row in rows})
    return found


@cache
def _joins(label: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(select_related paths, deferred text columns) for reading what `PLACES[label]` follows."""
    joins: set[str] = set()
    wide: set[str] = set()
    for path in PLACES.get(label, {}).values():
        names = path.split(".")[:-1]
        model = apps.get_model(label)
        for depth, name in enumerate(names, start=1):
            model = model._meta.get_field(name).related_model
            join = "__".join(names[:depth])
            joins.add(join)
            if model._meta.label_lower == "meetings.statement":
                wide.add(f"{join}__text")
    return tuple(sorted(joins)), tuple(sorted(wide))


def write(
    instance: Any,
    action: str,
    *,
    user: str = "",
    token: str = "",
    reason: str = "",
    at: Any = None,
) -> Change:
    """The change of one record, and its deliveries, in the current transaction."""
    change = _change(instance, action, user=user, token=token, reason=reason, at=at)
    _save_all([change])
    return change


def _change(
    instance: Any,
    action: str,
    *,
    version: str | None = None,
    user: str = "",
    token: str = "",
    reason: str = "",
    at: Any = None,
) -> Change:
    """The (unsaved) change of one record: its key, its version after the change (`version`, or read now),
    where it belongs, who made it."""
    label = instance._meta.label_lower
    places = {field: _follow(instance, path)[:200] for field, path in PLACES.get(label, {}).items()}
    return Change(
        resource=RESOURCES[label],
        key=api_key(instance)[:400],
        object_id=instance.pk,
        action=action,
        version="" if action == Action.DELETED else (version if version is not None else instance.version()),
        at=at or timezone.now(),
        user=user,
        token=token,
        reason=reason,
        draft=(label in DRAFTS and _follow(instance, DRAFTS[label]) not in ("", "approved")) or unpublished(instance),
        **places,
    )


def _reset(reason: str) -> Change:
    return Change(resource="", key="", action=Action.RESET, reason=reason[:200])


def record_reset(reason: str) -> Change:
    """One `reset` change for a bulk load that wrote no history row per record: readers read the lists again."""
    change = _reset(reason)
    _save_all([change])
    return change


@contextmanager
def bulk_load(reason: str) -> Iterator[None]:
    """Around a bulk writer that replaces records wholesale (a snapshot restored): no change per record,
    one `reset` at the end, in the same transaction (the caller's)."""
    _bulk.active = True
    try:
        yield
    finally:
        _bulk.active = False
    record_reset(reason)


def _save_all(changes: list[Change]) -> None:
    """Insert `changes` in their order (one statement), and their deliveries to the active receivers (one more)."""
    if not changes:
        return
    if connection.vendor == "postgresql":
        # Read by the database as it inserts each row; ChangeQuerySet.committed() says why.
        for change in changes:
            change.xid = RawSQL("pg_current_xact_id()::text::bigint", ())
    Change.objects.bulk_create(changes)
    if connection.vendor == "postgresql":
        for change in changes:
            del change.xid  # deferred: read from the row if asked for
    receivers = list(Receiver.objects.filter(active=True))
    deliveries = [Delivery(receiver=r, change=change) for change in changes for r in receivers if r.wants(change)]
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
