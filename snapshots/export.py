"""Export: every curated record (and, on request, the change history) as a snapshot folder or zip stream."""

import contextlib
import datetime
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from meetings.models import sha256_hex

from .files import app_version, applied_migrations, manifest_digest, render_manifest
from .records import (
    FIXTURE,
    FORMAT,
    HISTORY,
    MANIFEST,
    SnapshotError,
    curated_models,
    dump_record,
    fixture_spec,
    history_spec,
    label_of,
)

# Progress every this many records; the zip stream hands out bytes at a finer grain.
PROGRESS_EVERY = 10_000
ZIP_FLUSH_EVERY = 500


@contextlib.contextmanager
def _consistent_read(using):
    """A transaction in which every query of an export sees the same state of the database."""
    connection = connections[using]
    if connection.in_atomic_block:
        # Already inside the caller's transaction (a test, a view in ATOMIC_REQUESTS): read in it.
        yield
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            # READ COMMITTED would let a curator's edit land between two models' queries.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


class _HashingWriter:
    """Writes lines to a file object while counting bytes and hashing them."""

    def __init__(self, file):
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)


def _write_snapshot(open_member, *, with_history, using, every):
    """Write the data files through `open_member(name)`; yields (model, done, total) as it goes, returns the manifest.

    A generator so that the folder export can report progress and the zip stream can hand out
    bytes between records, with one writer for both.
    """
    files, counts, statements = {}, {}, {}
    parts = [(FIXTURE, [fixture_spec(label_of(model)) for model in curated_models()])]
    if with_history:
        parts.append((HISTORY, [history_spec(label_of(model)) for model in curated_models()]))
    for name, specs in parts:
        part_counts = {}
        with open_member(name) as file:
            out = _HashingWriter(file)
            for spec in specs:
                total = spec.count(using)
                done = 0
                for fields in spec.rows(using):
                    if spec.label == "meetings.statement":
                        statements[fields["slug"]] = sha256_hex(fields["text"])
                    out.write(dump_record(spec.label, fields))
                    done += 1
                    if done % every == 0:
                        yield spec.label, done, total
                if total >= every and done % every:
                    yield spec.label, done, total
                part_counts[spec.label] = done
        files[name] = {"bytes": out.size, "records": sum(part_counts.values()), "sha256": out.digest.hexdigest()}
        if name == FIXTURE:
            counts = part_counts
        else:
            files[name]["counts"] = part_counts
    manifest = {
        "format": FORMAT,
        "app_version": app_version(),
        "migrations": applied_migrations(using),
        "counts": counts,
        "statements": dict(sorted(statements.items())),
        "files": files,
    }
    manifest["snapshot_sha256"] = manifest_digest(manifest)
    manifest["exported_at"] = timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds")
    return manifest


def _drive(generator, progress):
    """Run a writer generator to its end, passing its progress events on; returns its result."""
    while True:
        try:
            event = next(generator)
        except StopIteration as stop:
            return stop.value
        if progress is not None:
            progress(*event)


@dataclass
class ExportResult:
    directory: Path
    manifest: dict

    @property
    def counts(self):
        return self.manifest["counts"]


def export_snapshot(directory, *, with_history=False, using=DEFAULT_DB_ALIAS, progress=None):
    """Write a snapshot of the database into a new (or empty) folder; returns its manifest and counts.

    The files are written into a temporary folder beside it, renamed into place when complete:
    an export that fails leaves nothing that looks like a snapshot.
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise SnapshotError(f"{directory} already exists and is not empty: write a snapshot to a new folder.")
    directory.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=directory.parent))
    try:
        with _consistent_read(using):
            manifest = _drive(
                _write_snapshot(
                    lambda name: open(partial / name, "wb"),
                    with_history=with_history,
                    using=using,
                    every=PROGRESS_EVERY,
                ),
                progress,
            )
        (partial / MANIFEST).write_bytes(render_manifest(manifest))
        partial.chmod(0o755)  # mkdtemp makes it private; a kept snapshot is for others to read
        os.replace(partial, directory)  # replaces an empty folder too
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ExportResult(directory=directory, manifest=manifest)


class _StreamSink(io.RawIOBase):
    """A write-only, non-seekable stream that collects what zipfile writes, for handing out in chunks."""

    def __init__(self):
        super().__init__()
        self._chunks = []

    def writable(self):
        return True

    def write(self, data):
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self):
        data, self._chunks = b"".join(self._chunks), []
        return data


def iter_snapshot_zip(*, with_history=False, using=DEFAULT_DB_ALIAS):
    """The current snapshot as a zip archive, in chunks of bytes, for a streamed download.

    The archive holds the snapshot's files at its root: unzipped into a folder, it verifies and
    restores like an exported one. Memory stays flat: zipfile writes to a non-seekable stream.
    """
    sink = _StreamSink()
    with _consistent_read(using):
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            writer = _write_snapshot(
                lambda name: archive.open(name, "w", force_zip64=True),
                with_history=with_history,
                using=using,
                every=ZIP_FLUSH_EVERY,
            )
            while True:
                try:
                    next(writer)
                except StopIteration as stop:
                    manifest = stop.value
                    break
                chunk = sink.drain()
                if chunk:
                    yield chunk
            archive.writestr(MANIFEST, render_manifest(manifest))
    yield sink.drain()
