"""Restore: a verified snapshot loaded into the database, all or nothing."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models, transaction

from changes.recording import bulk_load

from .files import applied_migrations, read_lines, read_manifest
from .records import (
    CHUNK_SIZE,
    FIXTURE,
    WIDE_ROWS,
    WIDE_ROWS_CHUNK_SIZE,
    SnapshotError,
    SnapshotRefused,
    chunk_size_of,
    curated_models,
    describe,
    key_part,
    label_of,
    natural_key_lookups,
    record_key,
    reference_fields,
)
from .verify import verify_snapshot

# Progress every this many records loaded.
PROGRESS_EVERY = 10_000
# Values per `IN (...)` when resolving references: under SQLite's limit on query parameters.
LOOKUP_BATCH = 900


@dataclass
class RestoreResult:
    counts: dict
    deleted: dict
    dry_run: bool
    notes: list = dataclasses.field(default_factory=list)  # verify's: a signature not checked, an older format


def curated_counts(using=DEFAULT_DB_ALIAS):
    """{model: rows} of the curated models in a database."""
    return {label_of(model): model._default_manager.using(using).count() for model in curated_models()}


def _refuse_curated_records(using):
    """SnapshotError if the database holds any curated record: a snapshot is restored into an empty one."""
    existing = {label: n for label, n in curated_counts(using).items() if n}
    if existing:
        held = ", ".join(f"{label}: {n}" for label, n in existing.items())
        raise SnapshotError(
            f"The database already holds curated records ({held}). A snapshot is restored into an empty "
            "database; use --replace to delete these records first (in the same transaction)."
        )


def restore_snapshot(
    directory,
    *,
    replace=False,
    dry_run=False,
    expect_sha256=None,
    public_keys=(),
    check_origin=True,
    using=DEFAULT_DB_ALIAS,
    progress=None,
    phase=None,
):
    """Load a verified snapshot's records into the database, all or nothing; returns the counts loaded.

    Refuses, unless `replace`, a database that already holds curated records (loading over them
    would merge two states): checked first, before the snapshot is read, and again in the
    transaction that loads it. Then refuses a snapshot that fails verification (origin included,
    see `verify_snapshot`), one taken at migrations this database lacks, and any record the
    admin or the API would refuse (a value out of its choices, too long, a quote that is not its
    statement's text at its offsets, ...). With `replace` the curated records are deleted first,
    in the same transaction. `dry_run` loads everything and then rolls it back: nothing is kept.
    `phase(text)` is told of each step, `progress(label, done, total)` of the records.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)  # only the manifest: a folder that is no snapshot is named as such
    if not replace:
        _refuse_curated_records(using)
    verified = verify_snapshot(
        directory,
        expect_sha256=expect_sha256,
        public_keys=public_keys,
        check_origin=check_origin,
        phase=phase,
        progress=progress,
    )
    if not verified.ok:
        raise SnapshotRefused(directory, verified.failures)
    missing = sorted({tuple(m) for m in manifest["migrations"]} - {tuple(m) for m in applied_migrations(using)})
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in missing)
        raise SnapshotError(f"The snapshot was taken at migrations this database lacks ({names}): run migrate first.")
    total = sum(manifest["counts"].values())
    if phase is not None:
        first = "Deleting the curated records, then loading" if replace else "Loading"
        phase(f"{first} {total:,} records (one transaction)")
    try:
        counts, deleted = _restore_atomically(directory, replace, dry_run, using, total, progress)
    except _LoadFailed as failed:
        # Raised out of the atomic block, so everything written (and deleted) is rolled back by now.
        name = _name_of_line(directory / FIXTURE, failed.line)
        if isinstance(failed.error, ValidationError):
            error = failed.error
            by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            reason = "; ".join(
                f"{field}: {' '.join(messages)}" if field != NON_FIELD_ERRORS else " ".join(messages)
                for field, messages in by_field.items()
            )
            raise SnapshotError(
                f"{name}({FIXTURE} line {failed.line}) is refused, as the admin and the API would refuse it "
                f"({reason}); the database is unchanged."
            ) from failed.error
        raise SnapshotError(
            f"{name}({FIXTURE} line {failed.line}) cannot be loaded "
            f"({failed.error.__class__.__name__}: {failed.error}); the database is unchanged."
        ) from failed.error
    return RestoreResult(counts=counts, deleted=deleted, dry_run=dry_run, notes=verified.notes)


def _restore_atomically(directory, replace, dry_run, using, total, progress):
    """Delete (with `replace`) and load in one transaction; returns (counts loaded, counts deleted).

    Deleted and loaded wholesale: the change feed gets one `reset`, no change per record (docs/snapshots.md).
    """
    with transaction.atomic(using=using):
        if not replace:
            _refuse_curated_records(using)  # again: a record may have been added while the snapshot was verified
        deleted = {}
        with bulk_load("Snapshot restored"):
            if replace:
                # Children first: statements and commitments PROTECT what points at them.
                for model in reversed(curated_models()):
                    deleted[label_of(model)] = _delete_all(model, using)
            counts = _load_fixture(directory / FIXTURE, using, total, progress)
        if dry_run:
            transaction.set_rollback(True, using=using)
    return counts, deleted


def _delete_all(model, using):
    """Delete every record of `model`; how many went. Records that PROTECT one another (an assessment
    superseding another) go in waves, those no record of theirs points at first, as the load inserts them."""
    records = model._default_manager.using(using)
    pointing = [
        field.related_query_name()
        for field in model._meta.concrete_fields
        if field.many_to_one and field.remote_field.model is model
    ]
    if not pointing:
        return records.all().delete()[1].get(model._meta.label, 0)
    count, went = 0, None
    while went != 0:
        _, by_model = records.filter(**{f"{name}__isnull": True for name in pointing}).delete()
        went = by_model.get(model._meta.label, 0)
        count += went
    # Anything left would be a cycle, which the rules forbid: deleting it raises ProtectedError, as before.
    return count + records.all().delete()[1].get(model._meta.label, 0)


class _LoadFailed(Exception):
    """A fixture line the database refused; raised inside the restore's transaction so that it rolls back."""

    def __init__(self, line, error):
        super().__init__(line, error)
        self.line = line
        self.error = error


def _load_fixture(path, using, total, progress):
    """Insert every record of a verified fixture, model by model, a chunk of records at a time.

    The fixture is in snapshot order (verified): each model's records come together, after the
    models they refer to. A chunk's references are resolved with one query per referenced model
    and its rows inserted with one statement, where loaddata would look up every reference and
    save every row on its own. The records and the database end the same as with loaddata.
    A chunk also ends when it refers to as many wide rows (statements, with their texts, read
    whole to check quotes) as a chunk of them holds, so that memory stays flat at any size.
    """
    counts, done = {}, 0
    chunk, label, wide = [], None, set()
    for line in read_lines(path):
        model, fields = line.record["model"], line.record["fields"]
        if model != label:
            wide_references = [name for name, target in reference_fields(model).items() if target in WIDE_ROWS]
        refers = {(name, tuple(fields[name])) for name in wide_references if fields.get(name)}
        if chunk and (
            model != label or len(chunk) >= chunk_size_of(label) or len(wide | refers) > WIDE_ROWS_CHUNK_SIZE
        ):
            done = _insert_chunk(label, chunk, using, counts, done, total, progress)
            chunk, wide = [], set()
        label = model
        wide |= refers
        chunk.append((line.number, fields))
    if chunk:
        done = _insert_chunk(label, chunk, using, counts, done, total, progress)
    if progress is not None and total >= PROGRESS_EVERY and done % PROGRESS_EVERY:
        progress("records", done, total)
    _check_with_children(path, using)
    return counts


def _check_with_children(path, using):
    """Validate again, now that every row is in, the records whose rules read rows that come after them
    in the fixture (`children_loaded_later`: an assessment's verdict needs its evidence rows)."""
    for model in curated_models():
        if not hasattr(model, "children_loaded_later"):
            continue
        # Their rules' inputs read in a few queries a chunk, not row by row (`with_rule_inputs()`).
        rows = model._default_manager.using(using).with_rule_inputs().order_by("pk")
        for obj in rows.iterator(chunk_size=CHUNK_SIZE):
            try:
                obj.clean()
            except ValidationError as exc:
                key = obj.natural_key()
                number = next(
                    (
                        line.number
                        for line in read_lines(path)
                        if line.record["model"] == label_of(model)
                        and record_key(label_of(model), line.record["fields"]) == key
                    ),
                    0,
                )
                raise _LoadFailed(number, exc) from exc


def _insert_chunk(label, chunk, using, counts, done, total, progress):
    """Insert a chunk; records that refer to one of their own model in it (an assessment superseding an
    earlier one) go in a later wave than it, since references are resolved in the database."""
    own = [name for name, target in reference_fields(label).items() if target == label]
    if not own:
        return _insert_wave(label, chunk, using, counts, done, total, progress)
    keys = {record_key(label, fields): index for index, (_, fields) in enumerate(chunk)}
    depths = {}

    def depth(index, seen=()):
        if index not in depths:
            fields = chunk[index][1]
            inside = [keys[tuple(fields[n])] for n in own if fields.get(n) and tuple(fields[n]) in keys]
            # A cycle cannot load in any order: leave it to the database to refuse.
            depths[index] = max((depth(i, (*seen, index)) + 1 for i in inside if i not in seen), default=0)
        return depths[index]

    waves = {}
    for index, item in enumerate(chunk):
        waves.setdefault(depth(index), []).append(item)
    for _, wave in sorted(waves.items()):
        done = _insert_wave(label, wave, using, counts, done, total, progress)
    return done


def _insert_wave(label, chunk, using, counts, done, total, progress):
    model = apps.get_model(label)
    related = {
        name: _referenced(target, {tuple(fields[name]) for _, fields in chunk if fields.get(name)}, using)
        for name, target in reference_fields(label).items()
    }
    objects = [(number, _valid_instance(model, fields, related, number)) for number, fields in chunk]
    try:
        with transaction.atomic(using=using):
            model._default_manager.using(using).bulk_create([obj for _, obj in objects])
    except DatabaseError:
        _find_refused_record(objects, using)
        raise
    counts[label] = counts.get(label, 0) + len(chunk)
    if progress is not None:
        for mark in range((done // PROGRESS_EVERY + 1) * PROGRESS_EVERY, done + len(chunk) + 1, PROGRESS_EVERY):
            progress("records", mark, total)
    return done + len(chunk)


def _referenced(label, keys, using):
    """{natural key: row} of a model's rows, for the keys a chunk refers to, in a few queries.

    Whole rows, not only primary keys: the records' own validation reads them (a quote is checked
    against its statement's text, an assessment's funding stage against its commitment's amount),
    with the rows their rules read through them where the model says which (`with_rule_inputs()`:
    a member score's rules read its assessment's meeting, its participations and evidence rows).
    A composite key (an assessment's commitment and date) is looked up by its first part and the
    rows matched on the whole key.
    """
    model = apps.get_model(label)
    lookups = natural_key_lookups(label)
    rows = model._default_manager.using(using).all()
    if hasattr(rows, "with_rule_inputs"):
        rows = rows.with_rule_inputs()
    values = sorted({key[0] for key in keys})
    found = {}
    for start in range(0, len(values), LOOKUP_BATCH):
        batch = rows.filter(**{f"{lookups[0]}__in": values[start : start + LOOKUP_BATCH]})
        if len(lookups) == 1:
            found.update(((getattr(obj, lookups[0]),), obj) for obj in batch)
            continue
        pks = {
            tuple(key_part(part) for part in key): pk
            for pk, *key in batch.values_list("pk", *lookups)
            if tuple(key_part(part) for part in key) in keys
        }
        by_pk = {obj.pk: obj for obj in batch.filter(pk__in=list(pks.values()))}
        found.update((key, by_pk[pk]) for key, pk in pks.items())
    return found


def _valid_instance(model, fields, related, number):
    """A model instance from a record's fields, validated by the rules the admin and the API apply.

    References become the rows they name. Then each field's own checks (choices, lengths, formats)
    and the model's `clean()` (quotes against their offsets, ...), which read only the rows already
    at hand. Database constraints are the database's to check, when the chunk is inserted.
    """
    values = {}
    # A derived column (a commitment's latest status) is the database's to fill in, from the rows loaded after.
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in getattr(model, "DERIVED_FIELDS", ()):
            continue
        value = fields.get(field.name)
        if field.is_relation:
            target = None if value is None else related[field.name].get(tuple(value))
            if value is not None and target is None:
                missing = describe(label_of(field.related_model), tuple(value))
                raise _LoadFailed(number, models.ObjectDoesNotExist(f"{missing} does not exist"))
            values[field.name] = target
        else:
            try:
                values[field.attname] = field.to_python(value)
            except ValidationError as exc:
                raise _LoadFailed(number, ValidationError({field.name: exc.messages})) from exc
    obj = model(**values)
    if hasattr(obj, "children_loaded_later"):
        # Its rules that read its child rows are checked once they are in (`_check_with_children`).
        obj.children_loaded_later = True
    try:
        obj.clean_fields(exclude=[f.name for f in model._meta.concrete_fields if f.is_relation])
        obj.clean()
    except ValidationError as exc:
        raise _LoadFailed(number, exc) from exc
    return obj


def _find_refused_record(objects, using):
    """After a chunk's insert failed: insert its records one at a time to name the one the database refuses."""
    for number, obj in objects:
        try:
            with transaction.atomic(using=using):
                obj.save_base(raw=True, using=using)
        except DatabaseError as exc:
            raise _LoadFailed(number, exc) from exc


def _name_of_line(path, number):
    """`model key (file line n)` for a fixture line, read from the file: the database may be unusable then."""
    for line in read_lines(path):
        if line.number == number and line.record is not None:
            try:
                return f"{describe(line.record['model'], record_key(line.record['model'], line.record['fields']))} "
            except (KeyError, IndexError, TypeError):
                break
    return ""
