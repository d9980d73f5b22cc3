"""Export: every curated record (and, on request, the change history) as a snapshot folder or zip stream."""

import contextlib
import datetime
import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from core.texts import sha256_hex

from .as_of import as_of_specs, check_horizon, when_text
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
from .signing import sign, signing_key

# Progress every this many records.
PROGRESS_EVERY = 10_000


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


def _write_snapshot(open_member, *, with_history, using, progress, private_key, as_of=None):
    """Write the data files through `open_member(name)`, reporting progress; returns the manifest.

    With `as_of` (an aware datetime), the records as they stood then, read from the change history.
    """
    files, counts, statements = {}, {}, {}
    if as_of is None:
        parts = [(FIXTURE, [fixture_spec(label_of(model)) for model in curated_models()])]
    else:
        check_horizon(as_of, using)
        parts = [(FIXTURE, as_of_specs(as_of))]
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
                    if progress is not None and done % PROGRESS_EVERY == 0:
                        progress(spec.label, done, total)
                if progress is not None and total >= PROGRESS_EVERY and done % PROGRESS_EVERY:
                    progress(spec.label, done, total)
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
        # Inside the digest and the signature, as every entry but those two is.
        "exported_at": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds"),
    }
    if as_of is not None:
        # The moment the records are as of: inside the digest and the signature too.
        manifest["as_of"] = when_text(as_of)
    manifest["snapshot_sha256"] = manifest_digest(manifest)
    if private_key is not None:
        manifest["signature"] = sign(manifest["snapshot_sha256"], private_key)
    return manifest


def _key_for_export(unsigned):
    """The key to sign with; refuses to export unsigned unless asked to."""
    if unsigned:
        return None
    key = signing_key()
    if key is None:
        raise SnapshotError(
            "No snapshot signing key is configured (SNAPSHOT_SIGNING_KEY_FILE): make one with "
            "`snapshot keygen PATH` and configure it, or export with --unsigned (auditors will then need "
            "the snapshot's sha256 to check it)."
        )
    return key


@dataclass
class ExportResult:
    directory: Path
    manifest: dict

    @property
    def counts(self):
        return self.manifest["counts"]


def export_snapshot(
    directory, *, with_history=False, unsigned=False, using=DEFAULT_DB_ALIAS, progress=None, as_of=None
):
    """Write a signed snapshot of the database into a new (or empty) folder; returns its manifest and counts.

    With `as_of` (an aware datetime), the curated records as they stood then (see snapshots.as_of);
    refused (SnapshotError, nothing written) when the change history cannot reach back that far.

    The files are written into a temporary folder beside it, renamed into place when complete:
    an export that fails leaves nothing that looks like a snapshot.
    """
    directory = Path(directory)
    if as_of is not None and with_history:
        raise SnapshotError("An export --as-of a past moment holds the records then, without the change history.")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise SnapshotError(f"{directory} already exists and is not empty: write a snapshot to a new folder.")
    private_key = _key_for_export(unsigned)
    directory.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=directory.parent))
    try:
        with _consistent_read(using):
            manifest = _write_snapshot(
                lambda name: open(partial / name, "wb"),
                with_history=with_history,
                using=using,
                progress=progress,
                private_key=private_key,
                as_of=as_of,
            )
        (partial / MANIFEST).write_bytes(render_manifest(manifest))
        partial.chmod(0o755)  # mkdtemp makes it private; a kept snapshot is for others to read
        os.replace(partial, directory)  # replaces an empty folder too
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ExportResult(directory=directory, manifest=manifest)


def write_snapshot_zip(file, *, with_history=False, unsigned=False, using=DEFAULT_DB_ALIAS, as_of=None):
    """Write a signed snapshot as a zip archive into an open binary file; returns its manifest.

    The archive holds the snapshot's files at its root: unzipped into a folder, it verifies and
    restores like an exported one. The download writes it to a temporary file first, so that its
    digest and signature can go in the response's headers, ahead of the body. With `as_of`, the records
    as they stood then, as `export_snapshot` writes them.
    """
    if as_of is not None and with_history:
        raise SnapshotError("An export --as-of a past moment holds the records then, without the change history.")
    private_key = _key_for_export(unsigned)
    with _consistent_read(using), zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = _write_snapshot(
            lambda name: archive.open(name, "w", force_zip64=True),
            with_history=with_history,
            using=using,
            progress=None,
            private_key=private_key,
            as_of=as_of,
        )
        archive.writestr(MANIFEST, render_manifest(manifest))
    return manifest
