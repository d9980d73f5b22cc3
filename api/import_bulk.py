"""The bulk path of a commitments import: every rule of the row-by-row path, a fixed number of queries.

The row-by-row path (`import_resources.Commitments`) writes each row through CommitmentSerializer:
about two dozen queries a row (the statement and line of effort by slug, the statement's text to
find the quote, the commitment's places in pledges, one query per check constraint, the unique
check, the save and its history row). This path validates each row with the same serializer's
fields, the same `validate()` (quotes found by `resolve_span`) and the same `check_rules()` (the
model's full_clean and clean()), in memory, from what a chunk of rows names read in one query
each: statements with their texts (each once per import), the lines of effort, which stored
commitments are in a pledge. A chunk's check constraints are asked of the database in one query
(`core.constraints`). Then, if no row is refused, the rows are written in bulk (the creates as
`bulk_create` writes them, the changes with `bulk_update`) and their history rows in bulk, with the
user and reason of the import (`core.attribution`), in the import's one transaction.

Uniqueness needs no query of its own: a commitment's key is its slug, so a row whose slug is
stored is a change of that record, a row whose slug is not is a create, and two rows with one slug
are refused as the same record; the chunk's `load()` is the slug query. Should another write take a
slug meanwhile, the database refuses the insert and the whole import rolls back.

A fast path: `tests/test_import_bulk.py` holds it to the row-by-row path (docs/benchmark.md).
"""

import datetime
import re
from typing import Any

from django.db import connections
from django.utils import timezone
from django.utils.encoding import smart_str
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from changes.recording import record_reset
from commitments.models import Commitment, LineOfEffort, ThreadEntry
from core.attribution import current_attribution
from core.constraints import failing_check_constraints
from meetings.models import Statement

from .errors import as_drf_error
from .import_resources import Commitments, Outcome, form_data, fresh_offsets, refusal
from .renderers import cell
from .serializers import CommitmentSerializer

# The references a row names by slug: the records are the ones just read, so full_clean need not look them up.
REFERENCES = ("statement", "line_of_effort")
# Values (exact types) whose DRF validation, model-field cleaning and display cell depend on the value and
# the field alone: each distinct value of a column is checked once an import and the outcome reused.
PLAIN_TYPES = frozenset({str, int, bool, datetime.date, type(None)})
# The DRF field types whose `run_validation` of a text cell depends on the cell alone (no context).
PLAIN_FIELDS = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.ChoiceField,
    serializers.BooleanField,
    serializers.DateField,
    serializers.DecimalField,
)
MISSING = object()


def remembered(run_validation: Any) -> Any:
    """A field's `run_validation` that validates each distinct text cell once: a value it accepted is
    returned again (the same immutable value); a refused one is refused afresh each time, with its message."""
    accepted: dict[str, Any] = {}

    def run(data: Any = serializers.empty) -> Any:
        if type(data) is not str:
            return run_validation(data)
        value = accepted.get(data, MISSING)
        if value is MISSING:
            value = accepted[data] = run_validation(data)
        return value

    return run


class PreloadedSlugField(serializers.SlugRelatedField):
    """A slug looked up in the records the chunk read (`context["preloaded"][field name]`), not one query
    per row; an unknown slug is refused with SlugRelatedField's own message."""

    def to_internal_value(self, data: Any) -> Any:
        found = self.context["preloaded"][self.field_name].get(smart_str(data))
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return found


class SurrogateCheck(ProhibitSurrogateCharactersValidator):
    """DRF's refusal of a surrogate character (its message, its code, the first one named), found by one
    regular expression search instead of a Python generator over every character of every cell."""

    SURROGATE = re.compile("[\ud800-\udfff]")

    def __call__(self, value: Any) -> None:
        found = self.SURROGATE.search(str(value))
        if found is not None:
            raise serializers.ValidationError(self.message.format(code_point=ord(found.group())), code=self.code)


class PreloadedCommitmentSerializer(CommitmentSerializer):
    """CommitmentSerializer with its two slugs read from preloaded records, DRF's surrogate check found
    faster (`SurrogateCheck`) and each distinct text cell of a plain field validated once (`remembered`:
    an import's columns repeat a few values thousands of times); every other field and rule its own."""

    statement = PreloadedSlugField(slug_field="slug", queryset=Statement.objects.none())
    line_of_effort = PreloadedSlugField(slug_field="slug", queryset=LineOfEffort.objects.none())

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [
                SurrogateCheck() if type(v) is ProhibitSurrogateCharactersValidator else v for v in field.validators
            ]
            pure = not any(getattr(v, "requires_context", False) for v in field.validators)
            if isinstance(field, PLAIN_FIELDS) and pure and not field.read_only:
                field.run_validation = remembered(field.run_validation)  # type: ignore[method-assign]
        return fields


class BulkCommitments(Commitments):
    """Commitments validated row by row in memory and written in bulk once every row passed.

    A fast path (docs/benchmark.md, *Fast paths*): held to the row-by-row path by tests/test_import_bulk.py,
    timed against loaddata by `make bench` (`import commitments (CSV) vs loaddata of the same records`).
    """

    writes_per_row = False  # nothing is written while rows are read: no savepoint per row

    def __init__(self) -> None:
        super().__init__()
        self.statements: dict[str, Statement] = {}
        self.lines: dict[str, LineOfEffort] | None = None
        self.validator = PreloadedCommitmentSerializer(context={"preloaded": {"statement": self.statements}})
        self.pledged: set[int] = set()
        self.pending_chunk: tuple[list, dict] | None = None
        self.chunk: list[tuple[str, Commitment]] = []  # this chunk's valid rows: (slug, record)
        self.creates: list[Commitment] = []
        self.updates: list[Commitment] = []
        self.updated_fields: set[str] = set()
        # A created record's display cells: each writable column is one model field's attribute, set just
        # now from the validated value, so DRF's get_attribute (nested sources, callables, missing
        # attributes) comes down to getattr; the field's own to_representation writes it, as `cell_of`.
        self.readers = {
            name: (field.source, field.to_representation)
            for name, field in self.fields.items()
            if name in self.writable and len(field.source_attrs) == 1
        }
        self.cells: dict[tuple, str] = {}  # (column, type, value): a created record's display cell
        # The model's own fields that full_clean cleans (the references are the records just read), and
        # the (attname, type, value) each has already accepted, unchanged, this import.
        self.plain_fields = [
            f for f in Commitment._meta.concrete_fields if not f.is_relation and f.name not in REFERENCES
        ]
        self.accepted: set[tuple] = set()

    def prepare(self, rows: list[tuple[int, dict[str, str]]], stored: dict[tuple, Commitment]) -> None:
        """A new chunk: what its rows name is read when the first of them is applied (a chunk of unchanged
        rows reads nothing more)."""
        self.pending_chunk = (rows, stored)

    def _read_chunk(self) -> None:
        """Read what the chunk's rows name: statements not read yet (with their texts), the lines of effort
        (once), which of its stored commitments are in a pledge. Stored records get their full statement."""
        assert self.pending_chunk is not None  # noqa: S101 - called only while a chunk waits
        rows, stored = self.pending_chunk
        self.pending_chunk = None
        if self.lines is None:
            self.lines = {line.slug: line for line in LineOfEffort.objects.all()}
            self.validator.context["preloaded"]["line_of_effort"] = self.lines
        wanted = {cells.get("statement") for _, cells in rows} | {obj.statement.slug for obj in stored.values()}
        missing = {slug for slug in wanted if slug and slug not in self.statements}
        if missing:
            self.statements.update((s.slug, s) for s in Statement.objects.filter(slug__in=missing))
        for obj in stored.values():
            obj.statement = self.statements[obj.statement.slug]
        ids = [obj.pk for obj in stored.values()]
        self.pledged |= set(ThreadEntry.objects.filter(commitment_id__in=ids).values_list("commitment_id", flat=True))

    def apply(self, obj: Any, cells: dict[str, str], old: dict[str, str], user: Any) -> Outcome:
        if self.pending_chunk is not None:
            self._read_chunk()
        cells = fresh_offsets(obj, cells, old)
        self.validator.instance, self.validator.partial = obj, obj is not None
        try:
            validated = self.validator.run_validation(form_data(cells))
        except serializers.ValidationError as exc:
            raise refusal(serializers.ValidationError(exc.detail)) from None
        changes = self.changes(obj, validated, old)
        if obj is not None and not changes:
            return Outcome("unchanged")
        record = obj if obj is not None else Commitment()
        stored_statement = record.statement_id
        for name, value in validated.items():
            setattr(record, name, value)
        if obj is not None:
            record.pledge_facts = (stored_statement, obj.pk in self.pledged)
        self.check_rules(record)
        self.chunk.append((record.slug, record))
        if obj is None:
            return Outcome("create", [(name, "", self.created_cell(record, name)) for name in cells])
        self.updated_fields.update(validated)
        return Outcome("change", changes)

    def check_rules(self, record: Commitment) -> None:
        """CommitmentSerializer's `check_rules` (full_clean and clean(); the chunk's check constraints are
        asked at once), with each model field's cleaning of a value it has already accepted unchanged this
        import left out (`exclude`): that field's own check, which depends on the value alone, once a value."""
        exclude, fresh = set(REFERENCES), []
        for model_field in self.plain_fields:
            value = getattr(record, model_field.attname)
            if type(value) not in PLAIN_TYPES:
                continue
            key = (model_field.attname, type(value), value)
            if key in self.accepted:
                exclude.add(model_field.name)
            else:
                fresh.append(key)
        try:
            self.validator.check_rules(record, constraints=False, exclude=exclude)
        except serializers.ValidationError as exc:
            raise refusal(exc) from None
        for attname, kind, value in fresh:  # accepted, and left as it was (cleaning converted nothing)
            after = getattr(record, attname)
            if type(after) is kind and after == value:
                self.accepted.add((attname, kind, value))

    def created_cell(self, record: Commitment, name: str) -> str:
        """`cell_of(record, name)` of a record just built from validated values (each distinct plain value's
        cell written once a column)."""
        if name not in self.readers:
            return self.cell_of(record, name)
        source, to_representation = self.readers[name]
        value = getattr(record, source)
        if type(value) not in PLAIN_TYPES:
            return cell(to_representation(value))
        key = (name, type(value), value)
        found = self.cells.get(key)
        if found is None:
            found = self.cells[key] = cell(None if value is None else to_representation(value))
        return found

    def finish_chunk(self) -> dict[str, list[tuple[str, str]]]:
        """{slug: errors} of the chunk's rows that break a check constraint (one query); the rest wait
        to be written."""
        records = [record for _, record in self.chunk]
        failed = failing_check_constraints(records)
        refused = {}
        for index, (slug, record) in enumerate(self.chunk):
            if index in failed:
                refused[slug] = refusal(as_drf_error(failed[index])).errors
            else:
                (self.updates if record.pk else self.creates).append(record)
        self.chunk = []
        return refused

    def write(self) -> None:
        """The valid rows and their history rows, in bulk, attributed as the import attributes its writes."""
        user, reason = current_attribution() or (None, "")
        if self.creates:
            prepared = insert_returning_pks(self.creates)
            insert_history(self.creates, "+", user, reason, prepared)
        if self.updates:
            Commitment.objects.bulk_update(self.updates, fields=sorted(self.updated_fields))
            insert_history(self.updates, "~", user, reason)
        if self.creates or self.updates:
            # History rows written in bulk send no signal, so the change feed records no change per row:
            # one `reset` tells its readers to read the lists again, as a snapshot restored does.
            record_reset(f"{reason}: {len(self.creates)} commitments created, {len(self.updates)} changed")


def insert_returning_pks(records: list[Commitment]) -> list[dict[str, Any]] | None:
    """New commitments inserted as `bulk_create` inserts them (every concrete field but the id, its
    `pre_save` value prepared for the database, as many rows a statement as the backend's
    `bulk_batch_size`, the ids read back with RETURNING), from one statement text per batch size
    instead of compiling every value: Django's compiler took most of the write's time. Returns each
    record's values as prepared for the database, {attname: value} but the id, for its history row."""
    connection = connections[Commitment.objects.db]
    if not connection.features.can_return_rows_from_bulk_insert:
        Commitment.objects.bulk_create(records)
        return None
    meta = Commitment._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key and not field.generated]
    pk = meta.pk
    quote = connection.ops.quote_name
    returning, _ = connection.ops.return_insert_columns([pk])
    head = "INSERT INTO {} ({}) ".format(quote(meta.db_table), ", ".join(quote(field.column) for field in fields))
    batch = max(1, connection.ops.bulk_batch_size(fields, records))
    row = ["%s"] * len(fields)
    attnames = [field.attname for field in fields]
    prepared = []
    with connection.cursor() as cursor:
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            values = connection.ops.bulk_insert_sql(fields, [row] * len(chunk))
            rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in chunk]
            cursor.execute(f"{head}{values} {returning}", [value for one in rows for value in one])
            returned = connection.ops.fetch_returned_insert_rows(cursor)
            for obj, one, (new_pk,) in zip(chunk, rows, returned, strict=True):
                obj.pk = new_pk
                obj._state.adding, obj._state.db = False, connection.alias
                prepared.append(dict(zip(attnames, one, strict=True)))
    return prepared


def insert_history(
    records: list[Commitment],
    history_type: str,
    user: Any,
    reason: str,
    prepared: list[dict[str, Any]] | None = None,
) -> None:
    """Their history rows, as simple-history's `bulk_history_create` writes them (every tracked field, the
    user, the reason, the type; `history_token` empty: an import comes through no dashboard token), in one
    `executemany` rather than model instances compiled by `bulk_create` (most of the write's time).

    `prepared`: each record's values as its own insert just prepared them (`insert_returning_pks`), taken
    as they are where the history's field is of the same kind as the record's (its copy in the history)."""
    history = Commitment.history.model
    connection = connections[Commitment.objects.db]
    given = {
        "history_date": timezone.now(),
        "history_user_id": user.pk if user is not None else None,
        "history_change_reason": reason[:100],
        "history_type": history_type,
    }
    tracked = {field.attname for field in history.tracked_fields}
    fields = [field for field in history._meta.concrete_fields if not field.primary_key]
    missing = [f.attname for f in fields if f.attname not in given and f.attname not in tracked]
    constant = {**{name: history._meta.get_field(name).get_default() for name in missing}, **given}
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - quoted names, values as parameters
        quote(history._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    fixed = {name: history._meta.get_field(name).get_db_prep_save(v, connection) for name, v in constant.items()}
    source = {field.attname: field for field in Commitment._meta.concrete_fields}
    # A tracked field whose history copy prepares a value as the record's own field does (the same class).
    reused = {f.attname for f in fields if f.attname in source and type(f) is type(source[f.attname])}
    named = [(field, field.attname) for field in fields]
    if prepared is None:
        reused, prepared = set(), [{}] * len(records)
    rows = [
        [
            fixed[name]
            if name in fixed
            else values[name]
            if name in reused
            else field.get_db_prep_save(getattr(record, name), connection)
            for field, name in named
        ]
        for record, values in zip(records, prepared, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


BULK_RESOURCES = {BulkCommitments.name: BulkCommitments}
