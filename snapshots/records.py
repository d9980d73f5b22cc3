"""What a snapshot is and how its records are written; export, verify, diff and restore build on this.

A snapshot is a folder of three files:

    fixture.jsonl   every curated record, one JSON object a line: a Django fixture that plain
                    `loaddata` reads into an empty database
    history.jsonl   only with `with_history`: the change history (django-simple-history rows)
    manifest.json   counts per model, SHA-256 of each file and of every statement text, the
                    applied migrations, the app version and the export time

Determinism. Two exports of the same data are byte-identical, whatever the database engine and
primary keys: records come model by model in dependency order, each model's rows sorted by
natural key in code-point order (a binary collation, so PostgreSQL's locale does not reorder
them); records have no `pk` (natural primary keys) and refer to others by natural key; every
value is written by this module, not by the database driver (decimals at the field's scale,
ISO dates), as compact JSON with sorted keys. The fixture is byte-identical; the manifest
differs only by its export time and, since the digest and signature cover that time too, by
those two.

History rows are keyed by what they record, not by ids: a row holds the tracked object's fields
as they were at that version (so its natural key, e.g. its slug, is among them), its
`history_date` (UTC, microseconds), `history_type`, `history_change_reason` and `history_token`
(the dashboard token a change was made with, as text), and `history_user` as `[username]`.
Foreign keys are the referenced object's natural key, taken from the live table or, for an
object deleted since, from its latest history row. The ids (`history_id`, the object's `id`)
are left out: they are primary keys of one database.
Rows are ordered by model, then `history_date`, then insertion order. History is evidence kept
in the snapshot (hashed, counted and verified); `diff` compares the curated records only, and
`restore` loads the curated records only, so a restored database starts its own history.

Memory: export and restore stream record by record. Verify and diff stream too, but verify keeps
the set of natural keys (to check references) and the statement texts (to check quotes).

Columns the database derives from other rows (`DERIVED_FIELDS`: a commitment's latest status) are
not records: they are left out, and loading the records derives them again.

Natural keys are each model's own (`NATURAL_KEY`, see `meetings.models.NaturalKeyModel`): this
module reads them from the models and never restates them.
"""

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.db import connections, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Collate
from django.utils import timezone

# The format this tracker writes. Format 2 puts the export time inside the manifest's digest and
# signature; format 1 (the previous one) kept it outside, and is still read (see files.manifest_digest).
FORMAT = "commitment-tracker-snapshot/2"
FORMAT_1 = "commitment-tracker-snapshot/1"
READABLE_FORMATS = (FORMAT, FORMAT_1)
FIXTURE = "fixture.jsonl"
HISTORY = "history.jsonl"
MANIFEST = "manifest.json"

# The curated models; `curated_models()` sorts them by dependency.
CURATED = (
    "meetings.meeting",
    "meetings.statement",
    "meetings.member",
    "meetings.participation",
    "meetings.figure",
    "commitments.lineofeffort",
    "commitments.thread",
    "commitments.commitment",
    "commitments.threadentry",
    "commitments.pledgelink",
    "commitments.assessmentcycle",
    "commitments.evidence",
    "commitments.assessment",
    "commitments.assessmentevidence",
    # After the evidence rows: their rules read the assessment's evidence, loaded by then.
    "commitments.memberscore",
    "commitments.moneystage",
)

# Collations that compare UTF-8 bytes, i.e. code points, as Python compares str.
BINARY_COLLATIONS = {"postgresql": "C", "sqlite": "BINARY", "mysql": "utf8mb4_bin"}

# Rows fetched from the database at a time while streaming.
CHUNK_SIZE = 2_000
# Fewer at a time for models with a verbatim text in each row: a chunk of statements is megabytes.
WIDE_ROWS_CHUNK_SIZE = 20
WIDE_ROWS = {"meetings.statement"}


def chunk_size_of(label):
    """How many of a model's records to hold at a time, reading or writing: few where each row is a text."""
    return WIDE_ROWS_CHUNK_SIZE if label in WIDE_ROWS else CHUNK_SIZE


# json.dumps leaves these raw, but str.splitlines() breaks lines at them: escape them so that any
# reader of JSON Lines sees one record a line.
_LINE_BREAK_ESCAPES = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class SnapshotError(Exception):
    """A snapshot cannot be read, written or loaded; the message says which and why."""


class SnapshotRefused(SnapshotError):
    """A snapshot fails verification; `failures` lists every problem found."""

    def __init__(self, directory, failures):
        self.failures = failures
        lines = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(f"Snapshot {directory} fails verification ({len(failures)} problem(s)):\n{lines}")


@cache
def curated_models():
    """The curated models, each after the models its records refer to (as dumpdata orders them)."""
    return tuple(serializers.sort_dependencies([(None, [apps.get_model(label) for label in CURATED])]))


def label_of(model):
    return model._meta.label_lower


@cache
def natural_key_lookups(label):
    """A model's natural key as ORM lookups: what its rows are sorted by and how references are written.

    The curated models declare theirs once, as `NATURAL_KEY`; history rows name users by username.
    Cached: read for every reference of every record (verify, restore).
    """
    model = apps.get_model(label)
    if model is get_user_model():
        return (model.USERNAME_FIELD,)
    return model.NATURAL_KEY


def describe(label, key):
    """A record's name in messages: `model slug`, or `model (a, b)` for a composite natural key."""
    parts = ["none" if part is None else str(part) for part in key]
    return f"{label} {parts[0]}" if len(parts) == 1 else f"{label} ({', '.join(parts)})"


def _final_field(model, lookup):
    """The field a `a__b__c` lookup ends on."""
    *relations, name = lookup.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _sorted_by(model, lookup, vendor):
    """An ORDER BY term that sorts as Python sorts: text in code-point order, NULLs first."""
    expression = F(lookup)
    if isinstance(_final_field(model, lookup), models.CharField | models.TextField):
        try:
            expression = Collate(expression, BINARY_COLLATIONS[vendor])
        except KeyError:
            raise SnapshotError(
                f"No binary collation is known for {vendor}: snapshots would not sort stably."
            ) from None
    return expression.asc(nulls_first=True)


def _converter(model_field):
    """A function writing a field's value the same way whatever the engine returned it as."""
    if isinstance(model_field, models.DecimalField):
        # SQLite and PostgreSQL return decimals at different scales: write them at the field's.
        quantum = Decimal(1).scaleb(-model_field.decimal_places)
        return lambda value: None if value is None else format(value.quantize(quantum), "f")
    if isinstance(model_field, models.DateTimeField):
        return lambda value: (
            None
            if value is None
            else (value.astimezone(datetime.UTC) if timezone.is_aware(value) else value).isoformat(
                timespec="microseconds"
            )
        )
    if isinstance(model_field, models.DateField | models.TimeField):
        return lambda value: None if value is None else value.isoformat()
    if isinstance(model_field, models.BooleanField):
        return lambda value: None if value is None else bool(value)
    return lambda value: value


@dataclass
class _Spec:
    """How one model's rows are read (columns of one streaming query) and written (fields of a record)."""

    label: str
    model: type
    annotations: dict
    columns: list
    # Lookups for text are sorted in a binary collation, which depends on the engine.
    order_by: list
    # (field name, slice of columns, kind, converter): kind is "value" or "reference".
    outputs: list = field(default_factory=list)

    def count(self, using):
        return self.model._default_manager.using(using).count()

    def rows(self, using):
        """The model's records as field dicts, streamed in snapshot order."""
        vendor = connections[using].vendor
        query = (
            self.model._default_manager.using(using)
            .annotate(**self.annotations)
            .order_by(*(_sorted_by(self.model, lookup, vendor) for lookup in self.order_by))
            .values_list(*self.columns)
        )
        for row in query.iterator(chunk_size=chunk_size_of(self.label)):
            yield self.fields_of(row)

    def fields_of(self, row):
        fields = {}
        for name, columns, kind, convert in self.outputs:
            values = row[columns]
            if kind == "value":
                fields[name] = convert(values[0])
            else:
                # The first column is the foreign key's id: NULL means no reference at all.
                # A natural key may hold a date (an assessment's): written as ISO text, as in a fixture.
                fields[name] = None if values[0] is None else [key_part(value) for value in values[1:]]
        return fields


def key_part(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _add_column(spec, name, lookups, kind, convert=None):
    start = len(spec.columns)
    spec.columns.extend(lookups)
    spec.outputs.append((name, slice(start, len(spec.columns)), kind, convert))


@cache
def fixture_spec(label):
    """How a curated model's rows are written in fixture.jsonl."""
    model = apps.get_model(label)
    if model._meta.many_to_many:
        raise SnapshotError(f"{label} has many-to-many fields, which snapshots do not write yet.")
    spec = _Spec(
        label=label,
        model=model,
        annotations={},
        columns=[],
        order_by=list(natural_key_lookups(label)),
    )
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in getattr(model, "DERIVED_FIELDS", ()):
            continue
        if model_field.is_relation:
            target = label_of(model_field.related_model)
            lookups = [model_field.attname] + [f"{model_field.name}__{key}" for key in natural_key_lookups(target)]
            _add_column(spec, model_field.name, lookups, "reference")
        else:
            _add_column(spec, model_field.name, [model_field.attname], "value", _converter(model_field))
    return spec


@cache
def history_spec(label):
    """How a curated model's history rows are written in history.jsonl (see the module docstring)."""
    model = apps.get_model(label)
    historical = model.history.model
    spec = _Spec(
        label=label_of(historical),
        model=historical,
        annotations={},
        columns=[],
        order_by=["history_date", "history_id"],
    )
    for model_field in historical._meta.concrete_fields:
        if model_field.primary_key or model_field.name == model._meta.pk.name:
            continue
        if not model_field.is_relation:
            _add_column(spec, model_field.name, [model_field.attname], "value", _converter(model_field))
            continue
        target = model_field.related_model
        lookups = [model_field.attname]
        if hasattr(target, "history") and label_of(target) in CURATED:
            # The history table keeps ids of objects that may since have been deleted: fall back on
            # the natural key their own latest history row recorded.
            for index, key in enumerate(natural_key_lookups(label_of(target))):
                # A key through a relation (an assessment's `commitment__slug`) follows it from the
                # history row too: the related record is protected, so it is still there.
                live = target._default_manager.filter(pk=OuterRef(model_field.attname)).values(key)[:1]
                recorded = (
                    target.history.model._default_manager.filter(
                        **{target._meta.pk.name: OuterRef(model_field.attname)}
                    )
                    .order_by("-history_date", "-history_id")
                    .values(key)[:1]
                )
                alias = f"_key_{model_field.name}_{index}"
                spec.annotations[alias] = Coalesce(Subquery(live), Subquery(recorded))
                lookups.append(alias)
        else:
            lookups += [f"{model_field.name}__{key}" for key in natural_key_lookups(label_of(target))]
        _add_column(spec, model_field.name, lookups, "reference")
    return spec


@cache
def reference_fields(label):
    """{field name: target label} of a curated model's foreign keys (cached: read for every record; not to be
    changed by its callers)."""
    model = apps.get_model(label)
    return {f.name: label_of(f.related_model) for f in model._meta.concrete_fields if f.is_relation}


def record_key(label, fields):
    """A record's natural key, read from its fields (references hold the target's natural key).

    Raises KeyError, IndexError or TypeError for a record whose key cannot be read.
    """
    key = []
    for lookup in natural_key_lookups(label):
        name, _, rest = lookup.partition("__")
        value = fields[name]
        if rest:
            target = reference_fields(label)[name]
            value = None if value is None else value[natural_key_lookups(target).index(rest)]
        if not (value is None or isinstance(value, str)):
            raise TypeError(f"natural key part {value!r} is not text")
        key.append(value)
    return tuple(key)


def sort_key(key):
    # NULLs first, as the export's ORDER BY puts them.
    return tuple((0, "") if part is None else (1, part) for part in key)


def dump_record(label, fields):
    """One record as its line of bytes in a snapshot file."""
    text = json.dumps({"fields": fields, "model": label}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_LINE_BREAK_ESCAPES).encode("utf-8") + b"\n"
