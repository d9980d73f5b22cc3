"""Auditors' snapshots of the tracker: export, verify, diff and restore its curated state.

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
ISO dates), as compact JSON with sorted keys. The export time is kept in the manifest, outside
every digest, so it is the only thing that differs between two exports of the same data.

History rows are keyed by what they record, not by ids: a row holds the tracked object's fields
as they were at that version (so its natural key, e.g. its slug, is among them), its
`history_date` (UTC, microseconds), `history_type` and `history_change_reason`, and
`history_user` as `[username]`. Foreign keys are the referenced object's natural key, taken
from the live table or, for an object deleted since, from its latest history row. The ids
(`history_id`, the object's `id`) are left out: they are primary keys of one database.
Rows are ordered by model, then `history_date`, then insertion order. History is evidence kept
in the snapshot (hashed, counted and verified); `diff` compares the curated records only, and
`restore` loads the curated records only, so a restored database starts its own history.

Memory: export and restore stream record by record. Verify and diff stream too, but verify keeps
the set of natural keys (to check references) and the statement texts (to check quotes).
"""

import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Collate
from django.utils import timezone

from meetings.models import sha256_hex

FORMAT = "commitment-tracker-snapshot/1"
FIXTURE = "fixture.jsonl"
HISTORY = "history.jsonl"
MANIFEST = "manifest.json"

# The curated models, in the order the issue lists them; `curated_models()` sorts them by dependency.
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
    "commitments.assessment",
)

# Each model's natural key as ORM lookups, in the order of its natural_key() and get_by_natural_key():
# what rows are sorted by and how references are written. A test keeps them in step with the models.
NATURAL_KEYS = {
    "meetings.meeting": ("slug",),
    "meetings.statement": ("slug",),
    "meetings.member": ("slug",),
    "meetings.participation": ("meeting__slug", "member__slug", "role", "statement__slug"),
    "meetings.figure": ("slug",),
    "commitments.lineofeffort": ("slug",),
    "commitments.thread": ("slug",),
    "commitments.commitment": ("slug",),
    "commitments.threadentry": ("thread__slug", "commitment__slug"),
    "commitments.assessment": ("commitment__slug", "assessed_on"),
    # Not curated, but history rows name who made a change.
    "auth.user": ("username",),
}

# Collations that compare UTF-8 bytes, i.e. code points, as Python compares str.
BINARY_COLLATIONS = {"postgresql": "C", "sqlite": "BINARY", "mysql": "utf8mb4_bin"}

# Progress every this many records; the zip stream hands out bytes at a finer grain.
PROGRESS_EVERY = 10_000
ZIP_FLUSH_EVERY = 500
CHUNK_SIZE = 2_000

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


# --- models and how their rows are written -------------------------------------------------------


@cache
def curated_models():
    """The curated models, each after the models its records refer to (as dumpdata orders them)."""
    return tuple(serializers.sort_dependencies([(None, [apps.get_model(label) for label in CURATED])]))


def label_of(model):
    return model._meta.label_lower


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
        for row in query.iterator(chunk_size=CHUNK_SIZE):
            yield self.fields_of(row)

    def fields_of(self, row):
        fields = {}
        for name, columns, kind, convert in self.outputs:
            values = row[columns]
            if kind == "value":
                fields[name] = convert(values[0])
            else:
                # The first column is the foreign key's id: NULL means no reference at all.
                fields[name] = None if values[0] is None else list(values[1:])
        return fields


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
        order_by=list(NATURAL_KEYS[label]),
    )
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if model_field.is_relation:
            target = label_of(model_field.related_model)
            lookups = [model_field.attname] + [f"{model_field.name}__{key}" for key in NATURAL_KEYS[target]]
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
            for index, key in enumerate(NATURAL_KEYS[label_of(target)]):
                if "__" in key:
                    raise SnapshotError(f"{label}.{model_field.name}: a composite natural key cannot be resolved.")
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
            lookups += [f"{model_field.name}__{key}" for key in NATURAL_KEYS[label_of(target)]]
        _add_column(spec, model_field.name, lookups, "reference")
    return spec


def reference_fields(label):
    """{field name: target label} of a curated model's foreign keys."""
    model = apps.get_model(label)
    return {f.name: label_of(f.related_model) for f in model._meta.concrete_fields if f.is_relation}


def record_key(label, fields):
    """A record's natural key, read from its fields (references hold the target's natural key).

    Raises KeyError, IndexError or TypeError for a record whose key cannot be read.
    """
    key = []
    for lookup in NATURAL_KEYS[label]:
        name, _, rest = lookup.partition("__")
        value = fields[name]
        if rest:
            target = reference_fields(label)[name]
            value = None if value is None else value[NATURAL_KEYS[target].index(rest)]
        if not (value is None or isinstance(value, str)):
            raise TypeError(f"natural key part {value!r} is not text")
        key.append(value)
    return tuple(key)


def _sort_key(key):
    # NULLs first, as the export's ORDER BY puts them.
    return tuple((0, "") if part is None else (1, part) for part in key)


def dump_record(label, fields):
    """One record as its line of bytes in a snapshot file."""
    text = json.dumps({"fields": fields, "model": label}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_LINE_BREAK_ESCAPES).encode("utf-8") + b"\n"


# --- export --------------------------------------------------------------------------------------


def app_version():
    """The tracker's version, as pyproject.toml states it."""
    with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["version"]


def applied_migrations(using=DEFAULT_DB_ALIAS):
    """The migrations applied to a database, as sorted [app, name] pairs."""
    return sorted([app, name] for app, name in MigrationRecorder(connections[using]).applied_migrations())


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


def manifest_digest(manifest):
    """SHA-256 of the manifest's content: everything but the export time and this digest itself."""
    content = {k: v for k, v in manifest.items() if k not in {"exported_at", "snapshot_sha256"}}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def render_manifest(manifest):
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


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


# --- reading snapshots ---------------------------------------------------------------------------


def read_manifest(directory):
    """A snapshot's manifest; SnapshotError if the folder is missing or is not a snapshot."""
    directory = Path(directory)
    if not directory.exists():
        raise SnapshotError(f"{directory} does not exist.")
    if not directory.is_dir():
        raise SnapshotError(f"{directory} is not a folder: a snapshot is a folder with {MANIFEST} and {FIXTURE}.")
    path = directory / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"{directory} is not a snapshot: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise SnapshotError(f"{directory} is not a snapshot of this tracker: format {found!r}, expected {FORMAT!r}.")
    required = {"counts": dict, "files": dict, "statements": dict, "migrations": list, "snapshot_sha256": str}
    for name, kind in required.items():
        if not isinstance(manifest.get(name), kind):
            raise SnapshotError(f"{path}: '{name}' is missing or is not a {kind.__name__}.")
    if not isinstance(manifest["files"].get(FIXTURE), dict):
        raise SnapshotError(f"{path} does not list {FIXTURE}.")
    return manifest


@dataclass
class _Line:
    number: int
    record: dict | None
    problems: list


def _read_lines(path):
    """The records of a JSON Lines file with each line's problems; an undecodable byte does not hide the record."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            problems = []
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(f"not UTF-8 text (byte {exc.start})")
                text = raw.decode("utf-8", errors="replace")
            if not text.strip():
                problems.append("empty line")
                yield _Line(number, None, problems)
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"not valid JSON ({exc.msg} at column {exc.colno})")
                yield _Line(number, None, problems)
                continue
            if not (
                isinstance(record, dict)
                and set(record) == {"model", "fields"}
                and isinstance(record["model"], str)
                and isinstance(record["fields"], dict)
            ):
                problems.append('not a snapshot record ({"model": ..., "fields": {...}} and nothing else)')
                record = None
            yield _Line(number, record, problems)


def _file_sha256(path):
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- verify --------------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    directory: Path
    counts: dict
    failures: list

    @property
    def ok(self):
        return not self.failures


def _expected_fields(spec):
    return {name for name, *_ in spec.outputs}


def verify_snapshot(directory, *, expect_sha256=None):
    """Check a snapshot against itself: digests, counts, every statement text, quote and reference.

    A snapshot rewritten and resealed whole checks against itself: `expect_sha256`, the snapshot
    digest an auditor kept from the export, ties it to what was exported. Returns every failure
    found, each naming the file or record and the reason; raises SnapshotError only when the
    folder is not a snapshot at all.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    failures = []
    if expect_sha256 is not None and manifest_digest(manifest) != expect_sha256.lower():
        failures.append(
            f"{MANIFEST}: this snapshot's sha256 is {manifest_digest(manifest)}, not the {expect_sha256} "
            "recorded at export: it is not the snapshot that was exported"
        )
    if manifest_digest(manifest) != manifest["snapshot_sha256"]:
        failures.append(
            f"{MANIFEST}: snapshot_sha256 mismatch (manifest {manifest['snapshot_sha256']}, "
            f"content {manifest_digest(manifest)}): the manifest was edited"
        )
    for name, entry in sorted(manifest["files"].items()):
        if name not in {FIXTURE, HISTORY}:
            failures.append(f"{MANIFEST}: lists {name!r}, which is not a snapshot file")
            continue
        path = directory / name
        if not path.is_file():
            failures.append(f"{name}: missing (the manifest lists it)")
            continue
        sha, size = _file_sha256(path)
        if sha != entry.get("sha256"):
            failures.append(f"{name}: sha256 mismatch (manifest {entry.get('sha256')}, file {sha})")
        if size != entry.get("bytes"):
            failures.append(f"{name}: size mismatch (manifest {entry.get('bytes')} bytes, file {size})")
    for extra in sorted(p.name for p in directory.iterdir()):
        if extra in {FIXTURE, HISTORY} and extra not in manifest["files"]:
            failures.append(f"{extra}: present but not listed in the manifest")

    counts = {}
    if (directory / FIXTURE).is_file():
        counts = _verify_fixture(directory / FIXTURE, manifest, failures)
    if HISTORY in manifest["files"] and (directory / HISTORY).is_file():
        _verify_history(directory / HISTORY, manifest["files"][HISTORY].get("counts") or {}, failures)
    return VerifyResult(directory=directory, counts=counts, failures=failures)


def _verify_fixture(path, manifest, failures):
    """Two passes over fixture.jsonl: first the records and statement texts, then quotes and references."""
    ranks = {label_of(model): rank for rank, model in enumerate(curated_models())}
    keys = {label: set() for label in ranks}
    counts = dict.fromkeys(ranks, 0)
    statements = {}  # slug: (text, the record's sha256 field)
    previous = None
    for line in _read_lines(path):
        where = f"{FIXTURE} line {line.number}"
        record = line.record
        if record is None:
            failures.extend(f"{where}: {problem}" for problem in line.problems)
            continue
        label, fields = record["model"], record["fields"]
        if label not in ranks:
            failures.append(f"{where}: {label!r} is not a curated model")
            continue
        expected = _expected_fields(fixture_spec(label))
        missing, unknown = sorted(expected - set(fields)), sorted(set(fields) - expected)
        try:
            key = record_key(label, fields)
            name = describe(label, key)
        except (KeyError, IndexError, TypeError):
            failures.append(f"{where}: {label} record without a readable natural key")
            continue
        failures.extend(f"{name} ({where}): {problem}" for problem in line.problems)
        if missing:
            failures.append(f"{name}: missing field(s) {', '.join(missing)}")
        if unknown:
            failures.append(f"{name}: unknown field(s) {', '.join(unknown)}")
        counts[label] += 1
        if key in keys[label]:
            failures.append(f"{name}: appears more than once")
        keys[label].add(key)
        position = (ranks[label], _sort_key(key))
        try:
            if previous is not None and position < previous:
                failures.append(f"{name} ({where}): out of snapshot order (by model, then natural key)")
        except TypeError:
            failures.append(f"{name} ({where}): a natural key part has the wrong type")
        previous = position
        if label == "meetings.statement":
            statements[fields.get("slug")] = (fields.get("text"), fields.get("sha256"))

    for label in ranks:
        listed = manifest["counts"].get(label, 0)
        if listed != counts[label]:
            failures.append(f"{label}: the manifest counts {listed}, {FIXTURE} holds {counts[label]}")
    for label in sorted(set(manifest["counts"]) - set(ranks)):
        failures.append(f"{MANIFEST}: counts {label!r}, which is not a curated model")

    texts = {}
    for slug, (text, recorded) in sorted(statements.items(), key=lambda item: str(item[0])):
        name = describe("meetings.statement", (slug,))
        if not isinstance(text, str) or not text:
            failures.append(f"{name}: has no text")
            continue
        texts[slug] = text
        digest = sha256_hex(text)
        if recorded != digest:
            failures.append(f"{name}: text does not match its sha256 (record {recorded}, text {digest})")
        listed = manifest["statements"].get(slug)
        if listed is None:
            failures.append(f"{name}: not among the manifest's statement digests")
        elif listed != digest:
            failures.append(f"{name}: text does not match the manifest's sha256 (manifest {listed}, text {digest})")
    for slug in sorted(set(manifest["statements"]) - set(statements)):
        failures.append(f"{describe('meetings.statement', (slug,))}: in the manifest but missing from {FIXTURE}")

    for line in _read_lines(path):
        record = line.record
        if record is None or record["model"] not in ranks:
            continue
        label, fields = record["model"], record["fields"]
        try:
            name = describe(label, record_key(label, fields))
        except (KeyError, IndexError, TypeError):
            continue
        _check_references(name, label, fields, keys, failures)
        if {"statement", "start", "end", "quote"} <= set(fields):
            _check_quote(name, fields, texts, failures)
    return counts


def _check_references(name, label, fields, keys, failures):
    model = apps.get_model(label)
    for field_name, target in reference_fields(label).items():
        value = fields.get(field_name)
        if value is None:
            if field_name in fields and not model._meta.get_field(field_name).null:
                failures.append(f"{name}: {field_name} is empty, but every {label} needs one")
            continue
        if (
            not isinstance(value, list)
            or len(value) != len(NATURAL_KEYS[target])
            or not all(part is None or isinstance(part, str) for part in value)
        ):
            failures.append(f"{name}: {field_name} is not a {target} natural key: {value!r}")
        elif tuple(value) not in keys.get(target, ()):
            failures.append(f"{name}: refers to missing {describe(target, tuple(value))}")


def _check_quote(name, fields, texts, failures):
    statement, start, end, quote = (fields.get(k) for k in ("statement", "start", "end", "quote"))
    if statement is None:
        if quote or start is not None or end is not None:
            failures.append(f"{name}: has a quote but no statement")
        return
    well_formed = isinstance(statement, list) and statement and isinstance(statement[0], str)
    text = texts.get(statement[0]) if well_formed else None
    if text is None:
        return  # a missing or textless statement is reported once, on its own
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(quote, str)):
        if quote or start is not None or end is not None:
            failures.append(f"{name}: the quote's offsets {start!r}-{end!r} are not numbers")
        return
    if not 0 <= start < end <= len(text):
        failures.append(f"{name}: offsets {start}-{end} are outside the statement text (0-{len(text)})")
    elif text[start:end] != quote:
        failures.append(f"{name}: quote is not the statement text at {start}-{end}")


def _verify_history(path, listed_counts, failures):
    known = {label_of(model.history.model) for model in curated_models()}
    counts = dict.fromkeys(known, 0)
    for line in _read_lines(path):
        where = f"{HISTORY} line {line.number}"
        failures.extend(f"{where}: {problem}" for problem in line.problems)
        if line.record is None:
            continue
        if line.record["model"] not in known:
            failures.append(f"{where}: {line.record['model']!r} is not a history model of the tracker")
            continue
        counts[line.record["model"]] += 1
    for label in sorted(known | set(listed_counts)):
        if listed_counts.get(label, 0) != counts.get(label, 0):
            failures.append(
                f"{label}: the manifest counts {listed_counts.get(label, 0)}, {HISTORY} holds {counts.get(label, 0)}"
            )


# --- diff ----------------------------------------------------------------------------------------


@dataclass
class Change:
    kind: str  # "added", "removed" or "changed"
    model: str
    key: tuple
    fields: dict  # the record's fields; for "changed", {field: (old, new)} of the fields that differ

    def as_json(self):
        fields = self.fields
        if self.kind == "changed":
            fields = {name: {"old": old, "new": new} for name, (old, new) in fields.items()}
        return {"model": self.model, "key": list(self.key), "fields": fields}


@dataclass
class DiffResult:
    old: dict  # {"path", "exported_at", "snapshot_sha256"}
    new: dict
    changes: list
    meta: dict  # manifest-level differences: app version, migrations

    def summary(self):
        return {kind: sum(c.kind == kind for c in self.changes) for kind in ("added", "removed", "changed")}

    def as_json(self):
        result = {"old": self.old, "new": self.new, "meta": self.meta, "summary": self.summary()}
        for kind in ("added", "removed", "changed"):
            result[kind] = [c.as_json() for c in self.changes if c.kind == kind]
        return result


def _ordered_records(path):
    """(position, model, key, fields) of a fixture's records; SnapshotError if they are out of snapshot order."""
    ranks = {label_of(model): rank for rank, model in enumerate(curated_models())}
    previous = None
    for line in _read_lines(path):
        if line.record is None:
            raise SnapshotError(f"{path} line {line.number}: {'; '.join(line.problems)}: verify the snapshot.")
        label, fields = line.record["model"], line.record["fields"]
        if label not in ranks:
            raise SnapshotError(f"{path} line {line.number}: {label!r} is not a curated model.")
        key = record_key(label, fields)
        position = (ranks[label], _sort_key(key))
        if previous is not None and position <= previous:
            raise SnapshotError(f"{path} line {line.number}: out of snapshot order: verify the snapshot.")
        previous = position
        yield position, label, key, fields


def diff_snapshots(old_directory, new_directory):
    """The records added, removed and changed (field by field) from one snapshot to another, by natural key.

    Both fixtures are in snapshot order, so one merging pass over the two streams finds every
    difference without holding either in memory.
    """
    manifests = read_manifest(old_directory), read_manifest(new_directory)
    old_records = _ordered_records(Path(old_directory) / FIXTURE)
    new_records = _ordered_records(Path(new_directory) / FIXTURE)
    changes = []
    old, new = next(old_records, None), next(new_records, None)
    while old is not None or new is not None:
        if new is None or (old is not None and old[0] < new[0]):
            changes.append(Change("removed", old[1], old[2], old[3]))
            old = next(old_records, None)
        elif old is None or new[0] < old[0]:
            changes.append(Change("added", new[1], new[2], new[3]))
            new = next(new_records, None)
        else:
            differing = {
                name: (old[3].get(name), new[3].get(name))
                for name in sorted(set(old[3]) | set(new[3]))
                if old[3].get(name) != new[3].get(name)
            }
            if differing:
                changes.append(Change("changed", new[1], new[2], differing))
            old, new = next(old_records, None), next(new_records, None)

    meta = {}
    if manifests[0].get("app_version") != manifests[1].get("app_version"):
        meta["app_version"] = {"old": manifests[0].get("app_version"), "new": manifests[1].get("app_version")}
    old_migrations = {tuple(m) for m in manifests[0]["migrations"]}
    new_migrations = {tuple(m) for m in manifests[1]["migrations"]}
    if old_migrations != new_migrations:
        meta["migrations"] = {
            "added": [list(m) for m in sorted(new_migrations - old_migrations)],
            "removed": [list(m) for m in sorted(old_migrations - new_migrations)],
        }

    def about(directory, manifest):
        return {
            "path": str(directory),
            "exported_at": manifest.get("exported_at"),
            "snapshot_sha256": manifest["snapshot_sha256"],
        }

    return DiffResult(
        old=about(old_directory, manifests[0]), new=about(new_directory, manifests[1]), changes=changes, meta=meta
    )


def _shown_pair(old, new, context=30, limit=100):
    """Two values as readable text; long texts are cut to the part that differs."""
    shown = json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
    if not (isinstance(old, str) and isinstance(new, str)) or max(map(len, shown)) <= limit:
        return shown
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start = max(0, prefix - context)

    def cut(text):
        end = min(len(text), len(text) - suffix + context)
        middle = json.dumps(text[start:end], ensure_ascii=False)
        return f"{'…' if start else ''}{middle}{'…' if end < len(text) else ''} ({len(text)} characters)"

    return cut(old), cut(new)


def render_diff(result):
    """A diff as lines of text for a reader: one line a record, one indented line a changed field."""
    lines = [
        f"old: {result.old['path']} (exported {result.old['exported_at']})",
        f"new: {result.new['path']} (exported {result.new['exported_at']})",
    ]
    if "app_version" in result.meta:
        lines.append(f"app version: {result.meta['app_version']['old']} -> {result.meta['app_version']['new']}")
    for kind in ("added", "removed"):
        for app, name in result.meta.get("migrations", {}).get(kind, []):
            lines.append(f"migration {kind}: {app}.{name}")
    signs = {"added": "+", "removed": "-", "changed": "~"}
    for change in result.changes:
        lines.append(f"{signs[change.kind]} {describe(change.model, change.key)}")
        if change.kind == "changed":
            for name, (old, new) in change.fields.items():
                shown_old, shown_new = _shown_pair(old, new)
                lines.append(f"    {name}: {shown_old} -> {shown_new}")
    summary = result.summary()
    if result.changes:
        lines.append(f"{summary['added']} added, {summary['removed']} removed, {summary['changed']} changed")
    else:
        lines.append("No differences in the curated records.")
    return lines


# --- restore -------------------------------------------------------------------------------------


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
    for line in _read_lines(path):
        if line.number == number and line.record is not None:
            try:
                return f"{describe(line.record['model'], record_key(line.record['model'], line.record['fields']))} "
            except (KeyError, IndexError, TypeError):
                break
    return ""
