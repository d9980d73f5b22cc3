"""Restore: a verified snapshot loaded into the database, all or nothing."""

from dataclasses import dataclass
from pathlib import Path

from django.core import serializers
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models, transaction

from .files import applied_migrations, read_lines, read_manifest
from .records import FIXTURE, SnapshotError, SnapshotRefused, curated_models, describe, label_of, record_key
from .verify import verify_snapshot

# Progress every this many records loaded.
PROGRESS_EVERY = 10_000


@dataclass
class RestoreResult:
    counts: dict
    deleted: dict
    dry_run: bool


def curated_counts(using=DEFAULT_DB_ALIAS):
    """{model: rows} of the curated models in a database."""
    return {label_of(model): model._default_manager.using(using).count() for model in curated_models()}


def restore_snapshot(
    directory, *, replace=False, dry_run=False, expect_sha256=None, using=DEFAULT_DB_ALIAS, progress=None
):
    """Load a verified snapshot's records into the database, all or nothing; returns the counts loaded.

    Refuses a snapshot that fails verification, one taken at migrations this database lacks, and,
    unless `replace`, a database that already holds curated records (loading over them would merge
    two states). With `replace` the curated records are deleted first, in the same transaction.
    `dry_run` loads everything and then rolls it back: the whole restore is tried, nothing is kept.
    """
    directory = Path(directory)
    verified = verify_snapshot(directory, expect_sha256=expect_sha256)
    if not verified.ok:
        raise SnapshotRefused(directory, verified.failures)
    manifest = read_manifest(directory)
    missing = sorted({tuple(m) for m in manifest["migrations"]} - {tuple(m) for m in applied_migrations(using)})
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in missing)
        raise SnapshotError(f"The snapshot was taken at migrations this database lacks ({names}): run migrate first.")
    total = sum(manifest["counts"].values())
    try:
        counts, deleted = _restore_atomically(directory, replace, dry_run, using, total, progress)
    except _LoadFailed as failed:
        # Raised out of the atomic block, so everything written (and deleted) is rolled back by now.
        name = _name_of_line(directory / FIXTURE, failed.line)
        raise SnapshotError(
            f"{name}({FIXTURE} line {failed.line}) cannot be loaded "
            f"({failed.error.__class__.__name__}: {failed.error}); the database is unchanged."
        ) from failed.error
    return RestoreResult(counts=counts, deleted=deleted, dry_run=dry_run)


def _restore_atomically(directory, replace, dry_run, using, total, progress):
    """Delete (with `replace`) and load in one transaction; returns (counts loaded, counts deleted)."""
    with transaction.atomic(using=using):
        existing = {label: n for label, n in curated_counts(using).items() if n}
        if existing and not replace:
            held = ", ".join(f"{label}: {n}" for label, n in existing.items())
            raise SnapshotError(
                f"The database already holds curated records ({held}). A snapshot is restored into an empty "
                "database; use --replace to delete these records first (in the same transaction)."
            )
        deleted = {}
        if replace:
            # Children first: statements and commitments PROTECT what points at them.
            for model in reversed(curated_models()):
                _, by_model = model._default_manager.using(using).all().delete()
                deleted[label_of(model)] = by_model.get(model._meta.label, 0)
        counts = _load_fixture(directory / FIXTURE, using, total, progress)
        if dry_run:
            transaction.set_rollback(True, using=using)
    return counts, deleted


class _LoadFailed(Exception):
    """A fixture line the database refused; raised inside the restore's transaction so that it rolls back."""

    def __init__(self, line, error):
        super().__init__(line, error)
        self.line = line
        self.error = error


def _load_fixture(path, using, total, progress):
    """Save every record of a fixture as loaddata does (the same deserializer, raw saves)."""
    counts = {}
    done = 0
    with open(path, "rb") as stream:
        try:
            for loaded in serializers.deserialize("jsonl", stream, using=using):
                loaded.save(using=using)
                label = label_of(type(loaded.object))
                counts[label] = counts.get(label, 0) + 1
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress("records", done, total)
        except (serializers.base.DeserializationError, DatabaseError, models.ObjectDoesNotExist) as exc:
            raise _LoadFailed(done + 1, exc) from exc
    if progress is not None and total >= PROGRESS_EVERY and done % PROGRESS_EVERY:
        progress("records", done, total)
    return counts


def _name_of_line(path, number):
    """`model key (file line n)` for a fixture line, read from the file: the database may be unusable then."""
    for line in read_lines(path):
        if line.number == number and line.record is not None:
            try:
                return f"{describe(line.record['model'], record_key(line.record['model'], line.record['fields']))} "
            except (KeyError, IndexError, TypeError):
                break
    return ""
