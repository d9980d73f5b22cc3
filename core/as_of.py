"""The record as it stood at a moment, read from the change history (django-simple-history).

Every curated model keeps a historical table (`Model.history.model`) with one row per version:
the record's fields as they were, `history_date`, `history_type` ("+" created, "~" changed,
"-" deleted). The record as it stood at `when` is, for each key, its newest version at or before
`when`, unless that version is a deletion. `standing(model, when)` is that set as a queryset of
historical rows: one query whatever the history's length, so a page or an export that reads the
past asks as many questions as one that reads the present. `value_as_of` follows a lookup through
foreign keys (ids in a history row) to the related records' versions standing then.

How far back the history can answer is `horizon(models)` (see its docstring for the rule): a
moment before it is refused, not answered with a wrong past.

This is the one home of that rule: snapshots (`snapshot export --as-of`), the public pages and the
API's reads (`?as_of=`) all read the past through it.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone


def history_of(model):
    """The historical model that django-simple-history keeps for `model`."""
    return model.history.model


def _manager(model, using):
    return model._default_manager.using(using) if using else model._default_manager


def _newest(manager, key, when=None):
    """History rows that no later version of the same record (at or before `when`, if given) follows."""
    later = manager.filter(**{key: OuterRef(key)})
    if when is not None:
        later = later.filter(history_date__lte=when)
    later = later.filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
    )
    return ~Exists(later)


def standing(model, when, using=None):
    """Historical rows of `model` as they stood at `when`: the newest version of each record, deletions left out.

    A version is the newest at `when` when no other version of the same record is later and still at
    or before `when` (ties on the same instant broken by `history_id`, the insertion order).
    """
    manager = _manager(history_of(model), using)
    key = model._meta.pk.attname
    return manager.filter(history_date__lte=when).exclude(history_type="-").filter(_newest(manager, key, when))


def value_as_of(model, lookup, when, using=None):
    """An expression on a row of `model`'s history: `lookup` (`slug`, `commitment__slug`) as it stood at `when`.

    A history row holds its foreign keys as ids; each relation of the lookup is followed to the
    related record's version standing at `when` (a correlated subquery each), never to its present.
    """
    name, _, rest = lookup.partition("__")
    if not rest:
        return F(name)
    relation = model._meta.get_field(name)
    target = relation.related_model
    inner = (
        standing(target, when, using)
        .filter(**{target._meta.pk.attname: OuterRef(relation.attname)})
        .annotate(_value=value_as_of(target, rest, when, using))
        .values("_value")[:1]
    )
    return Subquery(inner)


class HistoryTooShort(Exception):
    """The history cannot tell how the record stood at the moment asked; the message says why."""


@dataclass(frozen=True)
class Horizon:
    """The earliest moment the history answers for (`moment`), or none at all (`moment` None, `reason` why)."""

    moment: datetime.datetime | None
    reason: str

    def check(self, when):
        """Refuse `when` (HistoryTooShort) when the history cannot tell how the record stood then."""
        if self.moment is None:
            raise HistoryTooShort(f"The change history cannot tell how the record stood at {_utc(when)}: {self.reason}")
        if when < self.moment:
            raise HistoryTooShort(
                f"The change history reaches back to {_utc(self.moment)} only ({self.reason}): "
                f"it cannot tell how the record stood at {_utc(when)}."
            )
        if when > timezone.now():
            raise HistoryTooShort(f"{_utc(when)} is in the future.")


def _utc(moment):
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def horizon(models, using=None):
    """How far back the change history of `models` can tell how the record stood.

    The rule (a record is a key of one model, live or in its history):

    - before the first history row of all the models, nothing is known (the history began then;
      pruning with simple-history's `clean_old_history --auto` deletes every row before its cutoff,
      so this moment moves to the oldest row it kept);
    - a record whose history has no creation row ("+") is known only from its oldest row on: it was
      loaded without history (a raw save, `loaddata`, a bulk load) and changed later, or its
      creation was pruned; the latest such oldest row is the horizon if later than the first;
    - a live record with no history row at all, or a record whose newest history row says it stands
      while it is gone (deleted without a history row), means the history disagrees with the
      present: it answers for no past at all.

    Returns a Horizon; `Horizon.check(when)` refuses a moment before it. A few queries a model.
    """
    began, unrecorded, label_unrecorded = None, None, None
    for model in models:
        label = model._meta.label_lower
        historical = _manager(history_of(model), using)
        live = _manager(model, using)
        key = pk = model._meta.pk.attname
        if live.filter(~Exists(historical.filter(**{key: OuterRef(pk)}))).exists():
            return Horizon(
                None,
                f"some {label} records have no history row (loaded without history, e.g. by "
                "`loaddata` or `snapshot restore`), so nothing tells since when they exist.",
            )
        gone = historical.exclude(history_type="-").filter(_newest(historical, key))
        if gone.filter(~Exists(live.filter(**{pk: OuterRef(key)}))).exists():
            return Horizon(None, f"some {label} records were deleted without a history row, so nothing tells when.")
        first = historical.aggregate(first=Min("history_date"))["first"]
        if first is not None and (began is None or first < began):
            began = first
        earlier_or_created = historical.filter(**{key: OuterRef(key)}).filter(
            Q(history_date__lt=OuterRef("history_date")) | Q(history_type="+")
        )
        oldest = (
            historical.exclude(history_type="+")
            .filter(~Exists(earlier_or_created))
            .aggregate(latest=Max("history_date"))["latest"]
        )
        if oldest is not None and (unrecorded is None or oldest > unrecorded):
            unrecorded, label_unrecorded = oldest, label
    if began is None:
        return Horizon(None, "there is no history at all.")
    if unrecorded is not None and unrecorded > began:
        return Horizon(unrecorded, f"a {label_unrecorded} record's history starts with a change, not its creation")
    return Horizon(began, "the history began then")


def records_as_of(model, when, *, leave_out=(), **filters):
    """Instances of `model` built from its rows `standing` at `when` (and `filters`), one query, no other.

    Each is an unsaved-looking instance of the live model (`Model.from_db`) carrying its fields as they
    were then; a relation is only an id (`<field>_id`): the caller joins the past rows it read itself
    and assigns them, never a live related manager. Fields in `leave_out` (a statement's text) are not
    read; reading one later would ask the live table, so a past page never does. Nor are the columns the
    database derives (`DERIVED_FIELDS`), which history does not keep: a past page works them out then.
    """
    left_out = {*leave_out, *getattr(model, "DERIVED_FIELDS", ())}
    names = [field.attname for field in model._meta.concrete_fields if field.name not in left_out]
    rows = standing(model, when).filter(**filters).order_by().values_list(*names)
    return [model.from_db(None, names, row) for row in rows]


def records_of(model, rows, leave_out=()):
    """Historical rows of `model` already read (a page of `standing(...)`) as instances of the live model, their
    fields as they were, as `records_as_of` builds them (the derived columns and `leave_out` left out): no query
    of its own."""
    left_out = {*leave_out, *getattr(model, "DERIVED_FIELDS", ())}
    names = [field.attname for field in model._meta.concrete_fields if field.name not in left_out]
    return [model.from_db(None, names, [getattr(row, name) for name in names]) for row in rows]


def history_begins(model, using=None):
    """When the change history of `model` begins (its oldest version's date), or None when it holds none: before
    it, `standing` finds nothing, which says nothing about whether records existed then. One query, on the
    index of `history_date`."""
    manager = history_of(model).objects.using(using) if using else history_of(model).objects
    return manager.order_by("history_date").values_list("history_date", flat=True).first()
