"""The record as it stood at a moment, read from the change history (django-simple-history).

Every curated model keeps a historical table (`Model.history.model`) with one row per version:
the record's fields as they were, `history_date`, `history_type` ("+" created, "~" changed,
"-" deleted). The record as it stood at `when` is, for each key, its newest version at or before
`when`, unless that version is a deletion. `standing(model, when)` is that set as a queryset of
historical rows: one query whatever the history's length, so a page or an export that reads the
past asks as many questions as one that reads the present.

This is the one home of that rule: snapshots (`snapshot export --as-of`), the public pages and the
API's reads (`?as_of=`) all read the past through it.
"""

from django.db.models import Exists, OuterRef, Q


def history_of(model):
    """The historical model that django-simple-history keeps for `model`."""
    return model.history.model


def standing(model, when, using=None):
    """Historical rows of `model` as they stood at `when`: the newest version of each record, deletions left out.

    A version is the newest at `when` when no other version of the same record is later and still at
    or before `when` (ties on the same instant broken by `history_id`, the insertion order).
    """
    historical = history_of(model)
    key = model._meta.pk.attname
    manager = historical.objects.using(using) if using else historical.objects
    later = manager.filter(**{key: OuterRef(key)}, history_date__lte=when).filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
    )
    return manager.filter(history_date__lte=when).exclude(history_type="-").filter(~Exists(later))


def records_as_of(model, when, *, leave_out=(), **filters):
    """Instances of `model` built from its rows `standing` at `when` (and `filters`), one query, no other.

    Each is an unsaved-looking instance of the live model (`Model.from_db`) carrying its fields as they
    were then; a relation is only an id (`<field>_id`): the caller joins the past rows it read itself
    and assigns them, never a live related manager. Fields in `leave_out` (a statement's text) are not
    read; reading one later would ask the live table, so a past page never does.
    """
    names = [field.attname for field in model._meta.concrete_fields if field.name not in leave_out]
    rows = standing(model, when).filter(**filters).order_by().values_list(*names)
    return [model.from_db(None, names, row) for row in rows]


def history_begins(model, using=None):
    """When the change history of `model` begins (its oldest version's date), or None when it holds none: before
    it, `standing` finds nothing, which says nothing about whether records existed then. One query, on the
    index of `history_date`."""
    manager = history_of(model).objects.using(using) if using else history_of(model).objects
    return manager.order_by("history_date").values_list("history_date", flat=True).first()
