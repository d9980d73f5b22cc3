"""Natural keys, row versions, row locks and attributed history: what every curated model stands on.

A curated record is addressed by its natural key in fixtures, snapshots and the API, carries a
version that changes with any stored value (the API's ETag, the admin's stale-form guard), and can
be locked for a check-then-write. No domain owns this; every domain app's models inherit it.
"""

import datetime
import decimal
import hashlib
import json
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords


class NaturalKeyModel(models.Model):
    """A model whose natural key, for fixtures and snapshots, is declared once as ORM lookups.

    `NATURAL_KEY` lists them in order, `("slug",)` unless a model says otherwise.
    `natural_key()` reads them from an instance, `NaturalKeyQuerySet.get_by_natural_key()`
    filters by them, and snapshots sort and refer to records by them. Dates are written
    as ISO text, as in a fixture.
    """

    NATURAL_KEY: tuple[str, ...] = ("slug",)
    # The fields a curator writes, in the order forms and API answers show them. The admin, the
    # serializers, the seed builder's allowed keys and the ingest forms read it (`curated_fields()`).
    CURATED_FIELDS: tuple[str, ...] = ()
    # The reverse relations whose rows the record's page shows and edits with it (a pledge's entries):
    # its version covers them too (`field_versions`).
    VERSIONED_CHILDREN: tuple[str, ...] = ()
    # Columns the database derives from other rows (a commitment's latest status): not curated, so a
    # snapshot leaves them out and restore lets the database fill them in.
    DERIVED_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def curated_fields(
        cls, *, without: tuple[str, ...] = (), after: str | None = None, add: tuple[str, ...] = ()
    ) -> list[str]:
        """The curated fields less `without`, with `add` inserted after the field `after` (or at the end)."""
        fields = [name for name in cls.CURATED_FIELDS if name not in without]
        at = fields.index(after) + 1 if after else len(fields)
        return [*fields[:at], *add, *fields[at:]]

    def natural_key(self):
        return tuple(self._natural_key_part(lookup) for lookup in self.NATURAL_KEY)

    def _natural_key_part(self, lookup):
        value = self
        for name in lookup.split("__"):
            value = getattr(value, name)
            if value is None:
                return None
        return value.isoformat() if isinstance(value, datetime.date) else value

    def field_versions(self, children=None):
        """{column: a short digest of its stored value} for every column of the row, in order; then
        {relation: a digest of its rows} for each of `VERSIONED_CHILDREN` (one query each, unless
        `children` gives them: {relation: {pk: rows}}, as `versions_of` reads them for many records)."""
        versions = {
            field.attname: _digest(self._meta.label, field.attname, field.value_from_object(self))
            for field in self._meta.concrete_fields
        }
        for name in self.VERSIONED_CHILDREN:
            rows = self._children_rows(name) if children is None else children[name].get(self.pk, [])
            versions[name] = _digest(self._meta.label, name, rows)
        return versions

    @classmethod
    def versions_of(cls, records):
        """{pk: version()} of many records of this model, their child rows read in one query per relation."""
        pks = [record.pk for record in records if record.pk is not None]
        children = {name: cls._children_rows_of(name, pks) for name in cls.VERSIONED_CHILDREN}
        return {record.pk: "".join(record.field_versions(children).values()) for record in records}

    def _children_rows(self, name):
        """Every stored value of the rows of the reverse relation `name`, in primary key order."""
        if self.pk is None:
            return []
        return type(self)._children_rows_of(name, [self.pk]).get(self.pk, [])

    @classmethod
    def _children_rows_of(cls, name, pks):
        """{pk: every stored value of its rows of the reverse relation `name`, in primary key order}."""
        if not pks:
            return {}
        relation = cls._meta.get_field(name)
        model, parent = relation.related_model, relation.field.attname
        columns = [field.attname for field in model._meta.concrete_fields]
        at = columns.index(parent)
        lookup = {parent: pks[0]} if len(pks) == 1 else {f"{parent}__in": pks}
        rows = model._base_manager.filter(**lookup).order_by(parent, "pk").values_list(*columns)
        found = {}
        for row in rows:
            found.setdefault(row[at], []).append([_canonical(value) for value in row])
        return found

    def version(self):
        """The record's version: it changes whenever any stored value of the row changes, or of the rows
        its page shows with it (`VERSIONED_CHILDREN`: a pledge's entries, a commitment's assessments
        and places in pledges).

        The API sends it as the ETag that PUT, PATCH and DELETE must send back (If-Match), and the
        admin's change form carries it, so an edit made on a stale copy is refused instead of saved
        over a newer one. It is made of a digest per column (and per child relation), so that a stale
        version still tells what changed since (`changed_since`). Digests rather than a counter
        column: every write changes it, whatever path it takes (a form, the API, a service, a queryset
        update, a restore), the child rows' too, with no column to keep in step.
        """
        return "".join(self.field_versions().values())

    def changed_since(self, version):
        """The columns (and child relations) whose stored value differs from the one `version` was
        taken of (all of them when `version` is not a version of this kind of record)."""
        current = self.field_versions()
        width = len(next(iter(current.values())))
        if not isinstance(version, str) or len(version) != width * len(current):
            return list(current)
        parts = [version[i : i + width] for i in range(0, len(version), width)]
        return [name for (name, digest), old in zip(current.items(), parts, strict=True) if digest != old]

    def refresh_locked(self):
        """Lock the row until the transaction ends and re-read it, so that a check-then-write is atomic.

        PostgreSQL locks the row (SELECT … FOR UPDATE); on SQLite the write transaction, begun
        IMMEDIATE, already holds the database. Raises DoesNotExist when the row is gone.
        """
        if not list(type(self)._base_manager.select_for_update().filter(pk=self.pk).values_list("pk", flat=True)):
            raise self.DoesNotExist(f"{self._meta.label} {self.pk} no longer exists.")
        self.refresh_from_db()

    def validate_check_constraints(self):
        """Validate the row against its check constraints; unique ones are `unique_conflicts()`."""
        errors = []
        for constraint in self._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                continue
            try:
                constraint.validate(type(self), self)
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)

    def unique_conflicts(self):
        """{field: messages} for each value of this row that another row already holds where it must be
        unique (unique fields and unique constraints; a constraint is named by its last field)."""
        errors = {}
        try:
            self.validate_unique()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        for constraint in self._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields:
                continue
            try:
                constraint.validate(type(self), self)
            except ValidationError as exc:
                errors.setdefault(constraint.fields[-1], []).extend(exc.messages)
        return errors


# The model a natural-key QuerySet holds; a subclass names it (`NaturalKeyQuerySet["Meeting"]`).
_M = TypeVar("_M", bound=NaturalKeyModel)


class NaturalKeyQuerySet(models.QuerySet[_M]):
    """Rows found by their natural key: the lookups their model declares in `NATURAL_KEY`."""

    def get_by_natural_key(self, *key: Any) -> _M:
        return self.get(**dict(zip(self.model.NATURAL_KEY, key, strict=True)))


def _digest(label, name, value):
    text = json.dumps([label, name, _canonical(value)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _canonical(value):
    """A stored value as the same text however it was read: 68, 68.00 and 68.0000 are one amount."""
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return str(value)


class AttributedHistory(models.Model):
    """The base of every historical model (`HistoricalRecords(bases=[AttributedHistory])`).

    Besides who (`history_user`) and when, a change records the dashboard token it came through,
    as the token's list in the admin names it ("Budget dashboard (AbCd1234…)"): kept as text, so that it
    stays what it was when the token is later renamed or deleted. Empty for a change made in the
    admin, by a command, or through the API with a signed-in session. Set by api.history.
    """

    history_token = models.CharField(
        max_length=120, blank=True, default="", help_text="The dashboard token the change was made with, if any."
    )

    class Meta:
        abstract = True


class TrackedHistory(HistoricalRecords):
    """The change history every curated model keeps: simple-history's, with the index the past is read by.

    `core.as_of.standing` asks, for each version, whether a later one of the same record exists
    (at or before a moment): an index on (record id, history_date, history_id) answers that with one
    range probe, whatever the history's length (an as-of export at 100k commitments with ten
    versions each: 88 s without it, 45 s with it, against 24 s for the present's export; SQLite).
    """

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        key = model._meta.pk.attname
        index = models.Index(fields=[key, "history_date", "history_id"], name=f"hist_{model._meta.model_name}_asof")
        meta["indexes"] = (*meta.get("indexes", ()), index)
        return meta
