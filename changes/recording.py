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
    """Receives simple-history's post_create_historical_record: the change, its parents', and their deliveries."""
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
    current = None if action == Action.DELETED else _reread(instance)
    if action != Action.DELETED and current is None:
        return  # written and deleted again in the same breath: its delete is recorded
    receivers = list(Receiver.objects.filter(active=True))
    write(instance if current is None else current, action, receivers=receivers, **who)
    if _published_now(label, action, history_instance):
        # Its statements' commitments, figures, places... were recorded as drafts: readers read the lists again.
        record_reset(f"published {RESOURCES[label]} {api_key(instance)}")
    for attname, parent in _parents(label):
        pk = getattr(instance, attname)
        record = _reread_pk(parent, pk)
        if record is not None:
            write(record, Action.UPDATED, receivers=receivers, **who)


def _reread(instance: Any) -> Any:
    return _reread_pk(type(instance), instance.pk)


def _reread_pk(model: type[models.Model], pk: Any) -> Any:
    """The row as stored, so that its version is the one a GET will give, with the rows `PLACES` reads
    (joined, in the same query; a statement's text left out: it is wide)."""
    if pk is None:
        return None
    joins, wide = _joins(model._meta.label_lower)
    return model._base_manager.select_related(*joins).defer(*wide).filter(pk=pk).first()


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
    receivers: list[Receiver] | None = None,
) -> Change:
    """The change of one record, and its deliveries (to `receivers`, read once a write), in the current transaction."""
    label = instance._meta.label_lower
    places = {field: _follow(instance, path)[:200] for field, path in PLACES.get(label, {}).items()}
    change = Change(
        resource=RESOURCES[label],
        key=api_key(instance)[:400],
        object_id=instance.pk,
        action=action,
        version="" if action == Action.DELETED else instance.version(),
        at=at or timezone.now(),
        user=user,
        token=token,
        reason=reason,
        draft=(label in DRAFTS and _follow(instance, DRAFTS[label]) not in ("", "approved")) or unpublished(instance),
        **places,
    )
    return _save(change, receivers)


def record_reset(reason: str) -> Change:
    """One `reset` change for a bulk load that wrote no history row per record: readers read the lists again."""
    return _save(Change(resource="", key="", action=Action.RESET, reason=reason[:200]))


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


def _save(change: Change, receivers: list[Receiver] | None = None) -> Change:
    if connection.vendor == "postgresql":
        # Read by the database as it inserts the row; ChangeQuerySet.committed() says why.
        change.xid = RawSQL("pg_current_xact_id()::text::bigint", ())
    change.save()
    if connection.vendor == "postgresql":
        del change.xid  # deferred: read from the row if asked for
    queue_deliveries(change, receivers)
    return change


def queue_deliveries(change: Change, receivers: list[Receiver] | None = None) -> None:
    """The outbox: a delivery of `change` to each active receiver that asked for it, in its transaction."""
    if receivers is None:
        receivers = list(Receiver.objects.filter(active=True))
    wanted = [receiver for receiver in receivers if receiver.wants(change)]
    if wanted:
        Delivery.objects.bulk_create([Delivery(receiver=receiver, change=change) for receiver in wanted])
